// Bounded loops (kernel 5.3+): a loop whose bound comes from the input (masked so the verifier
// can bound it), nested loops, a loop with early exit, and a loop walking a map's entries.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct in {
	__u64 n;
	__u64 seed;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

__u64 sums[4];

SEC("syscall")
int loops(struct in *ctx)
{
	__u64 n = ctx->n & 63, seed = ctx->seed, s = 0, t = 0, first = 99;
	__u32 i, j;

	for (i = 0; i < n; i++)
		s += seed * i + (i ^ seed);
	sums[0] = s;
	for (i = 0; i < (n & 7); i++)
		for (j = 0; j <= i; j++)
			t += i * j;
	sums[1] = t;
	for (i = 0; i < 64; i++) {
		if (((seed >> i) & 1) != 0) {
			first = i;
			break;
		}
	}
	sums[2] = first;
	s = 0;
	for (i = 0; i < 8; i++) {
		__u32 k = i;
		__u64 *v = bpf_map_lookup_elem(&vals, &k);

		if (!v)
			break;
		*v += seed + i;
		s += *v;
	}
	sums[3] = s;
	return (int)n;
}

char LICENSE[] SEC("license") = "GPL";
