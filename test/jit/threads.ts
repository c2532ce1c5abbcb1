// Runs one translated module on simulated CPUs (node:worker_threads, one per CPU) over one shared
// memory, all released together by a start word, and collects each CPU's events and time.

import { Worker } from 'node:worker_threads';
import type { TranslatedProgram } from '../../src/jit/index.js';
import { MAPS_AT, cpuArea } from './harness.js';

/** A word in the maps area the workers count in and wait on; 1000 = go. */
const START = MAPS_AT + 0x7f0;

export async function runOnCpus(
  prog: TranslatedProgram, memory: WebAssembly.Memory, cpus: number, events: number, chunk = 1 << 20, warmupMs = 0,
): Promise<{ done: number; ns: number }[]> {
  const i32 = new Int32Array(memory.buffer);
  Atomics.store(i32, START >> 2, 0);
  const workers = Array.from({ length: cpus }, (_, cpu) =>
    new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { module: prog.module, memory, cpu, events, chunk, start: START, area: cpuArea(cpu), warmupMs } }),
  );
  const results = workers.map(
    (w) =>
      new Promise<{ done: number; ns: number }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`worker exited with ${code} before reporting`)));
      }),
  );
  // Release them together once all are instantiated, so their events overlap.
  while (Atomics.load(i32, START >> 2) < cpus) Atomics.wait(i32, START >> 2, Atomics.load(i32, START >> 2), 10);
  Atomics.store(i32, START >> 2, 1000);
  Atomics.notify(i32, START >> 2);
  try {
    return await Promise.all(results);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
