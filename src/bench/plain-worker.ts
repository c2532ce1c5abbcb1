// The plain-JS reference: one worker thread per CPU doing the counter's per-event work by hand,
// without the runtime, in batches with the same stop check as the runtime's event loop. Two
// variants:
//   same-work  what our handler does, written out: bpf_map_lookup_elem(map, 0) as an index into
//              the CPU's table of element offsets after a bounds check, then the update; a u64
//              `cnt += 1` reads and writes its two u32 halves. "ours / plain" is the runtime's cost.
//   floor      a handler call and a typed-array increment of a constant slot, which the JIT folds
//              into its loop (~0.5 ns an event): the fastest JS can count, not the same job.
//
// Shared memory (Int32Array/Uint32Array over `memory`):
//   racy, atomic, spinlock, spin:  word 0 the count (u32), word 1 the lock word (0 free, 1 held, 2 contended)
//   percpu:                        CPU c's count at byte c * stride (same-work: a u64; floor: a u32)
//   percpu-atomic:                 CPU c's count at byte c * stride (a u32)
// Control (Int32Array over `control`, the runtime's layout: cpu/event-loop.ts): word 0 stop (set
// by the main thread), word 1 + cpu progress.
// Barrier (Int32Array over the run's barrier): word 0 arrivals, word 1 open.

import { parentPort, workerData } from 'node:worker_threads';
// The runtime's start line and batch size, and its control words (standalone modules: the
// reference still runs without the runtime).
import { barrierWait } from '../cpu/barrier.js';
import { BATCH, CONTROL_STOP } from '../cpu/event-loop.js';

export const PLAIN_STRATEGIES = ['racy', 'atomic', 'spinlock', 'spin', 'percpu', 'percpu-atomic'] as const;
export type PlainStrategy = (typeof PLAIN_STRATEGIES)[number];

export type PlainVariant = 'same-work' | 'floor';

export interface PlainWorkerData {
  cpu: number;
  cpus: number;
  strategy: PlainStrategy;
  variant: PlainVariant;
  /** percpu: bytes between two CPUs' counters. */
  stride: number;
  memory: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

export interface PlainRun {
  events: number;
  barrier: SharedArrayBuffer;
}

export interface PlainReport {
  cpu: number;
  events: number;
  startMs: number;
  endMs: number;
}

interface Ctx {
  cpu: number;
  index: number;
}

const SPINS = 200;

const TWO_32 = 2 ** 32;

/** Our handlers' work by hand: a lookup by index into this CPU's element table, then the update. */
function sameWorkHandler(d: PlainWorkerData): (ctx: Ctx) => void {
  const i32 = new Int32Array(d.memory);
  const u32 = new Uint32Array(d.memory);
  const percpu = d.strategy === 'percpu' || d.strategy === 'percpu-atomic';
  // The map's one element for this CPU, as a word index (max_entries 1, key 0).
  const elems = [percpu ? (d.cpu * d.stride) >>> 2 : 0];
  const maxEntries = elems.length;
  const key = 0;
  switch (d.strategy) {
    case 'racy':
      return () => {
        if (key >= maxEntries) return;
        const w = elems[key]!;
        u32[w] = Atomics.load(u32, w) + 1;
      };
    case 'atomic':
    case 'percpu-atomic':
      return () => {
        if (key >= maxEntries) return;
        Atomics.add(i32, elems[key]!, 1);
      };
    case 'spinlock':
      return () => {
        if (key >= maxEntries) return;
        const w = elems[key]!;
        if (Atomics.compareExchange(i32, 1, 0, 1) !== 0) lockSlow(i32);
        u32[w] = u32[w]! + 1;
        if (Atomics.exchange(i32, 1, 0) === 2) Atomics.notify(i32, 1, 1);
      };
    case 'spin':
      return () => {
        if (key >= maxEntries) return;
        const w = elems[key]!;
        while (Atomics.compareExchange(i32, 1, 0, 1) !== 0) while (Atomics.load(i32, 1) !== 0);
        u32[w] = u32[w]! + 1;
        Atomics.store(i32, 1, 0);
      };
    case 'percpu':
      // val->cnt += 1 on a u64: read both halves, add, write both halves back.
      return () => {
        if (key >= maxEntries) return;
        const w = elems[key]!;
        const v = u32[w]! + u32[w + 1]! * TWO_32 + 1;
        u32[w] = v >>> 0;
        u32[w + 1] = Math.floor(v / TWO_32) >>> 0;
      };
  }
}

/** The floor: a constant slot, nothing looked up. */
function floorHandler(d: PlainWorkerData): (ctx: Ctx) => void {
  const i32 = new Int32Array(d.memory);
  const u32 = new Uint32Array(d.memory);
  switch (d.strategy) {
    case 'racy':
      // A real load and a plain store per event, so the increment cannot live in a register.
      return () => { u32[0] = Atomics.load(u32, 0) + 1; };
    case 'atomic':
      return () => { Atomics.add(i32, 0, 1); };
    case 'spinlock':
      return () => {
        if (Atomics.compareExchange(i32, 1, 0, 1) !== 0) lockSlow(i32);
        u32[0] = u32[0]! + 1;
        if (Atomics.exchange(i32, 1, 0) === 2) Atomics.notify(i32, 1, 1);
      };
    case 'spin':
      return () => {
        while (Atomics.compareExchange(i32, 1, 0, 1) !== 0) while (Atomics.load(i32, 1) !== 0);
        u32[0] = u32[0]! + 1;
        Atomics.store(i32, 1, 0);
      };
    case 'percpu': {
      const slot = (d.cpu * d.stride) >>> 2;
      return () => { u32[slot] = u32[slot]! + 1; };
    }
    case 'percpu-atomic': {
      const slot = (d.cpu * d.stride) >>> 2;
      return () => { Atomics.add(i32, slot, 1); };
    }
  }
}

/** The contended path of the 3-state lock: spin a little, then park. */
function lockSlow(i32: Int32Array): void {
  for (let n = 0; n < SPINS; n++) {
    if (Atomics.load(i32, 1) === 0 && Atomics.compareExchange(i32, 1, 0, 1) === 0) return;
  }
  while (Atomics.exchange(i32, 1, 2) !== 0) Atomics.wait(i32, 1, 2);
}

function runEvents(handler: (ctx: Ctx) => void, ctx: Ctx, events: number, control: Int32Array): number {
  let done = 0;
  while (done < events) {
    if (Atomics.load(control, CONTROL_STOP) !== 0) break;
    const end = events - done > BATCH ? done + BATCH : events;
    for (let i = done; i < end; i++) {
      ctx.index = i;
      handler(ctx);
    }
    done = end;
    Atomics.store(control, 1 + ctx.cpu, done);
  }
  return done;
}

if (parentPort !== null && workerData && typeof (workerData as PlainWorkerData).strategy === 'string') {
  const d = workerData as PlainWorkerData;
  const handler = d.variant === 'floor' ? floorHandler(d) : sameWorkHandler(d);
  const control = new Int32Array(d.control);
  const ctx: Ctx = { cpu: d.cpu, index: 0 };
  const port = parentPort;
  port.on('message', (m: PlainRun) => {
    barrierWait(m.barrier, d.cpus);
    const startMs = performance.timeOrigin + performance.now();
    const events = runEvents(handler, ctx, m.events, control);
    const endMs = performance.timeOrigin + performance.now();
    port.postMessage({ cpu: d.cpu, events, startMs, endMs } satisfies PlainReport);
  });
  port.postMessage('ready');
}
