// Map helpers on ARRAY and PERCPU_ARRAY maps from tc programs: lookup in and out of range, update
// with every flag, delete (refused for arrays), writes through the looked-up pointer, per-CPU slots
// of the running CPU, bpf_map_lookup_percpu_elem of each CPU.
#include "ops.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

/* value_size 4: user space sees one 8-byte slot per CPU, the padding never shows */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u32);
} parr SEC(".maps");

struct wide {
	__u32 a;
	__u16 b;
	__u8 c[10];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct wide);
} pwide SEC(".maps");

typedef ARGS_T(__u32, __u64) arr_args;
typedef ARGS_T(__u32, __u32) parr_args;
typedef ARGS_T(__u32, struct wide) pwide_args;

__u64 arr_out;
__u32 parr_out;
struct wide pwide_out;

SEC("tc")
int arr_ops(struct __sk_buff *skb)
{
	arr_args *a = PACKET_ARGS(arr_args, skb->data, skb->data_end);

	if (!a)
		return -1;
	return KEYED_OPS(arr, a, arr_out, 0);
}

SEC("tc")
int parr_ops(struct __sk_buff *skb)
{
	parr_args *a = PACKET_ARGS(parr_args, skb->data, skb->data_end);

	if (!a)
		return -1;
	return KEYED_OPS(parr, a, parr_out, 1);
}

SEC("tc")
int pwide_ops(struct __sk_buff *skb)
{
	pwide_args *a = PACKET_ARGS(pwide_args, skb->data, skb->data_end);

	if (!a)
		return -1;
	return KEYED_OPS(pwide, a, pwide_out, 1);
}

char LICENSE[] SEC("license") = "GPL";
