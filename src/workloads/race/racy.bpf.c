// The race lab's racy sys_clone counter in C (twin of racy.ts): `val->cnt++` on a shared ARRAY
// element, a load and a store another CPU can slip between.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct elem {
	__u32 cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct elem);
} counter SEC(".maps");

SEC("kprobe/sys_clone")
int racy(void *ctx)
{
	__u32 key = 0;
	struct elem *val = bpf_map_lookup_elem(&counter, &key);

	if (!val)
		return 0;
	val->cnt++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
