// Refused on purpose: a __kconfig extern (libbpf fills it from the running kernel's config, which the
// loader does not have). test/object-bad.test.ts expects the exact error.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("raw_tp/sys_enter")
int version(void *ctx)
{
	return LINUX_KERNEL_VERSION > 0x60000 ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
