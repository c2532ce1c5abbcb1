// Signed arithmetic as cpu v1 builds it: sign extension of 8, 16 and 32-bit values (shift left,
// arithmetic shift right), arithmetic shifts, signed comparisons and min/max, signed division done
// in C on magnitudes (BPF before v4 divides unsigned only).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct in {
	__u64 a;
	__u64 b;
};

__s64 out[14];

SEC("syscall")
int sext(struct in *ctx)
{
	__u64 a = ctx->a, b = ctx->b;
	__s64 sa = (__s64)a, sb = (__s64)b;

	out[0] = (__s8)a;
	out[1] = (__s16)a;
	out[2] = (__s32)a;
	out[3] = (__s64)(__s8)(a >> 8);
	out[4] = sa >> 63;
	out[5] = sa >> 1;
	out[6] = sa < sb ? sa : sb;
	out[7] = sa > sb ? sa : sb;
	out[8] = (__s32)a < (__s32)b;
	out[9] = sa <= sb;
	out[10] = sa < 0 ? -sa : sa;
	out[11] = (__s8)a + (__s16)b;
	out[12] = (__s64)(__u32)a - (__s64)(__u32)b;
	out[13] = sa >= 0 ? (__s64)((__u64)sa / 3) : -(__s64)((__u64)-sa / 3);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
