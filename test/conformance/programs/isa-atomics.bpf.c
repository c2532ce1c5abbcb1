// Atomic operations (cpu v3 for the 32-bit ones): add, or, and, xor with and without fetch, xchg
// and cmpxchg, on 32- and 64-bit words of a map value. Each run applies the operand from the
// context; the fetched old values go to .bss.
// cflags: -mcpu=v3
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct in {
	__u64 op;
	__u64 v;
	__u64 expect;
};

struct words {
	__u64 d[4];
	__u32 w[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct words);
} atom SEC(".maps");

__u64 fetched64;
__u32 fetched32;

SEC("syscall")
int atomics(struct in *ctx)
{
	__u32 zero = 0;
	struct words *p = bpf_map_lookup_elem(&atom, &zero);
	__u64 v = ctx->v;
	__u32 v32 = (__u32)v;

	if (!p)
		return -1;
	switch (ctx->op) {
	case 1: __sync_fetch_and_add(&p->d[0], v); break;     /* no fetch used: BPF_ADD */
	case 2: fetched64 = __sync_fetch_and_add(&p->d[0], v); break;
	case 3: fetched64 = __sync_fetch_and_or(&p->d[1], v); break;
	case 4: fetched64 = __sync_fetch_and_and(&p->d[1], v); break;
	case 5: fetched64 = __sync_fetch_and_xor(&p->d[2], v); break;
	case 6: fetched64 = __sync_lock_test_and_set(&p->d[3], v); break;
	case 7: fetched64 = __sync_val_compare_and_swap(&p->d[3], ctx->expect, v); break;
	case 8: __sync_fetch_and_add(&p->w[0], v32); break;
	case 9: fetched32 = __sync_fetch_and_add(&p->w[0], v32); break;
	case 10: fetched32 = __sync_fetch_and_or(&p->w[1], v32); break;
	case 11: fetched32 = __sync_fetch_and_and(&p->w[1], v32); break;
	case 12: fetched32 = __sync_fetch_and_xor(&p->w[2], v32); break;
	case 13: fetched32 = __sync_lock_test_and_set(&p->w[3], v32); break;
	case 14: fetched32 = __sync_val_compare_and_swap(&p->w[3], (__u32)ctx->expect, v32); break;
	case 15: __sync_fetch_and_or(&p->d[1], v); break;  /* no fetch: BPF_OR */
	case 16: __sync_fetch_and_and(&p->w[1], v32); break;
	case 17: __sync_fetch_and_xor(&p->d[2], v); break;
	default: return -2;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
