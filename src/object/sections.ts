// libbpf's table of SEC() names (section_defs in libbpf.c): the section a program sits in says its
// type and what it attaches to. Two match rules, as libbpf's sec_def_matches:
//   'exact'  the whole name ("tc", "xdp", "syscall", "cgroup_skb/ingress")
//   'plus'   the name alone or followed by '/' and the attach point ("kprobe" or "kprobe/do_sys_open")
// First match wins, so fixed longer names come before their prefixes ("tc/ingress" before "tc").
// '.s' variants are the sleepable forms of the same types. A leading '?' (SEC("?tc")) means "do
// not load unless asked"; it is not part of the match.
import type { ProgramType } from './types.js';

// enum bpf_prog_type
export const BPF_PROG_TYPE = {
  SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6, PERF_EVENT: 7,
  CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12, SOCK_OPS: 13, SK_SKB: 14,
  CGROUP_DEVICE: 15, SK_MSG: 16, RAW_TRACEPOINT: 17, CGROUP_SOCK_ADDR: 18, LWT_SEG6LOCAL: 19,
  LIRC_MODE2: 20, SK_REUSEPORT: 21, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23, RAW_TRACEPOINT_WRITABLE: 24,
  CGROUP_SOCKOPT: 25, TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29, SK_LOOKUP: 30, SYSCALL: 31,
  NETFILTER: 32,
} as const;

// enum bpf_attach_type (the ones the table uses)
export const BPF_ATTACH = {
  CGROUP_INET_INGRESS: 0, CGROUP_INET_EGRESS: 1, CGROUP_INET_SOCK_CREATE: 2, CGROUP_SOCK_OPS: 3,
  SK_SKB_STREAM_PARSER: 4, SK_SKB_STREAM_VERDICT: 5, CGROUP_DEVICE: 6, SK_MSG_VERDICT: 7,
  CGROUP_INET4_BIND: 8, CGROUP_INET6_BIND: 9, CGROUP_INET4_CONNECT: 10, CGROUP_INET6_CONNECT: 11,
  CGROUP_INET4_POST_BIND: 12, CGROUP_INET6_POST_BIND: 13, CGROUP_UDP4_SENDMSG: 14, CGROUP_UDP6_SENDMSG: 15,
  LIRC_MODE2: 16, FLOW_DISSECTOR: 17, CGROUP_SYSCTL: 18, CGROUP_UDP4_RECVMSG: 19, CGROUP_UDP6_RECVMSG: 20,
  CGROUP_GETSOCKOPT: 21, CGROUP_SETSOCKOPT: 22, TRACE_RAW_TP: 23, TRACE_FENTRY: 24, TRACE_FEXIT: 25,
  MODIFY_RETURN: 26, LSM_MAC: 27, TRACE_ITER: 28, CGROUP_INET4_GETPEERNAME: 29, CGROUP_INET6_GETPEERNAME: 30,
  CGROUP_INET4_GETSOCKNAME: 31, CGROUP_INET6_GETSOCKNAME: 32, XDP_DEVMAP: 33, CGROUP_INET_SOCK_RELEASE: 34,
  XDP_CPUMAP: 35, SK_LOOKUP: 36, XDP: 37, SK_SKB_VERDICT: 38, SK_REUSEPORT_SELECT: 39,
  SK_REUSEPORT_SELECT_OR_MIGRATE: 40, TRACE_KPROBE_MULTI: 42, LSM_CGROUP: 43, NETFILTER: 45,
  TCX_INGRESS: 46, TCX_EGRESS: 47,
} as const;

export interface SectionDef {
  sec: string;
  match: 'exact' | 'plus';
  type: ProgramType;
  progType: number;
  attachType: number;
}

const P = BPF_PROG_TYPE;
const A = BPF_ATTACH;
const def = (sec: string, match: SectionDef['match'], type: ProgramType, progType: number, attachType = 0): SectionDef => ({ sec, match, type, progType, attachType });

