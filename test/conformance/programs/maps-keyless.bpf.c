// QUEUE, STACK and BLOOM_FILTER from tc programs: push with and without BPF_EXIST on a full map,
// pop and peek of an empty one, a bloom filter's membership tests (BPF_F_ZERO_SEED, so its hashes
// are the same on every run and in every implementation).
#include "ops.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 3);
	__type(value, __u64);
} stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__uint(map_extra, 3);
	__type(value, __u32);
} bloom SEC(".maps");

typedef ARGS_T(__u32, __u32) args32;
typedef ARGS_T(__u32, __u64) args64;

__u32 queue_out;
__u64 stack_out;
__u32 bloom_out;

SEC("tc")
int queue_ops(struct __sk_buff *skb)
{
	args32 *a = PACKET_ARGS(args32, skb->data, skb->data_end);

	if (!a)
		return -1;
	return KEYLESS_OPS(queue, a, queue_out, 1);
}

SEC("tc")
int stack_ops(struct __sk_buff *skb)
{
	args64 *a = PACKET_ARGS(args64, skb->data, skb->data_end);

	if (!a)
		return -1;
	return KEYLESS_OPS(stack, a, stack_out, 1);
}

SEC("tc")
int bloom_ops(struct __sk_buff *skb)
{
	args32 *a = PACKET_ARGS(args32, skb->data, skb->data_end);

	if (!a)
		return -1;
	return KEYLESS_OPS(bloom, a, bloom_out, 0);
}

char LICENSE[] SEC("license") = "GPL";
