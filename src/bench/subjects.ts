// What the benchmark times. A subject starts its threads, warms up every one of them, sizes a
// sample to about the wanted duration, then gives one timed sample per call. Subjects here: our
// runtime running a program, the plain-JS reference workers, and user-space calls in the
// coordinator; the kernel's and the C threads' subjects live with their sides (sides/).

import { Worker } from 'node:worker_threads';
import { newBarrier } from '../cpu/barrier.js';
import { CONTROL_STOP, controlBytes } from '../cpu/event-loop.js';
import { siblingModule } from '../cpu/module-url.js';
import { Runtime } from '../cpu/runtime.js';
import type { ObjectLoadOptions } from '../cpu/object.js';
import type { BpfMap } from '../maps/syscall.js';
import { U32_MAX } from '../maps/limits.js';
import type { SpinLockMode } from '../sync/spinlock.js';
import type { PlainReport, PlainRun, PlainStrategy, PlainVariant, PlainWorkerData } from './plain-worker.js';

export interface Measured {
  events: number;
  ns: number;
  lost?: number;
  capped?: boolean;
}

export interface PrepareOptions {
  /** Warm-up time in every thread before sizing, ms. */
  warmupMs: number;
  /** Wanted duration of one sample, ms. */
  sampleMs: number;
}

export interface Subject {
  prepare(options: PrepareOptions): Promise<void>;
  sample(): Promise<Measured>;
  /** Events done so far in the running sample (for progress), when the subject can tell. */
  progress(): number;
  /** Ctrl-C: end the running sample at its next batch. */
  stop(): void;
  close(): Promise<void>;
  /** Facts about the timed samples to keep in the row's params (the kernel's own ns per run). */
  facts?(): Record<string, number | string>;
}

/** Per-CPU event counts are u32 in the runtime's split. */
export const MAX_PER_CPU = U32_MAX;
/** A sample stops itself after this many times its planned duration (a collapsing spin lock). */
const CAP_FACTOR = 5;

/**
 * Warm up with doubling runs until `warmupMs` has passed, then return the events that fill about
 * `sampleMs` at the rate of the last run. `run(events, capMs)` must stop itself after capMs.
 */
export async function warmAndSize(cpus: number, o: PrepareOptions, run: (events: number, capMs: number) => Promise<Measured>): Promise<number> {
  let events = cpus * 4096;
  let spent = 0;
  let rate = 0;
  for (;;) {
    const m = await run(events, Math.max(o.warmupMs, 50));
    spent += m.ns / 1e6;
    rate = m.events / (m.ns / 1e9);
    if (spent >= o.warmupMs || m.capped) break;
    events = Math.min(events * 2, MAX_PER_CPU * cpus);
  }
  const wanted = Math.round((rate * o.sampleMs) / 1000);
  return Math.max(cpus * 1024, Math.min(wanted, MAX_PER_CPU * cpus));
}

// ---- our runtime ----------------------------------------------------------------------------------

/** What a subject's setup and counters read: the loaded program's or object's maps. */
export interface LoadedMaps {
  readonly maps: Record<string, BpfMap>;
}

export interface RuntimeSubjectOptions {
  /** A TypeScript program module whose `probe` fires, or an eBPF object one of whose programs runs (by name). */
  module: URL | { object: string; program: string; options?: ObjectLoadOptions };
  probe: string;
  cpus: number;
  spinLock?: SpinLockMode;
  /** After load: fill maps, start consumers. */
  setup?: (prog: LoadedMaps) => void | Promise<void>;
  /** After each run: the lost updates (counters), reset state. */
  after?: (prog: LoadedMaps, events: number) => number | undefined;
  /** While a run goes on, in the coordinator (a ring buffer's consumer); returns a function that ends it. */
  during?: (prog: LoadedMaps) => () => void | Promise<void>;
}

export class RuntimeSubject implements Subject {
  private rt: Runtime | null = null;
  private prog: LoadedMaps | null = null;
  private events = 0;
  private readonly o: RuntimeSubjectOptions;

  constructor(options: RuntimeSubjectOptions) {
    this.o = options;
  }

  async prepare(p: PrepareOptions): Promise<void> {
    this.rt = await Runtime.start({ cpus: this.o.cpus, spinLock: this.o.spinLock ?? 'adaptive', onWarning: () => {} });
    const m = this.o.module;
    this.prog = m instanceof URL ? await this.rt.load(m) : await this.rt.loadObject(m.object, { checked: false, ...m.options });
    await this.o.setup?.(this.prog);
    this.events = await warmAndSize(this.o.cpus, p, (e, cap) => this.runOnce(e, cap));
    this.capMs = Math.max(p.sampleMs * CAP_FACTOR, 1000);
  }

  private capMs = 1000;

  private async runOnce(events: number, capMs: number): Promise<Measured> {
    const rt = this.rt!;
    const prog = this.prog!;
    const endDuring = this.o.during?.(prog);
    const timer = setTimeout(() => rt.stop(), capMs);
    let r;
    try {
      const which = this.o.module instanceof URL ? { probe: this.o.probe } : { program: this.o.module.program };
      r = await rt.run({ ...which, events, source: { comm: 'bash', pidBase: 4242, pids: 1 } });
    } finally {
      clearTimeout(timer);
      await endDuring?.();
    }
    const lost = this.o.after?.(prog, r.events);
    return { events: Math.max(1, r.events), ns: r.wallNs, ...(lost !== undefined ? { lost } : {}), ...(r.stopped ? { capped: true } : {}) };
  }

  sample(): Promise<Measured> {
    return this.runOnce(this.events, this.capMs);
  }

  progress(): number {
    return this.rt?.progress().reduce((a, b) => a + b, 0) ?? 0;
  }

