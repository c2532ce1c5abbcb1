// bpf_get_smp_processor_id, bpf_get_current_pid_tgid, bpf_ktime_get_ns and bpf_get_prandom_u32 in
// each program type test_run can run. Only what both sides can honestly agree on is recorded:
// the CPU id (the step names it), properties of pid/tgid computed in the program (the running
// process differs between the kernel and our runtime), monotonic time (never a timestamp), and
// that prandom can be called (never its value). The raw timestamps live in an undumped map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} runs SEC(".maps"); /* each CPU counts the runs it saw */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps"); /* seen[cpu] = which program type ran there last */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last_ns SEC(".maps"); /* not comparable: a timestamp */

static __always_inline int note_cpu(__u64 type)
{
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	__u64 *n = bpf_map_lookup_elem(&runs, &zero);

	if (n)
		*n += 1;
	bpf_map_update_elem(&seen, &cpu, &type, BPF_ANY);
	return cpu;
}

SEC("tc")
int cpu_tc(struct __sk_buff *skb) { return note_cpu(1); }

SEC("xdp")
int cpu_xdp(struct xdp_md *x) { return note_cpu(2); }

SEC("raw_tp/sys_enter")
int cpu_raw_tp(void *ctx) { return note_cpu(3); }

SEC("syscall")
int cpu_syscall(void *ctx) { return note_cpu(4); }

/* bit 0: pid == tgid (a single-threaded caller), bit 1: pid != 0, bit 2: tgid != 0 */
static __always_inline int pid_props(void)
{
	__u64 v = bpf_get_current_pid_tgid();
	__u32 pid = (__u32)v, tgid = (__u32)(v >> 32);

	return (pid == tgid) | (pid != 0) << 1 | (tgid != 0) << 2;
}

SEC("tc")
int pid_tc(struct __sk_buff *skb) { return pid_props(); }

SEC("raw_tp/sys_enter")
int pid_raw_tp(void *ctx) { return pid_props(); }

SEC("syscall")
int pid_syscall(void *ctx) { return pid_props(); }

/* bit 0: two reads in a row do not go back; bit 1: not before the last run's; bit 2: not zero */
SEC("tc")
int ktime(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u64 t1 = bpf_ktime_get_ns(), t2 = bpf_ktime_get_ns();
	__u64 *last = bpf_map_lookup_elem(&last_ns, &zero);
	int r = (t2 >= t1) | (t1 != 0) << 2;

	if (!last)
		return -1;
	r |= (t1 >= *last) << 1;
	*last = t2;
	return r;
}

/* calls prandom (values differ by design); returns how many calls returned, never a value */
SEC("tc")
int prandom(struct __sk_buff *skb)
{
	__u32 a = bpf_get_prandom_u32(), b = bpf_get_prandom_u32();
	volatile __u32 sink = a ^ b;

	(void)sink;
	return 2;
}

char LICENSE[] SEC("license") = "GPL";
