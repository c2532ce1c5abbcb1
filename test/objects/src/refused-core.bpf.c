// Refused on purpose: a CO-RE field access (preserve_access_index makes clang record a relocation
// in .BTF.ext that only the running kernel's BTF can resolve).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct task_like {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

SEC("raw_tp/sys_enter")
int core_read(struct task_like *t)
{
	return t->tgid;
}

char LICENSE[] SEC("license") = "GPL";
