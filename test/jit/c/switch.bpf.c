// A switch with scattered cases and side effects in each arm, so clang keeps compare chains rather
// than a lookup table, called from a loop.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __noinline int classify(int x, int acc)
{
	switch (x) {
	case 1: return acc * 3 + 1;
	case 2: return acc ^ 0x55;
	case 5: return acc - 17;
	case 7: return acc << 2;
	case 11: return (int)((unsigned)acc / 3);
	case 13: return -acc;
	case 100: return acc + 1000;
	case -4: return acc | 0x100;
	default: return acc + x;
	}
}

SEC("tc")
int sw(void *ctx)
{
	int acc = 1;
	for (int i = -6; i < 110; i++)
		acc = classify(i, acc);
	return acc;
}

char _license[] SEC("license") = "GPL";
