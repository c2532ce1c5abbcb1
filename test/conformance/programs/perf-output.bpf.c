// bpf_perf_event_output from a program: every event sends { cpu, seq } (seq counts this CPU's
// events) to its own CPU's perf event; perf_flags sends one sample with the flags the packet's
// first 8 bytes give (little-endian), to show the helper's errors.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct sample {
	__u32 cpu;
	__u32 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} seqs SEC(".maps");

SEC("kprobe/perf_out")
int perf_out(void *ctx)
{
	__u32 zero = 0;
	__u32 *seq = bpf_map_lookup_elem(&seqs, &zero);
	struct sample s;

	if (!seq)
		return 0;
	s.cpu = bpf_get_smp_processor_id();
	s.seq = (*seq)++;
	return bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &s, sizeof(s));
}

SEC("tc")
int perf_flags(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct sample s = { .cpu = 7, .seq = 9 };
	__u64 flags;

	if (data + 8 > end)
		return -1;
	__builtin_memcpy(&flags, data, 8);
	return bpf_perf_event_output(skb, &events, flags, &s, sizeof(s));
}

char LICENSE[] SEC("license") = "GPL";
