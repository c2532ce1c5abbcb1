// Loads and stores of every size (B, H, W, DW) at odd offsets, in the stack and in a map value,
// stores of immediates (ST), and a 64-byte copy: little-endian byte order made visible.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct in {
	__u64 a;
	__u64 b;
};

struct buf {
	__u8 bytes[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct buf);
} mem SEC(".maps");

__u64 loads[8];

SEC("syscall")
int memops(struct in *ctx)
{
	volatile __u8 stack[32] = {};
	__u32 zero = 0;
	struct buf *v = bpf_map_lookup_elem(&mem, &zero);
	__u64 a = ctx->a;

	if (!v)
		return 1;
	/* stores of each size through the map value pointer */
	*(__u8 *)&v->bytes[0] = (__u8)a;
	*(__u16 *)&v->bytes[2] = (__u16)(a >> 8);
	*(__u32 *)&v->bytes[4] = (__u32)(a >> 16);
	*(__u64 *)&v->bytes[8] = a ^ ctx->b;
	*(__u32 *)&v->bytes[16] = 0xdeadbeef; /* ST W imm */
	*(__u16 *)&v->bytes[20] = 0x1234;     /* ST H imm */
	v->bytes[22] = 0xab;                  /* ST B imm */
	*(__u64 *)&v->bytes[24] = 0x7fffffff; /* ST DW imm */
	/* the stack, then reads back at every size and an unaligned offset */
	*(volatile __u64 *)&stack[8] = a;
	*(volatile __u64 *)&stack[16] = ctx->b;
	loads[0] = *(volatile __u8 *)&stack[9];
	loads[1] = *(volatile __u16 *)&stack[10];
	loads[2] = *(volatile __u32 *)&stack[12];
	loads[3] = *(volatile __u64 *)&stack[16];
	loads[4] = *(__u16 *)&v->bytes[3 - 1];
	loads[5] = *(__u32 *)&v->bytes[5 - 1];
	loads[6] = *(__u64 *)&v->bytes[16];
	loads[7] = *(volatile __u32 *)&stack[20];
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
