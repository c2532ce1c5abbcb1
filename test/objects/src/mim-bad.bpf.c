// A map-in-map initialiser naming a map unlike the template (value 4 bytes, the template's 8):
// the load fails as libbpf's slot update fails, with EINVAL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} narrow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_array);
} outer SEC(".maps") = {
	.values = { [1] = (void *)&narrow },
};

SEC("tc")
int mim_bad(struct __sk_buff *skb)
{
	__u32 k = 1;
	return bpf_map_lookup_elem(&outer, &k) != 0;
}

char LICENSE[] SEC("license") = "GPL";
