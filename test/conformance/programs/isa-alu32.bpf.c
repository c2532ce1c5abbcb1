// The 32-bit ALU (cpu v3: w registers): every operation on the low halves of two inputs, results
// zero-extended into .bss. A 32-bit result never leaves bits in the upper half.
// cflags: -mcpu=v3
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct in {
	__u64 a;
	__u64 b;
};

__u64 out[16];

SEC("syscall")
int alu32(struct in *ctx)
{
	__u32 a = (__u32)ctx->a, b = (__u32)ctx->b;
	__s32 sa = (__s32)a;

	out[0] = (__u32)(a + b);
	out[1] = (__u32)(a - b);
	out[2] = (__u32)(a * b);
	out[3] = a / b;
	out[4] = a % b;
	out[5] = a | b;
	out[6] = a & b;
	out[7] = a ^ b;
	out[8] = a << (b & 31);
	out[9] = a >> (b & 31);
	out[10] = (__u32)(sa >> (b & 31));
	out[11] = (__u32)-a;
	out[12] = (__u32)~a;
	out[13] = (__u32)(a + 0x7fffffff);
	out[14] = (__u32)(a * 0x10001);
	out[15] = a / 3 + a % 3;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
