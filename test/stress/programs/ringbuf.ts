// Stress program: every event makes one record { cpu, seq, check, ~seq, pattern } in one ring
// buffer: mostly reserve + fill + submit, every 8th through bpf_ringbuf_output. 'tc/produce' also
// reserves and discards every 32nd, and drops a record when the ring is full (as a kernel program
// must); 'tc/produce-all' waits a moment and tries again instead, so every record gets through.
// Per-CPU counts say what was committed, discarded, refused for lack of room, and retried.
import { defineProgram } from '../../../src/cpu/program.js';
import { bpf_map_lookup_elem } from '../../../src/maps/helpers.js';
import { bpf_ringbuf_discard, bpf_ringbuf_output, bpf_ringbuf_reserve, bpf_ringbuf_submit } from '../../../src/maps/ringbuf-helpers.js';
import { struct, u32, u64 } from '../../../src/maps/layout.js';
import { declareMap } from '../../../src/maps/syscall.js';

export const Rec = struct({ cpu: u32, seq: u32, crc: u32, inv: u32, pad0: u32, pad1: u32, pad2: u32, pad3: u32 });
export const RB_CFG = struct({ committed: u64, discarded: u64, refused: u64, retries: u64 });

const rb = declareMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 1 << 22, name: 'rb' });
const counts = declareMap({ type: 'percpu_array', keySize: 4, valueSize: RB_CFG.size, maxEntries: 1, name: 'counts', value: RB_CFG });

const scratch = new Uint8Array(Rec.size);
const dv = new DataView(scratch.buffer);
// A word only this CPU waits on: a 50 us pause that gives the core to the consumer.
const pause = new Int32Array(new SharedArrayBuffer(4));

type Counts = { committed: number; discarded: number; refused: number; retries: number };

function produce(cpu: number, seq: number, c: Counts, retry: boolean): void {
  const check = (Math.imul(seq, 0x9e3779b1) ^ cpu) >>> 0;
  if ((seq & 7) === 7) {
    dv.setUint32(0, cpu, true);
    dv.setUint32(4, seq, true);
    dv.setUint32(8, check, true);
    dv.setUint32(12, ~seq >>> 0, true);
    while (bpf_ringbuf_output(rb, scratch, 0) !== 0) {
      if (!retry) { c.refused += 1; return; }
      c.retries += 1;
      Atomics.wait(pause, 0, 0, 0.05);
    }
    c.committed += 1;
    return;
  }
  let r = bpf_ringbuf_reserve(rb, Rec.size, 0, Rec);
  while (r === null) {
    if (!retry) { c.refused += 1; return; }
    c.retries += 1;
    Atomics.wait(pause, 0, 0, 0.05);
    r = bpf_ringbuf_reserve(rb, Rec.size, 0, Rec);
  }
  // Fields in an order that leaves the record inconsistent until the last store.
  r.inv = ~seq >>> 0;
  r.cpu = cpu;
  r.seq = seq;
  r.pad0 = r.pad1 = r.pad2 = r.pad3 = 0xabababab;
  r.crc = check;
  if (!retry && (seq & 31) === 30) {
    bpf_ringbuf_discard(r, 0);
    c.discarded += 1;
  } else {
    bpf_ringbuf_submit(r, 0);
    c.committed += 1;
  }
}

export default defineProgram({
  maps: { rb, counts },
  handlers: {
    'tc/produce'(ctx) {
      const c = bpf_map_lookup_elem(counts, 0);
      if (c !== null) produce(ctx.cpu, ctx.index, c, false);
      return 0;
    },
    'tc/produce-all'(ctx) {
      const c = bpf_map_lookup_elem(counts, 0);
      if (c !== null) produce(ctx.cpu, ctx.index, c, true);
      return 0;
    },
  },
});
