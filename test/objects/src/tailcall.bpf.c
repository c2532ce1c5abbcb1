// A prog array initialised with entry-point programs (__array(values, int (void *)) + .values),
// and a tail call through it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int target_a(struct __sk_buff *skb) { return 1; }

SEC("tc")
int target_b(struct __sk_buff *skb) { return 2; }

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jump SEC(".maps") = {
	.values = { [1] = (void *)&target_a, [3] = (void *)&target_b },
};

SEC("tc")
int dispatch(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jump, skb->mark & 3);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
