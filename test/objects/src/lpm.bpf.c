// An LPM trie used from a program: longest-prefix lookup of an IPv4 address taken from the
// packet (bytes 0..3, network order), and a route inserted and deleted by the program itself.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct ipv4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipv4_key);
	__type(value, __u32);
} routes SEC(".maps");

// Returns the route's value for the packet's address, 0 when no prefix covers it.
SEC("tc")
int lpm_lookup(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ipv4_key key = { .prefixlen = 32 };
	__u32 *v;

	if (data + 4 > end)
		return 0;
	__builtin_memcpy(key.addr, data, 4);
	v = bpf_map_lookup_elem(&routes, &key);
	return v ? *v : 0;
}

// Byte 4 of the packet: 1 inserts 10.0.0.0/8 -> 8 (BPF_NOEXIST), 2 deletes it; returns the helper's result.
SEC("tc")
int lpm_update(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ipv4_key key = { .prefixlen = 8, .addr = { 10, 0, 0, 0 } };
	__u32 value = 8;
	__u8 op;

	if (data + 5 > end)
		return -1;
	op = ((__u8 *)data)[4];
	if (op == 1)
		return bpf_map_update_elem(&routes, &key, &value, BPF_NOEXIST);
	if (op == 2)
		return bpf_map_delete_elem(&routes, &key);
	return -1;
}

char LICENSE[] SEC("license") = "GPL";
