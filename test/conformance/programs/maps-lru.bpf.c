// LRU_HASH and LRU_PERCPU_HASH driven from XDP programs: inserts past max_entries evict instead of
// failing; a program's lookup sets the element's reference bit, which decides what is evicted
// next; BPF_F_NO_COMMON_LRU gives each CPU its own list. Arguments after a 14-byte header.
#include "ops.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} plru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u32);
	__type(value, __u64);
} lru_nc SEC(".maps");

typedef ARGS_T(__u32, __u64) args64;
typedef ARGS_T(__u32, __u32) args32;

__u64 lru_out;
__u32 plru_out;
__u64 lru_nc_out;

SEC("xdp")
int lru_ops(struct xdp_md *x)
{
	args64 *a = PACKET_ARGS(args64, x->data, x->data_end);

	if (!a)
		return -1;
	return KEYED_OPS(lru, a, lru_out, 0);
}

SEC("xdp")
int plru_ops(struct xdp_md *x)
{
	args32 *a = PACKET_ARGS(args32, x->data, x->data_end);

	if (!a)
		return -1;
	return KEYED_OPS(plru, a, plru_out, 1);
}

SEC("xdp")
int lru_nc_ops(struct xdp_md *x)
{
	args64 *a = PACKET_ARGS(args64, x->data, x->data_end);

	if (!a)
		return -1;
	return KEYED_OPS(lru_nc, a, lru_nc_out, 0);
}

char LICENSE[] SEC("license") = "GPL";
