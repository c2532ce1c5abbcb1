// The ring-buffer throughput program (see ringbuf.ts): every event submits one 16-byte record
// { cpu, pad, seq } to one shared ring, as an execsnoop-like tool does.
//
//   kprobe/output   bpf_ringbuf_output from the CPU's own scratch buffer (a program's stack record)
//   kprobe/reserve  bpf_ringbuf_reserve of the struct, fill the fields in place, bpf_ringbuf_submit
//
// A refused record (no room) is counted in this CPU's slot of `refused`, as a tool counts its drops.

import { defineProgram, type ProbeContext } from '../../cpu/program.js';
import { bpf_map_lookup_elem } from '../../maps/helpers.js';
import { bpf_ringbuf_output, bpf_ringbuf_reserve, bpf_ringbuf_submit } from '../../maps/ringbuf-helpers.js';
import { struct, u32, u64 } from '../../maps/layout.js';
import { declareMap } from '../../maps/syscall.js';

export const Rec = struct({ cpu: u32, pad: u32, seq: u64 });
export const Refused = struct({ n: u64 });
/** 8 MiB: room for 349,525 records of 24 bytes (16 + the 8-byte header). */
export const RING_BYTES = 1 << 23;

const rb = declareMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: RING_BYTES, name: 'rb' });
const refused = declareMap({ type: 'percpu_array', keySize: 4, valueSize: Refused.size, maxEntries: 1, name: 'refused', value: Refused });

// This CPU's scratch record for bpf_ringbuf_output (one per thread, like a per-CPU stack buffer).
const scratch = new Uint8Array(Rec.size);
const scratch32 = new Uint32Array(scratch.buffer);

function refuse(): void {
  const r = bpf_map_lookup_elem(refused, 0);
  if (r !== null) r.n += 1;
}

export default defineProgram({
  name: 'ringbuf-throughput',
  maps: { rb, refused },
  handlers: {
    'kprobe/output'(ctx: ProbeContext) {
      scratch32[0] = ctx.cpu;
      scratch32[2] = ctx.index; // event numbers stay below 2^32 here: the high word stays 0
      if (bpf_ringbuf_output(rb, scratch, 0) !== 0) refuse();
    },
    'kprobe/reserve'(ctx: ProbeContext) {
      const r = bpf_ringbuf_reserve(rb, Rec.size, 0, Rec);
      if (r === null) {
        refuse();
        return;
      }
      r.cpu = ctx.cpu;
      r.pad = 0;
      r.seq = ctx.index;
      bpf_ringbuf_submit(r, 0);
    },
  },
});
