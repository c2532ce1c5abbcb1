// The context a program is called with (its r1), by program type, as BPF_PROG_TEST_RUN builds it:
// networking programs get a packet and a context pointing into it (struct __sk_buff for tc,
// struct xdp_md for XDP), tracing and syscall programs get the context bytes they are given (or
// zeros: a kprobe's struct pt_regs, a tracepoint's record, a raw tracepoint's u64 arguments).
//
// The kernel rewrites a program's loads of __sk_buff->data and xdp_md->data into 64-bit pointer
// loads; here pointers are 32-bit addresses in the object's memory, so the u32 fields hold them as
// they are and the program's own loads read them.
//
// struct __sk_buff (uapi, 192 bytes), the fields we fill:
//   offset  field       value
//   0       len         the packet's length
//   16      protocol    the Ethernet type as the frame carries it (network order, e.g. 0x0008 for IPv4)
//   40      ifindex     1: the test run's device is the loopback
//   76      data        address of the packet's first byte
//   80      data_end    address one past its last byte
//   140     data_meta   = data (no metadata)
//   160     wire_len    the packet's length
// struct xdp_md (24 bytes): data 0, data_end 4, data_meta 8, ingress_ifindex 12 (1), rx_queue_index 16 (0).

import type { ProgramType } from '../object/index.js';
import { CTX_BYTES, MAX_PACKET, PACKET_HEADROOM, type CpuArea } from './cpu-areas.js';

export type CtxKind = 'skb' | 'xdp' | 'plain';

const SKB_TYPES: ReadonlySet<ProgramType> = new Set<ProgramType>(['tc', 'tcx', 'action', 'socket', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local', 'sk_skb']);

/** Which context a program of this type gets. */
export function ctxKindOf(type: ProgramType): CtxKind {
  if (type === 'xdp') return 'xdp';
  return SKB_TYPES.has(type) ? 'skb' : 'plain';
}

const SKB_SIZE = 192;
const XDP_MD_SIZE = 24;
const ETH_HLEN = 14;
/** The frame simulated events carry when a run gives no packet: 64 zero bytes. */
export const DEFAULT_PACKET = new Uint8Array(64);

/** Why a run's input does not fit the program type, or null. */
export function checkRunInput(kind: CtxKind, data: Uint8Array | undefined, ctx: Uint8Array | undefined): string | null {
  if (data !== undefined) {
    if (kind === 'plain') return 'this program type takes no packet (data); give its context bytes as ctx';
    if (data.length < ETH_HLEN) return `data is ${data.length} bytes; a packet needs at least ${ETH_HLEN} (an Ethernet header), as BPF_PROG_TEST_RUN requires`;
    if (data.length > MAX_PACKET) return `data is ${data.length} bytes; at most ${MAX_PACKET} fit`;
  }
  if (ctx !== undefined) {
    const max = kind === 'skb' ? SKB_SIZE : kind === 'xdp' ? XDP_MD_SIZE : CTX_BYTES;
    if (ctx.length > max) return `ctx is ${ctx.length} bytes; this program type's context is at most ${max}`;
  }
  return null;
}

/** Where the packet of a run sits (for data_out), or null for programs without one. */
export interface PacketPlace {
  readonly data: number;
  readonly length: number;
}

/**
 * Write this CPU's context (and packet) for a run and return the ranges a checked program may
 * touch besides its stack and the maps: the context, and the packet's data.
 */
export function writeContext(mem: Uint8Array, area: CpuArea, kind: CtxKind, data: Uint8Array | undefined, ctx: Uint8Array | undefined):
  { ranges: [number, number][]; packet: PacketPlace | null } {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  mem.fill(0, area.ctx, area.ctx + CTX_BYTES);
  if (ctx !== undefined) mem.set(ctx, area.ctx);
  if (kind === 'plain') return { ranges: [[area.ctx, area.ctx + CTX_BYTES]], packet: null };
  const pkt = data ?? DEFAULT_PACKET;
  const start = area.packet + PACKET_HEADROOM;
  const end = start + pkt.length;
  mem.set(pkt, start);
  if (kind === 'skb') {
    dv.setUint32(area.ctx + 0, pkt.length, true);
    dv.setUint32(area.ctx + 16, dv.getUint16(start + 12, true), true);
    dv.setUint32(area.ctx + 40, 1, true);
    dv.setUint32(area.ctx + 76, start, true);
    dv.setUint32(area.ctx + 80, end, true);
    dv.setUint32(area.ctx + 140, start, true);
    dv.setUint32(area.ctx + 160, pkt.length, true);
    return { ranges: [[area.ctx, area.ctx + SKB_SIZE], [start, end]], packet: { data: start, length: pkt.length } };
  }
  dv.setUint32(area.ctx + 0, start, true);
  dv.setUint32(area.ctx + 4, end, true);
  dv.setUint32(area.ctx + 8, start, true);
  dv.setUint32(area.ctx + 12, 1, true);
  return { ranges: [[area.ctx, area.ctx + XDP_MD_SIZE], [start, end]], packet: { data: start, length: pkt.length } };
}
