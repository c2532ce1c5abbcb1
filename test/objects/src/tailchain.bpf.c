// Tail calls that keep the context: each program counts its run in the packet's first byte (the
// packet is the same one all along), so the packet out shows how many programs ran.
//   hop      slot 0 (the static initialiser) holds hop itself: 1 + 33 runs an event, then the
//            34th tail call falls through and hop returns 1000 + the count
//   from_sub jumps from inside a bpf-to-bpf call (slot byte 1 of the packet); falls through: 77
//   finish   returns 500 + the count
//   wrong    a kprobe program using the same prog array: the kernel refuses loading it beside
//            the tc ones (EINVAL), so the tests load it only to see that refusal
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int hop(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} chain SEC(".maps") = {
	.values = { [0] = (void *)&hop },
};

static __always_inline int count_run(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if ((void *)(data + 2) > end)
		return -1;
	return ++data[0];
}

SEC("tc")
int hop(struct __sk_buff *skb)
{
	int n = count_run(skb);

	if (n < 0)
		return 0;
	bpf_tail_call(skb, &chain, 0);
	return 1000 + n;
}

SEC("tc")
int finish(struct __sk_buff *skb)
{
	return 500 + count_run(skb);
}

static __attribute__((noinline)) int jump_from_sub(struct __sk_buff *skb, __u32 slot)
{
	bpf_tail_call(skb, &chain, slot);
	return slot + 10;
}

SEC("tc")
int from_sub(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	int r;

	if ((void *)(data + 2) > end)
		return 0;
	data[0]++;
	r = jump_from_sub(skb, data[1]);
	return 77 + r;
}

SEC("kprobe/wrong")
int wrong(void *ctx)
{
	bpf_tail_call(ctx, &chain, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
