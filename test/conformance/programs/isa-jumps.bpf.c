// Jumps of every condition, 64-bit (cpu v2 adds JLT/JLE/JSLT/JSLE) and 32-bit (jmp32, cpu v3, in
// jumps32): each comparison's outcome as one bit of a mask, unsigned and signed, register and
// immediate forms. noinline helpers keep clang from turning the comparisons into arithmetic.
// cflags: -mcpu=v3
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct in {
	__u64 a;
	__u64 b;
};

__u64 mask64;
__u64 mask32;
__u64 maskk;

SEC("syscall")
int jumps64(struct in *ctx)
{
	__u64 a = ctx->a, b = ctx->b, m = 0;
	__s64 sa = (__s64)a, sb = (__s64)b;

	if (a == b) m |= 1 << 0;
	if (a != b) m |= 1 << 1;
	if (a > b) m |= 1 << 2;
	if (a >= b) m |= 1 << 3;
	if (a < b) m |= 1 << 4;
	if (a <= b) m |= 1 << 5;
	if (sa > sb) m |= 1 << 6;
	if (sa >= sb) m |= 1 << 7;
	if (sa < sb) m |= 1 << 8;
	if (sa <= sb) m |= 1 << 9;
	if (a & b) m |= 1 << 10;
	mask64 = m;
	return (int)m;
}

SEC("syscall")
int jumps32(struct in *ctx)
{
	__u32 a = (__u32)ctx->a, b = (__u32)ctx->b, m = 0;
	__s32 sa = (__s32)a, sb = (__s32)b;

	if (a == b) m |= 1 << 0;
	if (a != b) m |= 1 << 1;
	if (a > b) m |= 1 << 2;
	if (a >= b) m |= 1 << 3;
	if (a < b) m |= 1 << 4;
	if (a <= b) m |= 1 << 5;
	if (sa > sb) m |= 1 << 6;
	if (sa >= sb) m |= 1 << 7;
	if (sa < sb) m |= 1 << 8;
	if (sa <= sb) m |= 1 << 9;
	if (a & b) m |= 1 << 10;
	mask32 = m;
	return (int)m;
}

/* Immediate forms against constants around the sign boundaries. */
SEC("syscall")
int jumpsk(struct in *ctx)
{
	__u64 a = ctx->a, m = 0;
	__s64 sa = (__s64)a;

	if (a == 5) m |= 1 << 0;
	if (a != 0) m |= 1 << 1;
	if (a > 0x7fffffff) m |= 1 << 2;
	if (a >= 100) m |= 1 << 3;
	if (a < 3) m |= 1 << 4;
	if (a <= 0xffff) m |= 1 << 5;
	if (sa > -1) m |= 1 << 6;
	if (sa >= -100) m |= 1 << 7;
	if (sa < -5) m |= 1 << 8;
	if (sa <= 7) m |= 1 << 9;
	if (a & 0x80) m |= 1 << 10;
	if ((__u32)a == 0xffffffff) m |= 1 << 11;
	if ((__s32)a < 0) m |= 1 << 12;
	maskk = m;
	return (int)m;
}

char LICENSE[] SEC("license") = "GPL";