  stop(): void {
    this.rt?.stop();
  }

  async close(): Promise<void> {
    const rt = this.rt;
    this.rt = null;
    this.prog = null;
    await rt?.close();
  }
}

// ---- the plain-JS reference ---------------------------------------------------------------------------

export class PlainSubject implements Subject {
  private workers: Worker[] = [];
  private readonly memory: SharedArrayBuffer;
  private readonly control: SharedArrayBuffer;
  private readonly ctl: Int32Array;
  private events = 0;
  private capMs = 1000;
  private readonly cpus: number;
  private readonly strategy: PlainStrategy;
  private readonly stride: number;
  private readonly variant: PlainVariant;

  /** `stride`: bytes between two CPUs' percpu counters (default 128, a percpu map's default slab alignment). */
  constructor(strategy: PlainStrategy, cpus: number, stride = 128, variant: PlainVariant = 'same-work') {
    this.strategy = strategy;
    this.cpus = cpus;
    this.stride = stride;
    this.variant = variant;
    this.memory = new SharedArrayBuffer(Math.max(64, cpus * stride + 8));
    this.control = new SharedArrayBuffer(controlBytes(cpus));
    this.ctl = new Int32Array(this.control);
  }

  async prepare(p: PrepareOptions): Promise<void> {
    const fromSource = import.meta.url.endsWith('.ts');
    const file = fromSource ? new URL('./plain-from-source.mjs', import.meta.url) : siblingModule(import.meta.url, 'plain-worker');
    const ready: Promise<void>[] = [];
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const workerData: PlainWorkerData = { cpu, cpus: this.cpus, strategy: this.strategy, variant: this.variant, stride: this.stride, memory: this.memory, control: this.control };
      const w = new Worker(file, { workerData });
      this.workers.push(w);
      ready.push(new Promise((resolve, reject) => {
        w.once('message', () => resolve());
        w.once('error', reject);
      }));
    }
    await Promise.all(ready);
    this.events = await warmAndSize(this.cpus, p, (e, cap) => this.runOnce(e, cap));
    this.capMs = Math.max(p.sampleMs * CAP_FACTOR, 1000);
  }

  private async runOnce(events: number, capMs: number): Promise<Measured> {
    new Uint8Array(this.memory).fill(0);
    this.ctl.fill(0);
    const barrier = newBarrier();
    const base = Math.floor(events / this.cpus);
    const rest = events - base * this.cpus;
    const timer = setTimeout(() => this.stop(), capMs);
    let reports: PlainReport[];
    try {
      reports = await Promise.all(this.workers.map((w, cpu) => new Promise<PlainReport>((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        w.once('error', onError);
        w.once('message', (r: PlainReport) => { w.off('error', onError); resolve(r); });
        w.postMessage({ events: base + (cpu < rest ? 1 : 0), barrier } satisfies PlainRun);
      })));
    } finally {
      clearTimeout(timer);
    }
    const done = reports.reduce((a, r) => a + r.events, 0);
    const start = Math.min(...reports.map((r) => r.startMs));
    const end = Math.max(...reports.map((r) => r.endMs));
    const u32 = new Uint32Array(this.memory);
    let observed = 0;
    // Same-work percpu counts in a u64 (two halves); the floor and the others in a u32.
    const u64 = this.strategy === 'percpu' && this.variant === 'same-work';
    const at = (w: number) => u32[w]! + (u64 ? u32[w + 1]! * 2 ** 32 : 0);
    if (this.strategy === 'percpu' || this.strategy === 'percpu-atomic') for (let c = 0; c < this.cpus; c++) observed += at((c * this.stride) >>> 2);
    else observed = at(0);
    return { events: Math.max(1, done), ns: Math.max(1, Math.round((end - start) * 1e6)), lost: done - observed, ...(done < events ? { capped: true } : {}) };
  }

  sample(): Promise<Measured> {
    return this.runOnce(this.events, this.capMs);
  }

  progress(): number {
    let n = 0;
    for (let c = 0; c < this.cpus; c++) n += Atomics.load(this.ctl, 1 + c) >>> 0;
    return n;
  }

  stop(): void {
    Atomics.store(this.ctl, CONTROL_STOP, 1);
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

// ---- user space, in the coordinator ---------------------------------------------------------------------

/** Calls of a synchronous user-space operation; `unitsPerCall` events per call (entries of a dump). */
export class SyncSubject implements Subject {
  private calls = 1;
  private stopped = false;
  private readonly fn: () => void;
  private readonly unitsPerCall: number;
  private readonly teardown?: () => void;

  constructor(fn: () => void, unitsPerCall = 1, teardown?: () => void) {
    this.fn = fn;
    this.unitsPerCall = unitsPerCall;
    this.teardown = teardown;
  }

  private time(calls: number): Measured {
    const fn = this.fn;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    const ns = Number(process.hrtime.bigint() - t0);
    return { events: calls * this.unitsPerCall, ns: Math.max(1, ns) };
  }

  async prepare(p: PrepareOptions): Promise<void> {
    let calls = 1;
    let spent = 0;
    let perCall = 0;
    for (;;) {
      const m = this.time(calls);
      spent += m.ns / 1e6;
      perCall = m.ns / calls;
      if (spent >= p.warmupMs || this.stopped) break;
      calls *= 2;
      // Let Ctrl-C and progress timers in between.
      await new Promise((r) => setImmediate(r));
    }
    this.calls = Math.max(1, Math.round((p.sampleMs * 1e6) / perCall));
  }

  async sample(): Promise<Measured> {
    await new Promise((r) => setImmediate(r));
    return this.time(this.calls);
  }

  progress(): number {
    return 0;
  }

  stop(): void {
    this.stopped = true;
  }

  async close(): Promise<void> {
    this.teardown?.();
  }
}
