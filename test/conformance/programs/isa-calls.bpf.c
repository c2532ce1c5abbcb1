// bpf-to-bpf calls: a chain of static functions four frames deep, five arguments, pointers into
// the caller's stack, a global function (verified on its own), and a function called from two
// places. Each frame has its own stack.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct in {
	__u64 a;
	__u64 b;
};

__u64 res[6];

static __noinline __u64 leaf(__u64 x, __u64 y)
{
	volatile __u64 frame[4] = { x, y, x ^ y, x + y };

	return frame[0] * 3 + frame[3] - frame[2];
}

static __noinline __u64 mid(__u64 x, __u64 y, __u64 z)
{
	return leaf(x, y) + leaf(y, z);
}

static __noinline __u64 top(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e)
{
	return mid(a, b, c) ^ (d << 1) ^ (e >> 1);
}

static __noinline void fill(__u64 *slot, __u64 v)
{
	*slot = v * 2 + 1; /* a write into the caller's frame */
}

__noinline int global_sum(__u64 a, __u64 b)
{
	return (int)(a + b);
}

SEC("syscall")
int calls(struct in *ctx)
{
	__u64 a = ctx->a, b = ctx->b;
	__u64 mine = 0;

	res[0] = leaf(a, b);
	res[1] = mid(a, b, 7);
	res[2] = top(a, b, a + 1, b + 2, a ^ b);
	fill(&mine, a);
	res[3] = mine;
	res[4] = (__u64)(__s64)global_sum(a, b);
	res[5] = leaf(b, a);
	return (int)res[2];
}

char LICENSE[] SEC("license") = "GPL";
