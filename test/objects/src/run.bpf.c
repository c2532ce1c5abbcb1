// Programs for the object runtime's tests (test/object-run.test.ts): one per behaviour, each in
// its own section so a test fires exactly one. Some do on purpose what the kernel's verifier
// would refuse (a store far past a map value, an unbound helper), to show how a run stops.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct elem {
	__u64 cnt;
	__u32 last_cpu;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct elem);
} vals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

__u64 hits = 0;
const volatile __u32 loops = 10;

// The packet's length, after marking its first byte (BPF_PROG_TEST_RUN's data_out shows it).
SEC("tc")
int tc_len(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if ((void *)(data + 1) > end)
		return -1;
	data[0] = 0xaa;
	return skb->len;
}

// XDP_PASS (2) for frames of 60 bytes or more, XDP_DROP (1) for shorter ones.
SEC("xdp")
int xdp_size(struct xdp_md *xdp)
{
	void *data = (void *)(long)xdp->data;
	void *end = (void *)(long)xdp->data_end;

	return data + 60 <= end ? XDP_PASS : XDP_DROP;
}

// A raw tracepoint's arguments are u64s: return the first two summed.
SEC("raw_tp/sys_enter")
int args_sum(__u64 *ctx)
{
	return ctx[0] + ctx[1];
}

// Count events per pid in a hash, and in .bss; note the CPU in vals[0].
SEC("kprobe/count")
int count(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid();
	__u32 key = 0;
	__u64 one = 1, *n;
	struct elem *v;

	n = bpf_map_lookup_elem(&pids, &pid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&pids, &pid, &one, BPF_NOEXIST);
	__sync_fetch_and_add(&hits, 1);
	v = bpf_map_lookup_elem(&vals, &key);
	if (v)
		v->last_cpu = bpf_get_smp_processor_id();
	return 0;
}

// One ring buffer record per event: the pid and the event's CPU.
SEC("kprobe/output")
int output(void *ctx)
{
	__u32 *rec = bpf_ringbuf_reserve(&events, 8, 0);

	if (!rec)
		return 1;
	rec[0] = bpf_get_current_pid_tgid();
	rec[1] = bpf_get_smp_processor_id();
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

// Writes vals[1].cnt, then a u64 1 MiB past it: far outside any map.
SEC("kprobe/oob")
int oob(void *ctx)
{
	__u32 key = 1;
	volatile __u32 off = 1 << 20;
	struct elem *v = bpf_map_lookup_elem(&vals, &key);

	if (!v)
		return 0;
	v->cnt += 1;
	*(__u64 *)((char *)v + off) = 1;
	return 0;
}

// bpf_get_current_task (helper 35): not one percpu-maps provides.
SEC("kprobe/unbound")
int unbound(void *ctx)
{
	return bpf_get_current_task() != 0;
}

// A loop of `loops` iterations (.rodata), returning the sum 0 + 1 + ... + loops-1.
SEC("kprobe/loop")
int loop(void *ctx)
{
	__u32 i, s = 0;

	for (i = 0; i < loops; i++)
		s += i;
	return s;
}

char LICENSE[] SEC("license") = "GPL";
