// The map operations of the benchmark's `map` rows as real eBPF programs, for the kernel column:
// one program per map type and operation, named <map>_<op>, doing what src/bench/programs/
// map-ops.ts does from a handler, on maps of the same shape (4-byte keys, 8-byte values, 1,024
// entries; hash types filled with every key by the loader's `fill` before a run). The LPM trie, the
// prog array and the perf event array need the loader's setup before their rows: `fill lpm_trie`
// adds the routes, `place prog_array 0 prog_array_target` puts the target in its slot, and a run
// on `perf_event_array` opens a BPF output event and ring per CPU and drains them meanwhile (see
// loader.c). The maps of maps are in map-ops-of-maps.bpf.c (why: see there).
//
// A handler gets its event number from the runtime; a test-run program has none, so each CPU
// counts its own runs in `seq` (one cache line per CPU, so CPUs never share a counter's line).
// bpf_get_smp_processor_id() is inlined by the x86 JIT, and a global is a direct load: the pair
// costs about what the runtime's `ctx.index` costs a handler.

#include <linux/bpf.h>
#include <linux/errno.h>
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
#define EVICT_ENTRIES (1 << 16)
#define EVICT_KEY_BITS 20
#define MAX_CPUS 1024

__u64 seq[MAX_CPUS * 8];

static __always_inline __u32 next_index(void)
{
	__u32 cpu = bpf_get_smp_processor_id() & (MAX_CPUS - 1);

	return seq[cpu * 8]++;
}

#define KV_MAP(name, kind, entries)                                            \
	struct {                                                               \
		__uint(type, kind);                                            \
		__uint(max_entries, entries);                                  \
		__type(key, __u32);                                            \
		__type(value, __u64);                                          \
	} name SEC(".maps")

KV_MAP(array, BPF_MAP_TYPE_ARRAY, KEYS);
KV_MAP(percpu_array, BPF_MAP_TYPE_PERCPU_ARRAY, KEYS);
KV_MAP(hash, BPF_MAP_TYPE_HASH, KEYS);
KV_MAP(percpu_hash, BPF_MAP_TYPE_PERCPU_HASH, KEYS);
KV_MAP(lru_hash, BPF_MAP_TYPE_LRU_HASH, KEYS);
KV_MAP(lru_percpu_hash, BPF_MAP_TYPE_LRU_PERCPU_HASH, KEYS);
KV_MAP(lru_evict, BPF_MAP_TYPE_LRU_HASH, EVICT_ENTRIES);
KV_MAP(lrupcpu_evict, BPF_MAP_TYPE_LRU_PERCPU_HASH, EVICT_ENTRIES);

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, KEYS);
	__type(value, __u64);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, KEYS);
	__type(value, __u64);
} stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, KEYS);
	__type(value, __u32);
} bloom_filter SEC(".maps");

/* 1 MiB, as programs/map-ops.ts's ring: room for 64 Ki records of 8 bytes (16 with the header). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} ringbuf SEC(".maps");

/* An IPv4 route as the trie's key: prefix length, then the address's bytes (network order). */
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

/* Slot 0 holds prog_array_target, placed by the loader before the row (`place`). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} prog_array SEC(".maps");

/* 128 slots, as programs/map-ops.ts's map; the loader places one BPF output event per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 128);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_event_array SEC(".maps");

/* The lookup's result is the program's return value, so it cannot be optimised away. */
#define LOOKUP(m)                                                              \
	HOOK int m##_lookup(CTX *ctx)                                          \
	{                                                                      \
		__u32 key = next_index() & MASK;                               \
		return bpf_map_lookup_elem(&m, &key) != 0;                     \
	}

#define UPDATE(m)                                                              \
	HOOK int m##_update(CTX *ctx)                                          \
	{                                                                      \
		__u32 key = next_index() & MASK;                               \
		__u64 val = 0;                                                 \
		return bpf_map_update_elem(&m, &key, &val, BPF_ANY);           \
	}

