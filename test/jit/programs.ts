// The race lab's four counters as clang writes them (test/jit-threads.test.ts, bench/jit-speed.ts):
// a lookup of key 0 in a one-element map, a NULL check, then the update. Map layout in the test
// memory: map 0 ARRAY of { u64 cnt; bpf_spin_lock lock; } (16 bytes), map 1 PERCPU_ARRAY of u64.

import type { JitMap } from '../../src/jit/index.js';
import { Asm, R0, R1, R2, R6, R10 } from './asm.js';
import { MAPS_AT } from './harness.js';

export const COUNTER_VALUE = MAPS_AT + 0x1000;
export const PERCPU_VALUES = MAPS_AT + 0x2000;
export const PERCPU_STRIDE = 64;

export const COUNTER_MAPS: JitMap[] = [
  { desc: MAPS_AT, type: 2, keySize: 4, valueSize: 16, maxEntries: 1, array: { values: COUNTER_VALUE, elemSize: 16, slabStride: 0 } },
  { desc: MAPS_AT + 0x100, type: 6, keySize: 4, valueSize: 8, maxEntries: 1, array: { values: PERCPU_VALUES, elemSize: 8, slabStride: PERCPU_STRIDE } },
];

export type Strategy = 'racy' | 'atomic' | 'spinlock' | 'percpu';

export function counter(strategy: Strategy): Uint8Array {
  const a = new Asm().st('w', R10, -4, 0).movr(R2, R10).alu64('add', R2, { imm: -4 }).ldMap(R1, strategy === 'percpu' ? 1 : 0).call(1)
    .jmp('jeq', R0, { imm: 0 }, 'out');
  switch (strategy) {
    case 'racy':
    case 'percpu':
      a.ldx('dw', R1, R0, 0).alu64('add', R1, { imm: 1 }).stx('dw', R0, 0, R1);
      break;
    case 'atomic':
      a.mov64(R1, 1).atomic('dw', 'add', R0, 0, R1);
      break;
    case 'spinlock':
      a.movr(R6, R0).movr(R1, R0).alu64('add', R1, { imm: 8 }).call(93)
        .ldx('dw', R1, R6, 0).alu64('add', R1, { imm: 1 }).stx('dw', R6, 0, R1)
        .movr(R1, R6).alu64('add', R1, { imm: 8 }).call(94);
      break;
  }
  return a.label('out').mov64(R0, 0).exit().build();
}
