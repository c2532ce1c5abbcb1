// The kernel's side of the map rows of the LPM trie, the prog array, and the arrays and hashes of
// maps (src/bench/programs/map-ops.ts): one program per row, named <map>_<op>, doing what the
// handler does, on maps of the same shape. As the counters, each run takes the next number of its
// CPU's own counter in `seq` for its key (a test run has no event number).
//
//   lpm_trie_fill         run once before the LPM rows: the 1024 routes 10.<i>>8>.<i&255>.0/24
//   lpm_trie_lookup       the longest prefix of 10.<i>>8>.<i&255>.77/32
//   lpm_trie_update       replace route i
//   prog_array_tailcall   bpf_tail_call into slot 0, which must hold prog_array_target (a loader
//                         places it: libbpf's static initialiser of prog arrays is not applied by
//                         bpftool's loadall of libbpf 1.1)
//   array_of_maps_lookup, hash_of_maps_lookup   the outer lookup (inner map i & 1, placed by
//                         libbpf's static initialiser), then key i & 1023 in the inner array
//   array_lookup_ref      a plain array lookup on the same inner array, for scale
//
// The perf event array's row has no kernel program here: its kernel side needs a loader that opens
// a BPF output event per CPU, places it and drains it while the programs run.
// Built and timed by test/stress/kernel-map-ops-issue16.ts (clang, bpftool prog loadall / run).

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define HOOK SEC("tc")
#define CTX struct __sk_buff
#define KEYS 1024
#define MASK (KEYS - 1)
#define MAX_CPUS 1024

__u64 seq[MAX_CPUS * 8];

static __always_inline __u32 next_index(void)
{
	__u32 cpu = bpf_get_smp_processor_id() & (MAX_CPUS - 1);

	return seq[cpu * 8]++;
}

struct lpm_key {
	__u32 prefixlen;
	__u8 data[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u64);
} lpm_trie SEC(".maps");

HOOK int lpm_trie_fill(CTX *ctx)
{
	for (__u32 i = 0; i < KEYS; i++) {
		struct lpm_key k = { 24, { 10, i >> 8, i & 255, 0 } };
		__u64 v = 0;

		bpf_map_update_elem(&lpm_trie, &k, &v, BPF_ANY);
	}
	return 0;
}

HOOK int lpm_trie_lookup(CTX *ctx)
{
	__u32 i = next_index() & MASK;
	struct lpm_key k = { 32, { 10, i >> 8, i & 255, 77 } };

	return bpf_map_lookup_elem(&lpm_trie, &k) != 0;
}

HOOK int lpm_trie_update(CTX *ctx)
{
	__u32 i = next_index() & MASK;
	struct lpm_key k = { 24, { 10, i >> 8, i & 255, 0 } };
	__u64 v = 0;

	return bpf_map_update_elem(&lpm_trie, &k, &v, BPF_ANY);
}

HOOK int prog_array_target(CTX *ctx)
{
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} prog_array SEC(".maps");

/* Returns 0 when the tail call happened (the target's 0), 1 when it fell through. */
HOOK int prog_array_tailcall(CTX *ctx)
{
	bpf_tail_call(ctx, &prog_array, 0);
	return 1;
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
} array_of_maps SEC(".maps") = { .values = { &inner0, &inner1 } };

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} hash_of_maps SEC(".maps") = { .values = { &inner0, &inner1 } };

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

HOOK int array_lookup_ref(CTX *ctx)
{
	__u32 k = next_index() & MASK;

	return bpf_map_lookup_elem(&inner0, &k) != 0;
}

char LICENSE[] SEC("license") = "GPL";
