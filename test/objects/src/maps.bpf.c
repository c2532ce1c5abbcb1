// BTF-defined maps of every type percpu-maps simulates, plus a map-in-map with initialisers.
// The loader's tests expect exactly these definitions (test/object-maps.test.ts).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct val {
	__u64 a;
	struct bpf_spin_lock lock;
	__u64 count;
};

typedef struct val val_t;

struct pair {
	__u32 x;
	__s16 y;
	__u8 tag[6];
	__s64 z;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, val_t);
} locked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, 4);
	__uint(value_size, 8);
} pcpu_arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct pair);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
	__uint(numa_node, 0);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
} lru_pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 32);
	__type(value, __u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 32);
	__uint(value_size, 8);
} stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 100);
	__type(value, __u32);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner in1 SEC(".maps"), in2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &in1, [2] = &in2 },
};

SEC("tc")
int use_maps(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 k64 = 1, one = 1;
	val_t *v = bpf_map_lookup_elem(&locked, &k);
	if (v) {
		bpf_spin_lock(&v->lock);
		v->count++;
		bpf_spin_unlock(&v->lock);
	}
	__u64 *p = bpf_map_lookup_elem(&pcpu_arr, &k);
	if (p)
		*p += 1;
	struct pair *pr = bpf_map_lookup_elem(&hash, &k64);
	if (pr)
		pr->x++;
	bpf_map_update_elem(&pcpu_hash, &k, &one, BPF_ANY);
	bpf_map_update_elem(&lru, &k, &k, BPF_ANY);
	bpf_map_update_elem(&lru_pcpu, &k, &one, BPF_ANY);
	bpf_map_push_elem(&queue, &k, 0);
	bpf_map_push_elem(&stack, &one, 0);
	bpf_ringbuf_output(&rb, &k, sizeof(k), 0);
	bpf_map_push_elem(&bloom, &k, 0);
	void *in = bpf_map_lookup_elem(&outer, &k);
	if (in) {
		__u64 *c = bpf_map_lookup_elem(in, &k);
		if (c)
			*c += 1;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
