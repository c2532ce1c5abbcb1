// Byte swaps (END to_be / to_le, as clang emits them for __builtin_bswap and bpf_htons & co.)
// and the truncation of to_le on a little-endian machine.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct in {
	__u64 a;
	__u64 b;
};

__u64 out[8];

SEC("syscall")
int bswap(struct in *ctx)
{
	__u64 a = ctx->a;

	out[0] = __builtin_bswap16((__u16)a);
	out[1] = __builtin_bswap32((__u32)a);
	out[2] = __builtin_bswap64(a);
	out[3] = bpf_htons((__u16)(a >> 16));
	out[4] = bpf_ntohl((__u32)(a >> 8));
	out[5] = bpf_cpu_to_be64(a ^ ctx->b);
	out[6] = bpf_ntohs((__u16)a) + 1;
	out[7] = __builtin_bswap32(__builtin_bswap32((__u32)a) + 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
