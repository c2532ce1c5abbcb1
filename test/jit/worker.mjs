// One simulated CPU for test/jit-threads.test.ts and bench/jit-speed.ts: instantiates the translated
// module over the shared memory, waits for the start word, runs its events in chunks, reports.
import { parentPort, workerData } from 'node:worker_threads';

const { module, memory, cpu, events, chunk, start, area, warmupMs = 0 } = workerData;
const i32 = new Int32Array(memory.buffer);
const lockTag = (cpu + 2) << 1;
const env = {
  memory, cpu, stackTop: area.stackTop, ctx: area.ctx, scratch: area.scratch, lockTag, regions: area.regions,
  pidBase: new WebAssembly.Global({ value: 'i32', mutable: true }, 1000),
  pids: new WebAssembly.Global({ value: 'i32', mutable: true }, 1),
  fault: (kind, pc, addr) => {
    throw new Error(`fault ${kind} at ${pc} addr ${addr}`);
  },
  onReturn: () => {},
  // The contended path of the lock word protocol: spin a little, then mark a waiter (bit 0) and park.
  spinLockSlow: (addr) => {
    const i = addr >> 2;
    for (let spins = 0; ; spins++) {
      const cur = Atomics.compareExchange(i32, i, 0, spins < 100 ? lockTag : lockTag | 1);
      if (cur === 0) return;
      if (spins >= 100) {
        if ((cur & 1) === 0 && Atomics.compareExchange(i32, i, cur, cur | 1) !== cur) continue;
        Atomics.wait(i32, i, cur | 1, 5);
      }
    }
  },
};
const instance = new WebAssembly.Instance(module, { env });
const run = instance.exports.run;
// Benchmarks warm up first (Liftoff's code runs until TurboFan's is ready, used from the next call).
for (const t = performance.now(); performance.now() - t < warmupMs; ) run(0, 1 << 20);
Atomics.add(i32, start >> 2, 1);
Atomics.notify(i32, start >> 2);
while (Atomics.load(i32, start >> 2) < 1000) Atomics.wait(i32, start >> 2, Atomics.load(i32, start >> 2), 10);
const t0 = process.hrtime.bigint();
let done = 0;
while (done < events) {
  const n = Math.min(chunk, events - done);
  done += run(done, done + n);
}
parentPort.postMessage({ done, ns: Number(process.hrtime.bigint() - t0) });
