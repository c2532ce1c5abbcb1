// BPF_PROG_TEST_RUN's argument rules (the kernel's net/bpf/test_run.c, Linux 6.18): which program
// types can be test-run at all, and which inputs each refuses before the program runs, with the
// errno it answers. Runtime.testRun applies them, then runs the program on one CPU.
//
//   type               input                      refused with
//   tc, socket, ...    packet < 14 or > 3712      EINVAL   (bpf_test_init: ETH_HLEN; a page less
//                                                           NET_SKB_PAD and skb_shared_info)
//                      __sk_buff ctx: bytes past   E2BIG    (bpf_check_uarg_tail_zero)
//                      192 not zero
//                      ctx fields test_run does    EINVAL   (convert___skb_to_skb: only mark,
//                      not take, not zero                   priority, ingress_ifindex, ifindex, cb,
//                                                           tstamp, wire_len, gso_segs, gso_size,
//                                                           hwtstamp may be set)
//   xdp                packet < 14                EINVAL
//   raw_tp             a packet, a repeat         EINVAL
//                      ctx > 96 bytes (12 args)   EINVAL
//                      ctx < what it reads        EINVAL   (prog->aux->max_ctx_offset)
//   syscall            a packet, a repeat         EINVAL
//                      ctx > 65535 bytes          EINVAL
//                      ctx < what it reads        EINVAL
//   kprobe, tracepoint, perf_event, ...           ENOTSUPP (their prog ops have no test_run)
//
// Checked against the live kernel (the limits 3712 and 65535 by running at and past them). What
// test_run accepts but percpu-maps does not model is a RunError saying so, never a silent run:
// an xdp_md context, an XDP packet past 3520 bytes (the kernel puts the rest in fragments), the
// fentry family (the kernel runs them through its own bpf_fentry_test functions).

import type { ProgramType } from '../object/index.js';

export type TestRunErrno = 'EINVAL' | 'E2BIG' | 'ENOTSUPP';

/** The input of one test run. */
export interface TestRunInput {
  data?: Uint8Array;
  ctx?: Uint8Array;
  /** Runs; 0 or absent: one (the kernel's repeat). */
  repeat?: number;
}

const ETH_HLEN = 14;
/** PAGE_SIZE - NET_SKB_PAD (64) - SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) (320), x86-64. */
export const SKB_MAX_DATA = 3712;
/** PAGE_SIZE - XDP_PACKET_HEADROOM (256) - the shared info (320): the linear part of a test-run frame. */
export const XDP_MAX_LINEAR = 3520;
/** MAX_BPF_FUNC_ARGS u64 arguments. */
const RAW_TP_MAX_CTX = 12 * 8;
const SYSCALL_MAX_CTX = 0xffff;
const SK_BUFF_SIZE = 192;
/** struct __sk_buff byte ranges test_run copies into its skb; every other byte must be zero. */
const SKB_CTX_FIELDS: readonly (readonly [number, number])[] = [
  [8, 12], // mark
  [32, 44], // priority, ingress_ifindex, ifindex
  [48, 68], // cb[5]
  [152, 168], // tstamp, wire_len, gso_segs
  [176, 180], // gso_size
  [184, 192], // hwtstamp
];

const SKB_TYPES: ReadonlySet<ProgramType> = new Set<ProgramType>(['socket', 'tc', 'tcx', 'action', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local']);
const NO_TEST_RUN: ReadonlySet<ProgramType> = new Set<ProgramType>([
  'kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'ksyscall', 'kretsyscall', 'usdt', 'kprobe.multi', 'kretprobe.multi', 'tracepoint',
  'perf_event', 'sk_skb', 'sk_msg', 'sockops', 'lirc_mode2', 'cgroup_sock', 'cgroup_sock_addr', 'cgroup_sysctl', 'cgroup_sockopt',
  'cgroup_device', 'sk_reuseport',
]);

/** Refused by the kernel: the errno and why. */
export interface TestRunRefusal {
  errno: TestRunErrno;
  why: string;
}

/** What test_run accepts but percpu-maps does not run: why (a RunError), or null. */
export function testRunUnsupported(type: ProgramType, input: TestRunInput): string | null {
  if (type === 'xdp' && input.ctx !== undefined) return 'an xdp_md context from user space is not modelled: run XDP programs with a packet only';
  if (type === 'xdp' && input.data !== undefined && input.data.length > XDP_MAX_LINEAR) {
    return `an XDP packet of ${input.data.length} bytes: the kernel keeps ${XDP_MAX_LINEAR} in the frame and the rest in fragments, which percpu-maps does not model`;
  }
  if (SKB_TYPES.has(type) || NO_TEST_RUN.has(type) || type === 'xdp' || type === 'raw_tp' || type === 'raw_tp.w' || type === 'syscall') return null;
  return `test runs of ${type} programs are not modelled (the kernel runs tracing programs through its own test functions)`;
}

/**
 * Why BPF_PROG_TEST_RUN would refuse this run before the program runs, or null. `ctxEnd` is the
 * end of the program's furthest context access (the verifier's max_ctx_offset).
 */
export function testRunRefusal(type: ProgramType, ctxEnd: number, input: TestRunInput): TestRunRefusal | null {
  const { data, ctx } = input;
  const repeat = input.repeat ?? 0;
  const no = (errno: TestRunErrno, why: string): TestRunRefusal => ({ errno, why });
  if (NO_TEST_RUN.has(type)) return no('ENOTSUPP', `${type} programs cannot be test-run (their program type has no test_run)`);
  if (SKB_TYPES.has(type) || type === 'xdp') {
    const size = data?.length ?? 0;
    if (size < ETH_HLEN) return no('EINVAL', `the packet is ${size} bytes; test_run needs at least ${ETH_HLEN} (an Ethernet header)`);
    if (type === 'xdp') return null;
    if (size > SKB_MAX_DATA) return no('EINVAL', `the packet is ${size} bytes; an skb test run takes at most ${SKB_MAX_DATA}`);
    if (ctx === undefined) return null;
    if (ctx.subarray(SK_BUFF_SIZE).some((b) => b !== 0)) return no('E2BIG', `the context is ${ctx.length} bytes with non-zero bytes past struct __sk_buff (${SK_BUFF_SIZE})`);
    for (let i = 0; i < Math.min(ctx.length, SK_BUFF_SIZE); i++) {
      if (ctx[i] !== 0 && !SKB_CTX_FIELDS.some(([lo, hi]) => i >= lo && i < hi)) {
        return no('EINVAL', `__sk_buff byte ${i} is set; test_run takes only mark, priority, ifindex, cb, tstamp, wire_len, gso_segs, gso_size and hwtstamp`);
      }
    }
    return null;
  }
  const raw = type === 'raw_tp' || type === 'raw_tp.w';
  if (raw || type === 'syscall') {
    if (data !== undefined) return no('EINVAL', `${type} programs take no packet (data_in), only a context`);
    if (repeat !== 0) return no('EINVAL', `${type} programs take no repeat (not even 1)`);
    const size = ctx?.length ?? 0;
    const max = raw ? RAW_TP_MAX_CTX : SYSCALL_MAX_CTX;
    if (size > max) return no('EINVAL', `the context is ${size} bytes; ${type} takes at most ${max}`);
    if (size < ctxEnd) return no('EINVAL', `the context is ${size} bytes, but the program reads or writes it up to byte ${ctxEnd}`);
  }
  return null;
}
