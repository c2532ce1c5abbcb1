// Sub-programs: static and global functions in .text, nested calls, a bpf_loop callback, two
// programs sharing one section and a sub-program reached from two programs (appended to each).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

__u64 loops_done;

static __attribute__((noinline)) __u64 square(__u64 x)
{
	return x * x;
}

static __attribute__((noinline)) __u64 sum_squares(__u64 a, __u64 b)
{
	return square(a) + square(b);
}

__attribute__((noinline)) int global_add(int a, int b)
{
	volatile int r = a + b;
	return r;
}

static int loop_body(__u32 index, void *ctx)
{
	__u64 *acc = ctx;
	*acc += index;
	return 0;
}

static __attribute__((noinline)) void bump(__u64 by)
{
	__u32 k = 0;
	__u64 *t = bpf_map_lookup_elem(&totals, &k);
	if (t)
		__sync_fetch_and_add(t, by);
}

SEC("xdp")
int first(struct xdp_md *ctx)
{
	__u64 acc = 0;
	bpf_loop(10, loop_body, &acc, 0);
	loops_done += acc;
	bump(sum_squares(acc, 3));
	return XDP_PASS;
}

SEC("xdp")
int second(struct xdp_md *ctx)
{
	bump(global_add(ctx->data_end - ctx->data, 1));
	return XDP_PASS;
}

SEC("tc")
int only_global(struct __sk_buff *skb)
{
	return global_add(skb->len, 2) > 0 ? 0 : 1;
}

char LICENSE[] SEC("license") = "GPL";
