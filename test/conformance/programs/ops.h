/* The map-op interpreter shared by the map-helper scenario programs: the input (packet or context)
 * names an operation, a key, a value, flags and a CPU; the program calls the one helper that
 * operation names and returns what the helper returned (r0 as test_run reports it, truncated to
 * u32), copying any value it reads into the global `out` so the dump of .bss shows it. */
#ifndef OPS_H
#define OPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum {
	OP_LOOKUP = 1,        /* r = lookup; NULL -> 1, else copy *r to out and return 0 */
	OP_UPDATE = 2,        /* return update(key, val, flags) */
	OP_DELETE = 3,        /* return delete(key) */
	OP_BUMP = 4,          /* r = lookup; NULL -> 1, else the value's first u32 += 1 through r, return 0 */
	OP_LOOKUP_PERCPU = 5, /* r = lookup_percpu_elem(key, cpu); NULL -> 1, else copy to out, return 0 */
	OP_CPU = 6,           /* return bpf_get_smp_processor_id() */
	OP_PUSH = 7,          /* return push(val, flags) */
	OP_POP = 8,           /* rc = pop(out) */
	OP_PEEK = 9,          /* rc = peek(out) */
	OP_UPDATE_LOOKUP = 10,/* rc = update(key, val, flags); then lookup: NULL -> rc | 0x100, else copy to out, return rc */
};

#define ARGS_T(key_t, val_t)                                                                           \
	struct {                                                                                       \
		__u32 op;                                                                              \
		__u32 cpu;                                                                             \
		__u64 flags;                                                                           \
		key_t key __attribute__((aligned(8)));                                                 \
		val_t val __attribute__((aligned(8)));                                                 \
	}

/* A keyed map (array and hash families). percpu: the map is per-CPU (lookup_percpu_elem exists). */
#define KEYED_OPS(map, a, out, percpu)                                                                 \
	({                                                                                             \
		long __r = -1;                                                                         \
		void *__p;                                                                             \
		switch ((a)->op) {                                                                     \
		case OP_LOOKUP:                                                                        \
			__p = bpf_map_lookup_elem(&map, &(a)->key);                                    \
			if (!__p) { __r = 1; break; }                                                  \
			__builtin_memcpy(&(out), __p, sizeof(out));                                    \
			__r = 0;                                                                       \
			break;                                                                         \
		case OP_UPDATE:                                                                        \
			__r = bpf_map_update_elem(&map, &(a)->key, &(a)->val, (a)->flags);             \
			break;                                                                         \
		case OP_DELETE:                                                                        \
			__r = bpf_map_delete_elem(&map, &(a)->key);                                    \
			break;                                                                         \
		case OP_BUMP:                                                                          \
			__p = bpf_map_lookup_elem(&map, &(a)->key);                                    \
			if (!__p) { __r = 1; break; }                                                  \
			(*(__u32 *)__p)++;                                                             \
			__r = 0;                                                                       \
			break;                                                                         \
		case OP_LOOKUP_PERCPU:                                                                 \
			if (!(percpu)) break;                                                          \
			__p = bpf_map_lookup_percpu_elem(&map, &(a)->key, (a)->cpu);                   \
			if (!__p) { __r = 1; break; }                                                  \
			__builtin_memcpy(&(out), __p, sizeof(out));                                    \
			__r = 0;                                                                       \
			break;                                                                         \
		case OP_CPU:                                                                           \
			__r = bpf_get_smp_processor_id();                                              \
			break;                                                                         \
		case OP_UPDATE_LOOKUP:                                                                 \
			__r = bpf_map_update_elem(&map, &(a)->key, &(a)->val, (a)->flags);             \
			__p = bpf_map_lookup_elem(&map, &(a)->key);                                    \
			if (!__p) { __r |= 0x100; break; }                                             \
			__builtin_memcpy(&(out), __p, sizeof(out));                                    \
			break;                                                                         \
		}                                                                                      \
		__r;                                                                                   \
	})

/* A keyless map (queue, stack; bloom filter: push and peek only). */
#define KEYLESS_OPS(map, a, out, can_pop)                                                              \
	({                                                                                             \
		long __r = -1;                                                                         \
		switch ((a)->op) {                                                                     \
		case OP_PUSH:                                                                          \
			__r = bpf_map_push_elem(&map, &(a)->val, (a)->flags);                          \
			break;                                                                         \
		case OP_POP:                                                                           \
			if (!(can_pop)) break;                                                         \
			__r = bpf_map_pop_elem(&map, &(out));                                          \
			break;                                                                         \
		case OP_PEEK:                                                                          \
			/* a bloom filter's peek tests membership of the value given */                \
			if (!(can_pop)) __builtin_memcpy(&(out), &(a)->val, sizeof(out));             \
			__r = bpf_map_peek_elem(&map, &(out));                                         \
			break;                                                                         \
		case OP_CPU:                                                                           \
			__r = bpf_get_smp_processor_id();                                              \
			break;                                                                         \
		}                                                                                      \
		__r;                                                                                   \
	})

/* The arguments of a tc or xdp program: after a 14-byte Ethernet header of the test packet. */
#define PACKET_ARGS(args_t, start, end)                                                                \
	({                                                                                             \
		args_t *__a = (void *)(long)(start) + 14;                                              \
		if ((void *)(__a + 1) > (void *)(long)(end))                                           \
			__a = 0;                                                                       \
		__a;                                                                                   \
	})

#endif
