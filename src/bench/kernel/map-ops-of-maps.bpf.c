// The kernel's side of the map rows of the array and hash of maps (src/bench/programs/map-ops.ts):
// the outer lookup of inner map i & 1, then key i & 1023 in that inner array, as the handler does.
// Each run takes the next number of its CPU's own counter in `seq` for i (a test run has no event
// number), as map-ops.bpf.c does. The outer maps start empty: the loader places inner0 and inner1
// at keys 0 and 1 (`place array_of_maps 0 inner0`, ...) before the rows, as the handler's suite
// places its inner maps, so nothing depends on a loader applying a static initialiser.
//
// Why not in map-ops.bpf.c: the object column loads that object whole on our CPUs for every map
// row, and an outer map our object loader cannot create yet would take every row's object figure
// with it. Here it takes only these two rows'.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifdef BENCH_XDP
#define HOOK SEC("xdp")
#define CTX struct xdp_md
#else
#define HOOK SEC("tc")
#define CTX struct __sk_buff
#endif

#define KEYS 1024
#define MASK (KEYS - 1)
#define MAX_CPUS 1024

__u64 seq[MAX_CPUS * 8];

static __always_inline __u32 next_index(void)
{
	__u32 cpu = bpf_get_smp_processor_id() & (MAX_CPUS - 1);

	return seq[cpu * 8]++;
}

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KEYS);
	__type(key, __u32);
	__type(value, __u64);
} inner0 SEC(".maps"), inner1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} array_of_maps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} hash_of_maps SEC(".maps");

/* Returns 1 when the inner lookup found its key, 2 when the outer slot was empty (nothing placed). */
#define THROUGH(outer)                                                         \
	HOOK int outer##_lookup(CTX *ctx)                                      \
	{                                                                      \
		__u32 i = next_index();                                        \
		__u32 o = i & 1, k = i & MASK;                                 \
		void *in = bpf_map_lookup_elem(&outer, &o);                    \
                                                                               \
		if (!in)                                                       \
			return 2;                                              \
		return bpf_map_lookup_elem(in, &k) != 0;                       \
	}

THROUGH(array_of_maps)
THROUGH(hash_of_maps)

char LICENSE[] SEC("license") = "GPL";
