// bpf_trace_printk's return value: the length of the formatted line (what lands in trace_pipe is
// not compared: the kernel's trace buffer is shared with everything else on the machine), and
// -EINVAL for a format the helper refuses at run time. The input picks the case.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct in {
	__u64 which;
	__u64 a;
	__u64 b;
	__u64 c;
};

SEC("syscall")
int printk(struct in *ctx)
{
	__u64 a = ctx->a, b = ctx->b, c = ctx->c;
	char word[] = "word";

	switch (ctx->which) {
	case 0: return bpf_printk("hello");
	case 1: return bpf_printk("a=%d", (int)a);
	case 2: return bpf_printk("a=%u b=%u", (__u32)a, (__u32)b);
	case 3: return bpf_printk("%x-%lx-%llx", (__u32)a, b, c);
	case 4: return bpf_printk("%lld %lli %llu", a, b, c);
	case 5: return bpf_printk("%s!", word);
	case 6: return bpf_printk("%c%c", (char)a, (char)b);
	case 7: return bpf_printk("100%%");
	case 8: return bpf_printk("%5d|%-5d|%05d", (int)a, (int)b, (int)c);
	case 9: {
		/* fmt_size one short: the last byte is not the terminating NUL */
		static const char fmt[] = "cut %d";
		return bpf_trace_printk(fmt, sizeof(fmt) - 1, a);
	}
	case 10: {
		/* a specifier the helper does not know */
		static const char fmt[] = "%q";
		return bpf_trace_printk(fmt, sizeof(fmt), a);
	}
	case 11: {
		/* more specifiers than arguments */
		static const char fmt[] = "%d %d %d %d";
		return bpf_trace_printk(fmt, sizeof(fmt), a, b, c);
	}
	case 12: return bpf_printk("%px", a);
	case 13: return bpf_printk("line\n");
	}
	return -1;
}

char LICENSE[] SEC("license") = "GPL";
