// Global data: .bss, .data, .rodata (const volatile knobs), .rodata.str1.1 (a literal format
// string), a custom .data.extra section and a hidden global. The long object name exercises
// libbpf's internal map naming (prefix cut so the name fits the kernel's 15 characters).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 hits;                                  /* .bss, offset 0 */
__u32 misses;                                /* .bss, offset 8 */
__u64 seed_value = 0x1122334455667788ULL;    /* .data, offset 0 */
__u32 data_h = 7;                            /* .data, offset 8 */
const volatile __u32 threshold = 42;         /* .rodata */
const volatile __u64 scale = 1000;           /* .rodata */
__u32 extra_slots[4] SEC(".data.extra") = { 1, 2, 3, 4 };
__attribute__((visibility("hidden"))) __u32 hidden_counter;  /* .bss, STV_HIDDEN */

SEC("xdp")
int globals(struct xdp_md *ctx)
{
	static __u32 calls;                      /* static local: .bss, LOCAL symbol */
	calls++;
	hidden_counter++;
	if (data_h > threshold)
		misses++;
	else
		hits += scale;
	extra_slots[1] += seed_value & 0xff;
	bpf_printk("hits %llu", hits);
	bpf_trace_printk("literal %d\n", sizeof("literal %d\n"), calls);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
