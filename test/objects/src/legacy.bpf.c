// Legacy SEC("maps") definitions with the 28-byte struct bpf_map_def of older samples/bpf headers
// (inner_map_idx and numa_node after map_flags). libbpf >= 1.0 refuses this section; we read it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
	unsigned int inner_map_idx;
	unsigned int numa_node;
};

struct bpf_map_def SEC("maps") counts = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 2,
};

struct bpf_map_def SEC("maps") pids = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 512,
	.map_flags = BPF_F_NO_PREALLOC,
	.numa_node = 0,
};

SEC("raw_tp/sys_enter")
int count(void *ctx)
{
	__u32 k = 0, pid = bpf_get_current_pid_tgid() >> 32;
	__u64 *c = bpf_map_lookup_elem(&counts, &k);
	if (c)
		*c += 1;
	bpf_map_update_elem(&pids, &pid, &pid, BPF_ANY);
	return 0;
}

char _license[] SEC("license") = "GPL";
