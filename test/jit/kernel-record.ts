// Records what the live kernel says for each straight-line case of cases.ts: the low and high
// halves of r0 (test_run reports 32 bits, so the high half is a second run with r0 >>= 32
// appended). Run as root where bpftool works: `npx tsx test/jit/kernel-record.ts`; it rewrites
// kernel-results.json, which test/jit-isa.test.ts compares the translator against.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { R0 } from './asm.js';
import { KERNEL_CASES, program } from './cases.js';
import { kernelRelease, kernelRetval, objectFromInsns } from './kernel-run.js';

const dir = mkdtempSync(join(tmpdir(), 'jit-record-'));
const results: Record<string, { lo: number; hi: number }> = {};
let i = 0;
try {
  for (const c of KERNEL_CASES) {
    const lo = kernelRetval(objectFromInsns(program(c), dir, `c${i}lo`));
    const hi = kernelRetval(objectFromInsns(program(c, (a) => a.alu64('rsh', R0, { imm: 32 })), dir, `c${i}hi`));
    results[c.name] = { lo, hi };
    i++;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const out = {
  note: 'r0 of each case of test/jit/cases.ts as the live kernel computed it (bpftool prog load/run, tc program); written by test/jit/kernel-record.ts',
  kernel: kernelRelease(),
  recorded: new Date().toISOString().slice(0, 10),
  results,
};
writeFileSync(new URL('./kernel-results.json', import.meta.url), `${JSON.stringify(out, null, 1)}\n`);
console.log(`recorded ${i} cases on Linux ${out.kernel}`);
