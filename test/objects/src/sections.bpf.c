// One small program per section kind in the loader's table of libbpf SEC() names.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("kprobe/do_sys_open") int kp(void *ctx) { return 0; }
SEC("kretprobe/do_sys_open") int krp(void *ctx) { return 1; }
SEC("tracepoint/syscalls/sys_enter_openat") int tp_long(void *ctx) { return 2; }
SEC("tp/syscalls/sys_exit_openat") int tp_short(void *ctx) { return 3; }
SEC("raw_tp/sys_enter") int raw_short(void *ctx) { return 4; }
SEC("raw_tracepoint/sys_exit") int raw_long(void *ctx) { return 5; }
SEC("tp_btf/sched_switch") int btf_tp(void *ctx) { return 6; }
SEC("fentry/do_unlinkat") int fent(void *ctx) { return 0; }
SEC("fexit/do_unlinkat") int fexi(void *ctx) { return 0; }
SEC("tc") int cls(struct __sk_buff *skb) { return 0; }
SEC("classifier") int cls_old(struct __sk_buff *skb) { return 0; }
SEC("xdp") int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }
SEC("syscall") int sys(void *ctx) { return 7; }
SEC("socket") int sock(struct __sk_buff *skb) { return 0; }
SEC("perf_event") int perf(void *ctx) { return 0; }
SEC("cgroup_skb/ingress") int cg_in(struct __sk_buff *skb) { return 1; }
SEC("cgroup_skb/egress") int cg_out(struct __sk_buff *skb) { return 1; }
SEC("lsm/file_open") int lsm_open(void *ctx) { return 0; }
SEC("uprobe") int up(void *ctx) { return 0; }
SEC("?tc") int not_autoloaded(struct __sk_buff *skb) { return 0; }

char LICENSE[] SEC("license") = "GPL";
