// Helpers on maps they do not apply to, which the verifier refuses at load (each a verify step):
// lookup on a queue, push on a hash, lookup_percpu_elem on a plain array, a ring buffer lookup,
// pop on a bloom filter, a bloom filter in a sleepable program; and one accepted program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 8);
	__type(value, __u32);
} bf SEC(".maps");

SEC("tc")
int lookup_queue(struct __sk_buff *skb)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&q, &k) != 0;
}

SEC("tc")
int push_hash(struct __sk_buff *skb)
{
	__u32 v = 1;
	return bpf_map_push_elem(&h, &v, 0);
}

SEC("tc")
int percpu_lookup_array(struct __sk_buff *skb)
{
	__u32 k = 0;
	return bpf_map_lookup_percpu_elem(&a, &k, 0) != 0;
}

SEC("tc")
int lookup_ringbuf(struct __sk_buff *skb)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&rb, &k) != 0;
}

SEC("tc")
int pop_bloom(struct __sk_buff *skb)
{
	__u32 v;
	return bpf_map_pop_elem(&bf, &v);
}

SEC("syscall")
int bloom_sleepable(void *ctx)
{
	__u32 v = 1;
	return bpf_map_peek_elem(&bf, &v);
}

SEC("tc")
int delete_array(struct __sk_buff *skb)
{
	__u32 k = 0;
	return bpf_map_delete_elem(&a, &k); /* accepted: arrays answer -EINVAL at run time */
}

SEC("tc")
int unchecked_pointer(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u32 *v = bpf_map_lookup_elem(&h, &k);
	return *v; /* refused: v may be NULL */
}

char LICENSE[] SEC("license") = "GPL";
