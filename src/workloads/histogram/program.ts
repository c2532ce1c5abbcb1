// A log2 latency histogram in a PERCPU_ARRAY, as bcc's funclatency/biolatency keep one: each CPU
// adds to its own copy of the slot, user space sums the CPUs and prints the distribution.
//
// Latencies are simulated: a fixed integer mix of the CPU and the event number spreads them over
// roughly 1 µs to 1 ms, so every run with the same events gives the same histogram.

import { defineProgram } from '../../cpu/program.js';
import { bpf_map_lookup_elem } from '../../maps/helpers.js';
import { struct, u64 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';

export const MAX_SLOTS = 64;
export const Slot = struct({ count: u64 });

const hist = declareMap({ type: 'percpu_array', keySize: 4, valueSize: Slot.size, maxEntries: MAX_SLOTS, name: 'hist', value: Slot });

/** bcc's bpf_log2l(): 0 for 0, else floor(log2(v)) + 1. */
export function log2l(v: number): number {
  return v === 0 ? 0 : Math.floor(Math.log2(v)) + 1;
}

/** The simulated latency of event `i` on `cpu`, in nanoseconds (a murmur3-style mix, then a log-spread). */
export function simulatedLatencyNs(cpu: number, i: number): number {
  let h = Math.imul(i ^ (cpu << 24), 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  // Two dice of 0..5 make a peaked spread of octaves 2^10 .. 2^20 ns, like real latencies.
  const octave = ((h & 0xff) % 6) + (((h >>> 8) & 0xff) % 6);
  return (1024 << octave) + ((h >>> 16) & 1023);
}

export default defineProgram({
  name: 'histogram',
  maps: { hist },
  handlers: {
    'kretprobe/vfs_read'(ctx) {
      const slot = log2l(simulatedLatencyNs(ctx.cpu, ctx.index));
      const v = bpf_map_lookup_elem(hist, slot < MAX_SLOTS ? slot : MAX_SLOTS - 1);
      if (v !== null) v.count += 1;
      return 0;
    },
  },
});
