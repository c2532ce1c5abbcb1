// What BPF_PROG_TEST_RUN accepts for each program type (net/bpf/test_run.c), checked with programs
// that return something of their input: tc and xdp take a packet of at least 14 bytes and may
// write it (data_out), raw_tp takes up to 12 u64 arguments, syscall takes any context and writes it
// back; tracepoint and kprobe programs cannot be test-run at all.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* returns the packet length plus its byte 14; writes 0xee into byte 15 */
SEC("tc")
int tc_len(struct __sk_buff *skb)
{
	__u8 *d = (void *)(long)skb->data;

	if ((void *)(d + 16) > (void *)(long)skb->data_end)
		return skb->len;
	d[15] = 0xee;
	return skb->len + d[14];
}

SEC("xdp")
int xdp_len(struct xdp_md *x)
{
	__u8 *d = (void *)(long)x->data;

	if ((void *)(d + 16) > (void *)(long)x->data_end)
		return (int)(x->data_end - x->data);
	d[15] ^= 0xff;
	return (int)(x->data_end - x->data) + d[14];
}

/* the sum of its first three arguments */
SEC("raw_tp/sys_enter")
int raw_args(__u64 *ctx)
{
	return (int)(ctx[0] + ctx[1] + ctx[2]);
}

struct sctx {
	__u32 in;
	__u32 out;
};

/* writes in * 2 into its context */
SEC("syscall")
int sys_double(struct sctx *c)
{
	c->out = c->in * 2;
	return c->in + 1;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int tp(void *ctx)
{
	return 0;
}

SEC("kprobe/__x64_sys_getpid")
int kp(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
