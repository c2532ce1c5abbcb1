// What a value pointer from bpf_map_lookup_elem is: the element itself, written in place and seen
// by the next lookup (arrays, hashes), the same memory after the element is deleted and (in a
// preallocated hash) handed to the next insert on this CPU, and NULL after max_entries for arrays.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} ph SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pa SEC(".maps");

struct args {
	__u32 op;
	__u32 k1;
	__u32 k2;
	__u32 pad;
	__u64 v;
};

__u64 seen[3];

SEC("tc")
int pointers(struct __sk_buff *skb)
{
	struct args *a = (void *)(long)skb->data + 14;
	__u32 k1, k2;
	__u64 v, *p, *q;

	if ((void *)(a + 1) > (void *)(long)skb->data_end)
		return -1;
	k1 = a->k1;
	k2 = a->k2;
	v = a->v;
	switch (a->op) {
	case 1: /* write through a hash pointer; a second lookup sees it */
		p = bpf_map_lookup_elem(&ph, &k1);
		if (!p)
			return 1;
		*p += v;
		q = bpf_map_lookup_elem(&ph, &k1);
		if (!q)
			return 2;
		seen[0] = *q;
		return p == q;
	case 2: /* delete k1 while holding its pointer, insert k2 (reuses the element), read through the old pointer */
		p = bpf_map_lookup_elem(&ph, &k1);
		if (!p)
			return 1;
		seen[0] = *p;
		if (bpf_map_delete_elem(&ph, &k1))
			return 2;
		seen[1] = *p;
		if (bpf_map_update_elem(&ph, &k2, &v, BPF_NOEXIST))
			return 3;
		seen[2] = *p;
		return 0;
	case 3: /* array elements never go away: the pointer of k1 and of k2 differ unless k1 == k2 */
		p = bpf_map_lookup_elem(&pa, &k1);
		q = bpf_map_lookup_elem(&pa, &k2);
		if (!p || !q)
			return 1;
		*p = v;
		*q += 1;
		seen[0] = *p;
		return p == q;
	case 4: /* update replaces the value in place for an existing hash key: the old pointer sees the new value */
		p = bpf_map_lookup_elem(&ph, &k1);
		if (!p)
			return 1;
		seen[0] = *p;
		if (bpf_map_update_elem(&ph, &k1, &v, BPF_EXIST))
			return 2;
		seen[1] = *p;
		return 0;
	}
	return -1;
}

char LICENSE[] SEC("license") = "GPL";
