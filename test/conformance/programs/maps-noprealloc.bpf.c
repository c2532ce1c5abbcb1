// HASH and PERCPU_HASH with BPF_F_NO_PREALLOC, from syscall programs (the context is the argument
// block, copied to the stack): elements allocated per insert, -E2BIG by count at max_entries.
#include "ops.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 3);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} hash_np SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 3);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} phash_np SEC(".maps");

typedef ARGS_T(__u32, __u64) args;

__u64 np_out;
__u64 pnp_out;

SEC("syscall")
int hash_np_ops(args *ctx)
{
	args a;

	__builtin_memcpy(&a, ctx, sizeof(a));
	return KEYED_OPS(hash_np, &a, np_out, 0);
}

SEC("syscall")
int phash_np_ops(args *ctx)
{
	args a;

	__builtin_memcpy(&a, ctx, sizeof(a));
	return KEYED_OPS(phash_np, &a, pnp_out, 1);
}

char LICENSE[] SEC("license") = "GPL";