export const SECTION_DEFS: readonly SectionDef[] = [
  def('socket', 'exact', 'socket', P.SOCKET_FILTER),
  def('sk_reuseport/migrate', 'exact', 'sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE),
  def('sk_reuseport', 'exact', 'sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT),
  def('kprobe', 'plus', 'kprobe', P.KPROBE),
  def('uprobe', 'plus', 'uprobe', P.KPROBE),
  def('kretprobe', 'plus', 'kretprobe', P.KPROBE),
  def('uretprobe', 'plus', 'uretprobe', P.KPROBE),
  def('uprobe.s', 'plus', 'uprobe', P.KPROBE),
  def('uretprobe.s', 'plus', 'uretprobe', P.KPROBE),
  def('kprobe.multi', 'plus', 'kprobe.multi', P.KPROBE, A.TRACE_KPROBE_MULTI),
  def('kretprobe.multi', 'plus', 'kretprobe.multi', P.KPROBE, A.TRACE_KPROBE_MULTI),
  def('ksyscall', 'plus', 'ksyscall', P.KPROBE),
  def('kretsyscall', 'plus', 'kretsyscall', P.KPROBE),
  def('usdt', 'plus', 'usdt', P.KPROBE),
  def('tc/ingress', 'exact', 'tcx', P.SCHED_CLS, A.TCX_INGRESS),
  def('tc/egress', 'exact', 'tcx', P.SCHED_CLS, A.TCX_EGRESS),
  def('tcx/ingress', 'exact', 'tcx', P.SCHED_CLS, A.TCX_INGRESS),
  def('tcx/egress', 'exact', 'tcx', P.SCHED_CLS, A.TCX_EGRESS),
  def('tc', 'exact', 'tc', P.SCHED_CLS),
  def('classifier', 'exact', 'tc', P.SCHED_CLS),
  def('action', 'exact', 'action', P.SCHED_ACT),
  def('tracepoint', 'plus', 'tracepoint', P.TRACEPOINT),
  def('tp', 'plus', 'tracepoint', P.TRACEPOINT),
  def('tracepoint.s', 'plus', 'tracepoint', P.TRACEPOINT),
  def('tp.s', 'plus', 'tracepoint', P.TRACEPOINT),
  def('raw_tracepoint', 'plus', 'raw_tp', P.RAW_TRACEPOINT),
  def('raw_tp', 'plus', 'raw_tp', P.RAW_TRACEPOINT),
  def('raw_tracepoint.s', 'plus', 'raw_tp', P.RAW_TRACEPOINT),
  def('raw_tp.s', 'plus', 'raw_tp', P.RAW_TRACEPOINT),
  def('raw_tracepoint.w', 'plus', 'raw_tp.w', P.RAW_TRACEPOINT_WRITABLE),
  def('raw_tp.w', 'plus', 'raw_tp.w', P.RAW_TRACEPOINT_WRITABLE),
  def('tp_btf', 'plus', 'tp_btf', P.TRACING, A.TRACE_RAW_TP),
  def('tp_btf.s', 'plus', 'tp_btf', P.TRACING, A.TRACE_RAW_TP),
  def('fentry', 'plus', 'fentry', P.TRACING, A.TRACE_FENTRY),
  def('fmod_ret', 'plus', 'fmod_ret', P.TRACING, A.MODIFY_RETURN),
  def('fexit', 'plus', 'fexit', P.TRACING, A.TRACE_FEXIT),
  def('fentry.s', 'plus', 'fentry', P.TRACING, A.TRACE_FENTRY),
  def('fmod_ret.s', 'plus', 'fmod_ret', P.TRACING, A.MODIFY_RETURN),
  def('fexit.s', 'plus', 'fexit', P.TRACING, A.TRACE_FEXIT),
  def('freplace', 'plus', 'freplace', P.EXT),
  def('lsm', 'plus', 'lsm', P.LSM, A.LSM_MAC),
  def('lsm.s', 'plus', 'lsm', P.LSM, A.LSM_MAC),
  def('lsm_cgroup', 'plus', 'lsm_cgroup', P.LSM, A.LSM_CGROUP),
  def('iter', 'plus', 'iter', P.TRACING, A.TRACE_ITER),
  def('iter.s', 'plus', 'iter', P.TRACING, A.TRACE_ITER),
  def('syscall', 'exact', 'syscall', P.SYSCALL),
  def('xdp/devmap', 'exact', 'xdp', P.XDP, A.XDP_DEVMAP),
  def('xdp/cpumap', 'exact', 'xdp', P.XDP, A.XDP_CPUMAP),
  def('xdp', 'exact', 'xdp', P.XDP, A.XDP),
  def('perf_event', 'exact', 'perf_event', P.PERF_EVENT),
  def('lwt_in', 'exact', 'lwt_in', P.LWT_IN),
  def('lwt_out', 'exact', 'lwt_out', P.LWT_OUT),
  def('lwt_xmit', 'exact', 'lwt_xmit', P.LWT_XMIT),
  def('lwt_seg6local', 'exact', 'lwt_seg6local', P.LWT_SEG6LOCAL),
  def('sockops', 'exact', 'sockops', P.SOCK_OPS, A.CGROUP_SOCK_OPS),
  def('sk_skb/stream_parser', 'exact', 'sk_skb', P.SK_SKB, A.SK_SKB_STREAM_PARSER),
  def('sk_skb/stream_verdict', 'exact', 'sk_skb', P.SK_SKB, A.SK_SKB_STREAM_VERDICT),
  def('sk_skb/verdict', 'exact', 'sk_skb', P.SK_SKB, A.SK_SKB_VERDICT),
  def('sk_skb', 'exact', 'sk_skb', P.SK_SKB),
  def('sk_msg', 'exact', 'sk_msg', P.SK_MSG, A.SK_MSG_VERDICT),
  def('lirc_mode2', 'exact', 'lirc_mode2', P.LIRC_MODE2, A.LIRC_MODE2),
  def('flow_dissector', 'exact', 'flow_dissector', P.FLOW_DISSECTOR, A.FLOW_DISSECTOR),
  def('cgroup_skb/ingress', 'exact', 'cgroup_skb', P.CGROUP_SKB, A.CGROUP_INET_INGRESS),
  def('cgroup_skb/egress', 'exact', 'cgroup_skb', P.CGROUP_SKB, A.CGROUP_INET_EGRESS),
  def('cgroup/skb', 'exact', 'cgroup_skb', P.CGROUP_SKB),
  def('cgroup/sock_create', 'exact', 'cgroup_sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE),
  def('cgroup/sock_release', 'exact', 'cgroup_sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE),
  def('cgroup/sock', 'exact', 'cgroup_sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE),
  def('cgroup/post_bind4', 'exact', 'cgroup_sock', P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND),
  def('cgroup/post_bind6', 'exact', 'cgroup_sock', P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND),
  def('cgroup/bind4', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND),
  def('cgroup/bind6', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND),
  def('cgroup/connect4', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT),
  def('cgroup/connect6', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT),
  def('cgroup/sendmsg4', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG),
  def('cgroup/sendmsg6', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG),
  def('cgroup/recvmsg4', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG),
  def('cgroup/recvmsg6', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG),
  def('cgroup/getpeername4', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME),
  def('cgroup/getpeername6', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME),
  def('cgroup/getsockname4', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME),
  def('cgroup/getsockname6', 'exact', 'cgroup_sock_addr', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME),
  def('cgroup/sysctl', 'exact', 'cgroup_sysctl', P.CGROUP_SYSCTL, A.CGROUP_SYSCTL),
  def('cgroup/getsockopt', 'exact', 'cgroup_sockopt', P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT),
  def('cgroup/setsockopt', 'exact', 'cgroup_sockopt', P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT),
  def('cgroup/dev', 'exact', 'cgroup_device', P.CGROUP_DEVICE, A.CGROUP_DEVICE),
  def('struct_ops', 'plus', 'struct_ops', P.STRUCT_OPS),
  def('struct_ops.s', 'plus', 'struct_ops', P.STRUCT_OPS),
  def('sk_lookup', 'exact', 'sk_lookup', P.SK_LOOKUP, A.SK_LOOKUP),
  def('netfilter', 'exact', 'netfilter', P.NETFILTER, A.NETFILTER),
];

export interface SectionMatch {
  def: SectionDef;
  attachTo: string;
  autoload: boolean;
}

/**
 * The program kind of a section name, or undefined if libbpf would not know it. attachTo is what
 * follows the matched name and its '/' for 'plus' names ('kprobe/sys_clone' -> 'sys_clone'), and
 * what follows the first '/' for fixed names ('cgroup_skb/ingress' -> 'ingress').
 */
export function matchSection(section: string): SectionMatch | undefined {
  const autoload = !section.startsWith('?');
  const name = autoload ? section : section.slice(1);
  for (const d of SECTION_DEFS) {
    if (d.match === 'exact') {
      if (name !== d.sec) continue;
      const slash = name.indexOf('/');
      return { def: d, attachTo: slash >= 0 ? name.slice(slash + 1) : '', autoload };
    }
    if (name === d.sec) return { def: d, attachTo: '', autoload };
    if (name.startsWith(`${d.sec}/`)) return { def: d, attachTo: name.slice(d.sec.length + 1), autoload };
  }
  return undefined;
}
