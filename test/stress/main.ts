// The stress suite's long form (npm run stress): 10 million operations per hash map type on 2, 4
// and 8 CPUs, 10 million lock/unlock pairs on 8 CPUs, 50 million ring buffer records from 8
// producers (waiting for room, so all arrive; then 10 million that may be dropped or discarded),
// and 100 memory cycles; 200,000 mutated eBPF objects through the loader and 20,000 through the
// whole pipeline (load, translate, run). Prints the figures; exit code 1 if anything was lost or
// a fuzzer found an error that is not the pipeline's own.
// Options: --quick (a tenth of everything), --only hash|spinlock|ringbuf|memory|fuzz.
import { availableParallelism } from 'node:os';
import { Runtime } from '../../src/cpu/runtime.js';
import { hashStress, memoryStress, ringbufStress, spinLockStress, type Figures, type HashType } from './suite.js';
import { fuzzObjects } from './object-fuzz.js';
import { fuzzPipeline } from './pipeline-fuzz.js';

const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const scale = quick ? 0.1 : 1;
const want = (name: string) => only === undefined || only === name;
const results: Figures[] = [];

function print(f: Figures): void {
  const rate = f.seconds > 0 ? `${(f.ops / f.seconds / 1e6).toFixed(2)} M/s` : '';
  const detail = Object.entries(f.detail).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ');
  process.stdout.write(`${f.name.padEnd(12)} ${String(f.cpus).padStart(2)} CPUs  ${f.ops.toLocaleString('en-US').padStart(11)} ops  ${f.seconds.toFixed(2).padStart(7)} s  ${rate.padStart(10)}  ${f.problems.length === 0 ? 'ok' : 'PROBLEMS'}  ${detail}\n`);
  for (const p of f.problems) process.stdout.write(`    ${p}\n`);
  results.push(f);
}

process.stdout.write(`percpu-maps stress (${quick ? 'quick' : 'long'} form) on ${availableParallelism()} cores, node ${process.version}\n\n`);
const t0 = performance.now();

if (want('hash')) {
  for (const cpus of [2, 4, 8]) {
    const rt = await Runtime.start({ cpus, onWarning: () => {} });
    try {
      for (const type of ['hash', 'percpu_hash', 'lru_hash'] as HashType[]) print(await hashStress(rt, type, Math.round(10_000_000 * scale)));
    } finally {
      await rt.close();
    }
  }
}
if (want('spinlock') || want('ringbuf')) {
  const rt = await Runtime.start({ cpus: 8, onWarning: () => {} });
  try {
    if (want('spinlock')) print(await spinLockStress(rt, Math.round(10_000_000 * scale)));
    if (want('ringbuf')) {
      print(await ringbufStress(rt, Math.round(50_000_000 * scale), 'retry'));
      print(await ringbufStress(rt, Math.round(10_000_000 * scale), 'drop'));
    }
  } finally {
    await rt.close();
  }
}
if (want('memory')) print(await memoryStress(Math.round(100 * Math.max(scale, 0.2)), Math.round(20 * Math.max(scale, 0.25))));
if (want('fuzz')) {
  const seed = Date.now() % 1_000_000;
  let t = performance.now();
  const o = fuzzObjects(Math.round(200_000 * scale), seed);
  print({ name: 'object-fuzz', cpus: 1, ops: o.runs, seconds: (performance.now() - t) / 1000,
    detail: { seed, opened: o.opened, refused: o.refused }, problems: o.findings.map((f) => `#${f.iteration} ${f.mutation}: ${f.error.split('\n')[0]}`) });
  t = performance.now();
  const p = fuzzPipeline(Math.round(20_000 * scale), seed);
  print({ name: 'pipe-fuzz', cpus: 1, ops: p.runs, seconds: (performance.now() - t) / 1000,
    detail: { seed, loaderRefused: p.refusedByLoader, loadRefused: p.refusedAtLoad, ran: p.ran, faulted: p.faulted },
    problems: p.findings.map((f) => `#${f.iteration} ${f.mutation}: ${f.error.split('\n')[0]}`) });
}

const bad = results.filter((r) => r.problems.length > 0);
process.stdout.write(`\n${results.length} stresses in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${bad.length === 0 ? 'nothing lost, duplicated, torn or leaked' : `${bad.length} with problems`}\n`);
process.exitCode = bad.length === 0 ? 0 : 1;
