// bpf_loop: the callback runs nr times unless it returns 1; the helper returns the iterations
// done, -E2BIG above 1 << 23 iterations, -EINVAL for non-zero flags. tc programs, input after a
// 14-byte header: nr, flags, and the index at which the callback stops.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct args {
	__u32 nr;
	__u32 stop;
	__u64 flags;
};

struct state {
	__u64 calls;
	__u64 sum;
	__u32 stop;
};

struct state last;

static int step(__u32 index, struct state *s)
{
	s->calls++;
	s->sum += index;
	return index + 1 == s->stop ? 1 : 0;
}

SEC("tc")
int loop(struct __sk_buff *skb)
{
	struct args *a = (void *)(long)skb->data + 14;
	struct state s = {};
	long r;

	if ((void *)(a + 1) > (void *)(long)skb->data_end)
		return -1;
	s.stop = a->stop;
	r = bpf_loop(a->nr, step, &s, a->flags);
	last = s;
	return (int)r;
}

char LICENSE[] SEC("license") = "GPL";
