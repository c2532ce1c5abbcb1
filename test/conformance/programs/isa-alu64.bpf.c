// The 64-bit ALU as clang emits it (cpu v1): every operation on two inputs from the context,
// results into .bss. Division and modulo run on whatever the divisor is, zero included (the BPF
// rule: x / 0 = 0, x % 0 = x); shift counts are masked in C so the program means the same in C.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct in {
	__u64 a;
	__u64 b;
};

__u64 out[20];

SEC("syscall")
int alu64(struct in *ctx)
{
	__u64 a = ctx->a, b = ctx->b;
	__s64 sa = (__s64)a;

	out[0] = a + b;
	out[1] = a - b;
	out[2] = a * b;
	out[3] = a / b;
	out[4] = a % b;
	out[5] = a | b;
	out[6] = a & b;
	out[7] = a ^ b;
	out[8] = a << (b & 63);
	out[9] = a >> (b & 63);
	out[10] = (__u64)(sa >> (b & 63));
	out[11] = -a;
	out[12] = ~a;
	out[13] = a + 0x7fffffff;          /* K forms: immediates are sign-extended s32 */
	out[14] = a - (-1);
	out[15] = a * 3;
	out[16] = a / 7;
	out[17] = a % 10;
	out[18] = a & 0xffffffff80000000ull; /* an immediate that is not an s32: ld_imm64 then AND X */
	out[19] = a ^ -2;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