#define DELETE(m)                                                              \
	HOOK int m##_delete(CTX *ctx)                                          \
	{                                                                      \
		__u32 key = next_index() & MASK;                               \
		__u64 val = 0;                                                 \
		bpf_map_delete_elem(&m, &key);                                 \
		return bpf_map_update_elem(&m, &key, &val, BPF_ANY);           \
	}

/* Every update a new key into a full LRU map: an insert and an eviction. */
#define EVICT(m, into)                                                         \
	HOOK int m##_evict(CTX *ctx)                                           \
	{                                                                      \
		__u32 cpu = bpf_get_smp_processor_id();                        \
		__u32 key = (cpu << EVICT_KEY_BITS) |                          \
			    (next_index() & ((1 << EVICT_KEY_BITS) - 1));      \
		__u64 val = 0;                                                 \
		return bpf_map_update_elem(&into, &key, &val, BPF_ANY);        \
	}

#define PUSHPOP(m)                                                             \
	HOOK int m##_pushpop(CTX *ctx)                                         \
	{                                                                      \
		__u64 val = 0, out;                                            \
		bpf_map_push_elem(&m, &val, BPF_ANY);                          \
		return bpf_map_pop_elem(&m, &out);                             \
	}

LOOKUP(array)
UPDATE(array)
LOOKUP(percpu_array)
UPDATE(percpu_array)
LOOKUP(hash)
UPDATE(hash)
DELETE(hash)
LOOKUP(percpu_hash)
UPDATE(percpu_hash)
DELETE(percpu_hash)
LOOKUP(lru_hash)
UPDATE(lru_hash)
EVICT(lru_hash, lru_evict)
LOOKUP(lru_percpu_hash)
UPDATE(lru_percpu_hash)
EVICT(lru_percpu_hash, lrupcpu_evict)
PUSHPOP(queue)
PUSHPOP(stack)

HOOK int bloom_filter_push(CTX *ctx)
{
	__u32 val = next_index() & MASK;

	return bpf_map_push_elem(&bloom_filter, &val, BPF_ANY);
}

HOOK int bloom_filter_peek(CTX *ctx)
{
	__u32 val = next_index() & MASK;

	return bpf_map_peek_elem(&bloom_filter, &val);
}

HOOK int ringbuf_reserve(CTX *ctx)
{
	__u64 *rec = bpf_ringbuf_reserve(&ringbuf, 8, 0);

	if (!rec)
		return 1; /* no room: a drop */
	*rec = next_index();
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

HOOK int ringbuf_output(CTX *ctx)
{
	__u64 val = next_index();

	return bpf_ringbuf_output(&ringbuf, &val, sizeof(val), 0);
}

/*
 * The LPM rows work on route i of the 1,024 /24 routes 10.<i >> 8>.<i & 255>.0 that the loader's
 * `fill lpm_trie` adds: a lookup of the address .77 in it (found: returns 1), an update replacing it.
 */
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

/* Returns 0 when the tail call happened (the target's 0), 1 when it fell through (an empty slot). */
HOOK int prog_array_tailcall(CTX *ctx)
{
	bpf_tail_call(ctx, &prog_array, 0);
	return 1;
}

/*
 * 8 bytes into this CPU's perf ring, as the handler's bpf_perf_event_output. A full ring (-ENOSPC)
 * is a lost sample the loader counts (records consumed against runs), so it returns 0 as a success
 * does; any other error (no event placed for this CPU: -ENOENT, an event of another CPU:
 * -EOPNOTSUPP) is returned as a positive errno, which the bench refuses.
 */
HOOK int perf_event_array_output(CTX *ctx)
{
	__u64 val = next_index();
	long r = bpf_perf_event_output(ctx, &perf_event_array, BPF_F_CURRENT_CPU, &val, sizeof(val));

	return r == -ENOSPC ? 0 : (int)-r;
}

char LICENSE[] SEC("license") = "GPL";
