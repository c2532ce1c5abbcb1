// The ring buffer helpers from syscall programs (and one tc program): output, reserve + submit,
// reserve + discard, query, with the consumer's view after each run. Reserve sizes must be
// constants for the verifier, so the input picks one of a few; a too-large reserve gets NULL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct in {
	__u32 op;
	__u32 size;   /* output: bytes of `data` to send; reserve: which constant size */
	__u64 flags;
	__u64 data[4];
};

enum { RB_OUTPUT = 1, RB_SUBMIT = 2, RB_DISCARD = 3, RB_QUERY = 4, RB_TWO = 5, RB_RESERVE_FLAGS = 6 };

/* Fill a reserved record with a pattern that says which run wrote it. */
#define FILL(p, n, seed)                                                                               \
	do {                                                                                           \
		for (int __i = 0; __i < (n) / 8; __i++)                                                \
			((__u64 *)(p))[__i] = (seed) + __i;                                            \
	} while (0)

#define RESERVE_CASE(sz, then)                                                                         \
	case sz: {                                                                                     \
		void *p = bpf_ringbuf_reserve(&rb, sz, 0);                                             \
		if (!p)                                                                                \
			return 1;                                                                      \
		FILL(p, sz, seed);                                                                     \
		then(p, flags);                                                                        \
		return 0;                                                                              \
	}

SEC("syscall")
int rb_ops(struct in *ctx)
{
	__u64 buf[4], flags = ctx->flags, seed = ctx->data[0];
	__u32 size = ctx->size;

	buf[0] = ctx->data[0];
	buf[1] = ctx->data[1];
	buf[2] = ctx->data[2];
	buf[3] = ctx->data[3];
	switch (ctx->op) {
	case RB_OUTPUT:
		return bpf_ringbuf_output(&rb, buf, size & 31, flags);
	case RB_SUBMIT:
		switch (size) {
			RESERVE_CASE(8, bpf_ringbuf_submit)
			RESERVE_CASE(16, bpf_ringbuf_submit)
			RESERVE_CASE(96, bpf_ringbuf_submit)
			RESERVE_CASE(1000, bpf_ringbuf_submit)
			RESERVE_CASE(2048, bpf_ringbuf_submit)
			RESERVE_CASE(4080, bpf_ringbuf_submit)
			RESERVE_CASE(4088, bpf_ringbuf_submit)
			RESERVE_CASE(4096, bpf_ringbuf_submit)
		}
		return 2;
	case RB_DISCARD:
		switch (size) {
			RESERVE_CASE(8, bpf_ringbuf_discard)
			RESERVE_CASE(96, bpf_ringbuf_discard)
			RESERVE_CASE(1000, bpf_ringbuf_discard)
		}
		return 2;
	case RB_QUERY:
		return (int)bpf_ringbuf_query(&rb, flags);
	case RB_TWO: {
		/* two reservations released in the opposite order: the consumer sees them in reservation order */
		__u64 *a = bpf_ringbuf_reserve(&rb, 16, 0);
		__u64 *b;

		if (!a)
			return 1;
		b = bpf_ringbuf_reserve(&rb, 8, 0);
		if (!b) {
			bpf_ringbuf_discard(a, 0);
			return 3;
		}
		a[0] = seed;
		a[1] = seed + 1;
		b[0] = seed + 2;
		bpf_ringbuf_submit(b, 0);
		if (flags)
			bpf_ringbuf_discard(a, 0);
		else
			bpf_ringbuf_submit(a, 0);
		return 0;
	}
	case RB_RESERVE_FLAGS: {
		/* reserve takes no flags: anything else gets NULL */
		void *p = bpf_ringbuf_reserve(&rb, 8, flags);

		if (!p)
			return 1;
		*(__u64 *)p = seed;
		bpf_ringbuf_submit(p, 0);
		return 0;
	}
	}
	return -1;
}

/* tc: a record of the packet's first 16 bytes, copied to the stack first */
SEC("tc")
int rb_packet(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u64 copy[2];

	if (data + 16 > end)
		return -1;
	__builtin_memcpy(copy, data, 16);
	return bpf_ringbuf_output(&rb, copy, 16, 0);
}

/* refused: bpf_ringbuf_output may not read the packet directly (a verify step) */
SEC("tc")
int rb_packet_direct(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (data + 16 > end)
		return -1;
	return bpf_ringbuf_output(&rb, data, 16, 0);
}

char LICENSE[] SEC("license") = "GPL";
