// Refused on purpose: a call to a kernel function (kfunc), which lives in the kernel, not in helpers.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern void bpf_rcu_read_lock(void) __ksym;

SEC("tc")
int kfunc_call(struct __sk_buff *skb)
{
	bpf_rcu_read_lock();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
