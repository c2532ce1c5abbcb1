// bpf_loop with a static callback: the callback's context lives on the caller's stack.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct acc { unsigned long long sum; int stop_at; };

static int step(__u32 i, void *data)
{
	struct acc *a = data;
	a->sum = a->sum * 31 + i;
	return i == (__u32)a->stop_at ? 1 : 0;
}

SEC("tc")
int loop(void *ctx)
{
	struct acc a = { .sum = 1, .stop_at = 20 };
	long n = bpf_loop(50, step, &a, 0);
	struct acc b = { .sum = 5, .stop_at = -1 };
	long m = bpf_loop(10, step, &b, 0);
	return (int)(a.sum + b.sum) + n * 1000 + m * 100000;
}

char _license[] SEC("license") = "GPL";
