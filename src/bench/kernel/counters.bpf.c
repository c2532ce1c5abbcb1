// The race lab's four sys_clone counters as real eBPF programs, for the benchmark's kernel column.
//
// A kprobe cannot be test-run and a raw tracepoint takes no repeat count, so the bodies (the same
// lookup and increment as src/workloads/race/*.ts) sit in tc programs, which BPF_PROG_TEST_RUN
// repeats in a tight in-kernel loop. Built by the bench with clang -target bpf; -DBENCH_XDP makes
// them XDP programs instead: a cheaper call per run (the XDP dispatcher's direct call instead of
// a retpolined indirect one), but every test run with a repeat count re-points the dispatcher
// first, which cost 20-35 ms per run on a 6.18 kernel, longer than many samples.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifdef BENCH_XDP
#define HOOK SEC("xdp")
#define CTX struct xdp_md
#define PASS XDP_PASS
#else
#define HOOK SEC("tc")
#define CTX struct __sk_buff
#define PASS 0 /* TC_ACT_OK */
#endif

struct elem {
	int cnt;
};

struct locked_elem {
	int cnt;
	struct bpf_spin_lock lock;
};

struct percpu_elem {
	__u64 cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct elem);
} racy_counter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct elem);
} atomic_counter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked_elem);
} spinlock_counter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct percpu_elem);
} percpu_counter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct elem);
} percpu_atomic_counter SEC(".maps");

// The loader's switch for the seed's bpf_trace_printk line (off while benchmarking), as the
// JS spinlock program reads its .rodata map.
const volatile int trace = 0;

HOOK
int racy(CTX *ctx)
{
	__u32 key = 0;
	struct elem *val = bpf_map_lookup_elem(&racy_counter, &key);

	if (!val)
		return PASS;
	val->cnt++; /* a load, an add and a store: another CPU can slip in between */
	return PASS;
}

HOOK
int atomic(CTX *ctx)
{
	__u32 key = 0;
	struct elem *val = bpf_map_lookup_elem(&atomic_counter, &key);

	if (!val)
		return PASS;
	__sync_fetch_and_add(&val->cnt, 1);
	return PASS;
}

HOOK
int spinlock(CTX *ctx)
{
	__u32 key = 0;
	struct locked_elem *val = bpf_map_lookup_elem(&spinlock_counter, &key);
	int cnt;

	if (!val)
		return PASS;
	bpf_spin_lock(&val->lock);
	val->cnt++;
	cnt = val->cnt;
	bpf_spin_unlock(&val->lock);
	if (trace)
		bpf_printk("sys_clone count: %d", cnt);
	return PASS;
}

HOOK
int percpu(CTX *ctx)
{
	__u32 key = 0;
	struct percpu_elem *val = bpf_map_lookup_elem(&percpu_counter, &key);

	if (!val)
		return PASS;
	val->cnt++; /* this CPU's own slot: nobody else writes it */
	return PASS;
}

HOOK
int percpu_atomic(CTX *ctx)
{
	__u32 key = 0;
	struct elem *val = bpf_map_lookup_elem(&percpu_atomic_counter, &key);

	if (!val)
		return PASS;
	__sync_fetch_and_add(&val->cnt, 1); /* a locked add on this CPU's own slot */
	return PASS;
}

char LICENSE[] SEC("license") = "GPL";
