// Map helpers on HASH and PERCPU_HASH maps (preallocated) from raw_tp programs, whose context is
// the tracepoint's u64 arguments: args[0] op, [1] cpu, [2] flags, [3] key, [4] value, [5] more.
// Filling to max_entries (-E2BIG), -EEXIST and -ENOENT by flag, deletes, per-CPU inserts (the
// other CPUs' slots zeroed) and bpf_map_lookup_percpu_elem of each CPU.
#include "ops.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} phash SEC(".maps");

/* An 8-byte key and a 12-byte value (not a multiple of 8: per-CPU slots are 16 bytes) */
struct v12 {
	__u32 x, y, z;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 3);
	__type(key, __u64);
	__type(value, struct v12);
} phash8 SEC(".maps");

typedef ARGS_T(__u32, __u64) args32;
typedef ARGS_T(__u64, struct v12) args64;

__u64 hash_out;
__u64 phash_out;
struct v12 phash8_out;

SEC("raw_tp/sys_enter")
int hash_ops(__u64 *ctx)
{
	args32 a = { .op = ctx[0], .cpu = ctx[1], .flags = ctx[2], .key = ctx[3], .val = ctx[4] };

	return KEYED_OPS(hash, &a, hash_out, 0);
}

SEC("raw_tp/sys_enter")
int phash_ops(__u64 *ctx)
{
	args32 a = { .op = ctx[0], .cpu = ctx[1], .flags = ctx[2], .key = ctx[3], .val = ctx[4] };

	return KEYED_OPS(phash, &a, phash_out, 1);
}

SEC("raw_tp/sys_enter")
int phash8_ops(__u64 *ctx)
{
	args64 a = { .op = ctx[0], .cpu = ctx[1], .flags = ctx[2], .key = ctx[3] };

	a.val.x = (__u32)ctx[4];
	a.val.y = (__u32)(ctx[4] >> 32);
	a.val.z = (__u32)ctx[5];
	return KEYED_OPS(phash8, &a, phash8_out, 1);
}

char LICENSE[] SEC("license") = "GPL";
