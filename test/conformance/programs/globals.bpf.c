// Global data: .bss, .data, .rodata (const volatile knobs the loader may set before load, then
// frozen: user space may not write it, programs may not either), and custom .data.* / .rodata.*
// sections, each a one-element ARRAY map. Syscall programs; the input picks the operation.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct in {
	__u32 op;
	__u32 idx;
	__u64 v;
};

__u64 counter;                          /* .bss */
__u32 table[4];                         /* .bss */
__u32 scale = 7;                        /* .data */
__u64 big = 0x1122334455667788ull;      /* .data */
const volatile __u32 knob = 3;          /* .rodata: set by the loader before load */
const volatile __u64 mask = 0xff;       /* .rodata */
const char greeting[8] = "hello";       /* .rodata */
__u64 custom SEC(".data.custom") = 11;  /* .data.custom */
const __u32 limits[2] SEC(".rodata.limits") = { 10, 20 };

SEC("syscall")
int globals(struct in *ctx)
{
	__u32 i = ctx->idx & 3;

	switch (ctx->op) {
	case 1: counter += knob; return (int)counter;
	case 2: scale *= 2; return scale;
	case 3: table[i] = (__u32)ctx->v; return table[i];
	case 4: return greeting[i];
	case 5: custom += ctx->v & mask; return (int)custom;
	case 6: return limits[i & 1];
	case 7: big = __builtin_bswap64(big); return (int)(big >> 32);
	case 8: return knob * 1000 + (int)mask;
	}
	return -1;
}

/* refused: a program may not write .rodata (a verify step) */
SEC("syscall")
int write_rodata(struct in *ctx)
{
	*(volatile __u32 *)&knob = 5;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
