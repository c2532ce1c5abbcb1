// bpf-to-bpf calls two deep, each frame with its own stack buffer (frames must not overlap).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned long long u64;

static __noinline u64 leaf(u64 a, u64 b)
{
	volatile u64 buf[4];
	buf[0] = a; buf[1] = b; buf[2] = a ^ b; buf[3] = a + b;
	return buf[0] * 3 + buf[1] * 5 + buf[2] + buf[3];
}

static __noinline u64 mid(u64 a)
{
	volatile u64 buf[2];
	buf[0] = a;
	buf[1] = leaf(a, a + 1);
	return buf[0] + buf[1];
}

SEC("tc")
int calls(void *ctx)
{
	volatile u64 x = 7;
	volatile u64 mine[3];
	mine[0] = 1; mine[1] = 2; mine[2] = 3;
	u64 r = mid(x) + leaf(x, 2);
	return (int)(r + mine[0] + mine[1] * 10 + mine[2] * 100);
}

char _license[] SEC("license") = "GPL";
