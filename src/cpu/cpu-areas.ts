// Each simulated CPU's own part of a loaded object's memory: what the kernel keeps per CPU for a
// running program (its stack, the context it was called with, a packet for networking programs)
// plus what our translated code needs (the helper argument area, the checked-mode region table).
// One block per CPU, in the object's MapMemory after its maps; a CPU writes only its own block.
//
// Block of CPU c, at areas.base + c * CPU_BLOCK:
//   offset   size     meaning                                                   written by
//   0        4096     stack: 8 frames of 512 bytes; the main frame's r10 is     the program
//                     the block + 4096 (frames grow down)
//   4096     128      helper area: r1..r5 at +0..+32, r0 at +40 (i64 each),     translated code, helpers
//                     then scratch for helpers
//   4224     3968     region table (checked mode): i32 n, then n pairs of i32  the CPU, before each run
//                     [lo, hi): the ranges a program may touch besides its stack
//   8192     4096     context (r1 at entry): pt_regs, __sk_buff, xdp_md, ...    the CPU, before each run
//   12288    65536    packet (tc, xdp, ...): PACKET_HEADROOM, then the data     the CPU, before each run

export const STACK_BYTES = 8 * 512;
export const SCRATCH_OFF = 4096;
export const SCRATCH_BYTES = 128;
export const REGIONS_OFF = SCRATCH_OFF + SCRATCH_BYTES;
export const CTX_OFF = 8192;
export const CTX_BYTES = 4096;
export const PACKET_OFF = CTX_OFF + CTX_BYTES;
export const PACKET_BYTES = 65536;
/** Room in front of the packet data, as XDP_PACKET_HEADROOM (the kernel's test run leaves the same). */
export const PACKET_HEADROOM = 256;
/** The largest input a networking program's run takes. */
export const MAX_PACKET = PACKET_BYTES - PACKET_HEADROOM;
export const CPU_BLOCK = PACKET_OFF + PACKET_BYTES;
/** Region table entries that fit before the context. */
export const MAX_REGIONS = Math.floor((CTX_OFF - REGIONS_OFF - 4) / 8);

/** The addresses of one CPU's block. */
export interface CpuArea {
  /** r10 of the main frame (the stack is the 4096 bytes below it). */
  readonly stackTop: number;
  readonly scratch: number;
  readonly regions: number;
  readonly ctx: number;
  /** Start of the packet area (the data starts PACKET_HEADROOM bytes later). */
  readonly packet: number;
}

export function cpuArea(base: number, cpu: number): CpuArea {
  const b = base + cpu * CPU_BLOCK;
  return { stackTop: b + STACK_BYTES, scratch: b + SCRATCH_OFF, regions: b + REGIONS_OFF, ctx: b + CTX_OFF, packet: b + PACKET_OFF };
}
