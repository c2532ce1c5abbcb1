// The race lab's atomic sys_clone counter in C (twin of atomic.ts): __sync_fetch_and_add on the
// shared value, one BPF_ATOMIC add (a `lock xadd` once JITed).
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
int atomic(void *ctx)
{
	__u32 key = 0;
	struct elem *val = bpf_map_lookup_elem(&counter, &key);

	if (!val)
		return 0;
	__sync_fetch_and_add(&val->cnt, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
