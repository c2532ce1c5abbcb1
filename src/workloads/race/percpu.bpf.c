// The race lab's per-CPU sys_clone counter in C (twin of percpu.ts): each CPU increments its own
// slot of a PERCPU_ARRAY with a plain add; user space sums the slots.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct elem {
	__u64 cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct elem);
} counter SEC(".maps");

SEC("kprobe/sys_clone")
int percpu(void *ctx)
{
	__u32 key = 0;
	struct elem *val = bpf_map_lookup_elem(&counter, &key);

	if (!val)
		return 0;
	val->cnt += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
