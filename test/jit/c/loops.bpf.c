// Loops as clang writes them: a counted loop with a bound the compiler cannot see (volatile), a
// nested loop, and a while loop with an early break. The extra constant bounds are for the
// kernel's verifier, which cannot see the volatile values either.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int loops(void *ctx)
{
	volatile int n = 100, m = 13;
	unsigned long long s = 0;
	for (int i = 0; i < n && i < 200; i++)
		s += (unsigned long long)i * i;
	for (int i = 0; i < 7; i++)
		for (int j = 0; j < m && j < 20; j++)
			s ^= (s << 3) + i * j;
	unsigned int x = 27, steps = 0;
	while (x != 1 && steps < 1000) {
		x = (x & 1) ? 3 * x + 1 : x / 2;
		steps++;
	}
	return (int)(s ^ (s >> 32)) + steps;
}

char _license[] SEC("license") = "GPL";
