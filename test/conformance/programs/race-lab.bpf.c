// The race lab's four sys_clone counters as tc programs, run through BPF_PROG_TEST_RUN with a
// repeat count on every CPU at once: the racy one loses updates between its load and its store,
// the atomic, spin-locked and per-CPU ones count every run.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct plain {
	__u32 cnt;
};

struct locked {
	__u32 cnt;
	struct bpf_spin_lock lock;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct plain);
} racy_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct plain);
} atomic_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} spin_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} percpu_map SEC(".maps");

SEC("tc")
int racy(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct plain *v = bpf_map_lookup_elem(&racy_map, &key);

	if (v)
		v->cnt++;
	return 0;
}

SEC("tc")
int atomic(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct plain *v = bpf_map_lookup_elem(&atomic_map, &key);

	if (v)
		__sync_fetch_and_add(&v->cnt, 1);
	return 0;
}

SEC("tc")
int spinlock(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct locked *v = bpf_map_lookup_elem(&spin_map, &key);

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->cnt++;
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("tc")
int percpu(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&percpu_map, &key);

	if (v)
		(*v)++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
