// The race lab's spin-lock sys_clone counter in C (twin of spinlock.ts): the seed's struct elem,
// lock / cnt++ / unlock, with a BTF-described map (the kernel needs BTF for a bpf_spin_lock) and
// the NULL check. Note: the kernel refuses bpf_spin_lock in kprobe programs ("tracing progs
// cannot use bpf_spin_lock yet"); here it runs, as the seed article meant it to.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct elem {
	int cnt;
	struct bpf_spin_lock lock;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct elem);
} counter SEC(".maps");

// The loader's switch for the seed's trace line (libbpf's `const volatile` knob in .rodata).
const volatile int trace = 0;

SEC("kprobe/sys_clone")
int spinlock(void *ctx)
{
	__u32 key = 0;
	struct elem *val = bpf_map_lookup_elem(&counter, &key);
	int cnt;

	if (!val)
		return 0;
	bpf_spin_lock(&val->lock);
	val->cnt++;
	cnt = val->cnt;
	bpf_spin_unlock(&val->lock);
	if (trace)
		bpf_printk("sys_clone count: %d", cnt);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
