// Maps of maps from a program. outer (ARRAY_OF_MAPS) has slot 0 filled by the static initialiser
// with inner0; user space places more inner maps after load. houter (HASH_OF_MAPS) starts empty.
// The packet says what to do: byte 0 the outer key, byte 1 the inner key.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} inner0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_array);
} outer SEC(".maps") = {
	.values = { [0] = &inner0 },
};

struct inner_hash {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_hash);
} houter SEC(".maps");

// outer[byte 0][byte 1] += 1, returning the new value; 1000 no inner map, 2000 no element.
SEC("tc")
int mim_array(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 okey, ikey;
	__u64 *v;
	void *inner;

	if ((void *)(data + 2) > end)
		return -1;
	okey = data[0];
	ikey = data[1];
	inner = bpf_map_lookup_elem(&outer, &okey);
	if (!inner)
		return 1000;
	v = bpf_map_lookup_elem(inner, &ikey);
	if (!v)
		return 2000;
	__sync_fetch_and_add(v, 1);
	return *v;
}

// houter[byte 0]: insert or add 1 at inner key byte 1 through the inner map; returns the value, 1000 no inner map.
SEC("tc")
int mim_hash(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 okey, ikey;
	__u64 one = 1, *v;
	void *inner;

	if ((void *)(data + 2) > end)
		return -1;
	okey = data[0];
	ikey = data[1];
	inner = bpf_map_lookup_elem(&houter, &okey);
	if (!inner)
		return 1000;
	v = bpf_map_lookup_elem(inner, &ikey);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return *v;
	}
	bpf_map_update_elem(inner, &ikey, &one, BPF_NOEXIST);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
