// The kernel's side: the same jobs done by the live kernel. Counters and map operations run as
// eBPF programs through BPF_PROG_TEST_RUN on each CPU at once (one loader thread pinned per CPU,
// `repeat` runs each); user-space calls go through bpf(2) from the loader, pinned to one CPU, on
// maps of the same shape and fill (../kernel.ts, ../kernel/*.c).

import type { CounterCell, MapCell, UserCell } from '../cells.js';
import { buildKernelReference, KERNEL_PROGRAMS, KernelLoader, type KernelRun } from '../kernel.js';
import { KEYS, kernelMapRow } from '../programs/map-ops.js';
import { MAX_PER_CPU, warmAndSize, type Measured, type PrepareOptions, type Subject } from '../subjects.js';
import { rowFor, type RowPlan, type SideEnv, type SideProvider } from './side.js';
import { availableParallelism } from 'node:os';

/** A program through BPF_PROG_TEST_RUN on several CPUs at once. */
class KernelProgramSubject implements Subject {
  private repeat = 0;
  /** The kernel's own mean ns per run, per sample (mean over the CPUs). */
  private readonly nsPerRun: number[] = [];
  private timed = false;

  /**
   * `map`: a counter map to zero before and read after each run (lost = runs - count), a ring
   * buffer or perf event array the loader consumes meanwhile (lost = records not consumed), or '-'.
   * `setup`: what the loader does before the first run (fill maps, place programs and inner maps).
   * `returns`: what the program returns on every CPU when it did the row's job (null: unchecked).
   */
  private readonly loader: KernelLoader;
  private readonly program: string;
  private readonly map: string;
  private readonly cpuIds: number[];
  private readonly setup: (l: KernelLoader) => Promise<void>;
  private readonly returns: number | null;

  constructor(loader: KernelLoader, program: string, map: string, cpuIds: number[], setup: (l: KernelLoader) => Promise<void> = async () => {}, returns: number | null = null) {
    this.loader = loader;
    this.program = program;
    this.map = map;
    this.cpuIds = cpuIds;
    this.setup = setup;
    this.returns = returns;
  }

  async prepare(p: PrepareOptions): Promise<void> {
    await this.setup(this.loader);
    // The kernel needs no JIT warm-up, but the caches and the CPUs' clocks do.
    const events = await warmAndSize(this.cpuIds.length, p, (e) => this.runOnce(e));
    this.repeat = Math.max(1, Math.round(events / this.cpuIds.length));
    this.timed = true;
  }

  /**
   * The kernel's own figure (BPF_PROG_TEST_RUN's duration: mean ns per run, whole ns, without
   * the time the thread was scheduled away or the syscall's fixed costs), median over samples.
   */
  facts(): Record<string, number> {
    if (this.nsPerRun.length === 0) return {};
    const s = [...this.nsPerRun].sort((a, b) => a - b);
    return { kernelNsPerRun: s[s.length >> 1]! };
  }

  private async runOnce(events: number): Promise<Measured> {
    const repeat = Math.max(1, Math.min(MAX_PER_CPU, Math.round(events / this.cpuIds.length)));
    const r: KernelRun = await this.loader.run(this.program, this.map, this.cpuIds, repeat);
    // A program that returned something else timed another path (a fall-through, a missing route or
    // inner map, an event not placed): not the row's job, so not a figure.
    const wrong = this.returns === null ? -1 : r.retvals.findIndex((v) => v !== this.returns);
    if (wrong >= 0) {
      throw new Error(`kernel reference: ${this.program} returned ${r.retvals[wrong]} on CPU ${this.cpuIds[wrong]}, not ${this.returns}: it did not do what the row measures (see its comment in src/bench/kernel/)`);
    }
    if (this.timed) this.nsPerRun.push(r.nsPerRun.reduce((a, b) => a + b, 0) / r.nsPerRun.length);
    const total = repeat * this.cpuIds.length;
    return { events: total, ns: Math.max(1, r.wallNs), ...(r.count !== null ? { lost: total - r.count } : {}) };
  }

  sample(): Promise<Measured> {
    return this.runOnce(this.repeat * this.cpuIds.length);
  }

  progress(): number {
    return 0;
  }

  stop(): void {
    // A test run cannot be cut short from here; it lasts about one sample.
  }

  async close(): Promise<void> {
    // The loader is shared by every kernel row and closed by the suite.
  }
}

/** User-space calls through bpf(2), `calls` per sample, timed inside the loader. */
class KernelSysSubject implements Subject {
  private calls = 1;

  private readonly loader: KernelLoader;
  private readonly cell: UserCell;
  private readonly cpu: number;

  constructor(loader: KernelLoader, cell: UserCell, cpu: number) {
    this.loader = loader;
    this.cell = cell;
    this.cpu = cpu;
  }

  private async time(calls: number): Promise<Measured> {
    const c = this.cell;
    const r = await this.loader.sys(c.op, c.map, c.entries, calls, this.cpu);
    return { events: Math.max(1, r.events), ns: Math.max(1, r.wallNs) };
  }

  async prepare(p: PrepareOptions): Promise<void> {
    // As SyncSubject: doubling batches of calls through the warm-up, then calls for one sample.
    let calls = 1;
    let spent = 0;
    let perCall = 0;
    for (;;) {
      const m = await this.time(calls);
      spent += m.ns / 1e6;
      perCall = m.ns / calls;
      if (spent >= p.warmupMs) break;
      calls *= 2;
    }
    this.calls = Math.max(1, Math.round((p.sampleMs * 1e6) / perCall));
  }

  sample(): Promise<Measured> {
    return this.time(this.calls);
  }

  progress(): number {
    return 0;
  }

  stop(): void {
    // One sample lasts about sampleMs.
  }

  async close(): Promise<void> {
    // The loader is shared.
  }
}

function loaderOf(env: SideEnv): Promise<KernelLoader | string> {
  return env.shared('kernel', async () => {
    const build = await buildKernelReference(env.kernelHook);
    const l = await KernelLoader.start(build);
    env.tools('kernel', build.tools);
    return l;
  }, (l) => l.close());
}

/** The real CPUs the programs run on: one per simulated CPU, never more than this process may use. */
function cpusFor(env: SideEnv, cpus: number): number[] | string {
  if (env.hostCpus.length > 0 && cpus > env.hostCpus.length) return `not measured: the kernel runs one program per CPU and this process may use ${env.hostCpus.length}`;
  return (env.hostCpus.length ? env.hostCpus : [...Array(cpus).keys()]).slice(0, cpus);
}

function counterMake(c: CounterCell, env: SideEnv): () => Promise<Subject | string> {
  return async () => {
    const cpus = cpusFor(env, c.cpus);
    if (typeof cpus === 'string') return cpus;
    const l = await loaderOf(env);
    if (typeof l === 'string') return l;
    return new KernelProgramSubject(l, c.kernel, KERNEL_PROGRAMS[c.kernel], cpus);
  };
}

function mapMake(c: MapCell, env: SideEnv): () => Promise<Subject | string> {
  return async () => {
    const cpus = cpusFor(env, c.cpus);
    if (typeof cpus === 'string') return cpus;
    const l = await loaderOf(env);
    if (typeof l === 'string') return l;
    const k = kernelMapRow(c.map, c.op);
    const setup = async (loader: KernelLoader) => {
      if (k.fill) await loader.fill(k.fill, KEYS);
      for (const [outer, key, name] of k.place) await loader.place(outer, key, name);
    };
    return new KernelProgramSubject(l, k.program, k.consume ?? '-', cpus, setup, k.returns);
  };
}

function userMake(c: UserCell, env: SideEnv): () => Promise<Subject | string> {
  return async () => {
    const l = await loaderOf(env);
    if (typeof l === 'string') return l;
    if (c.op === 'lookup-sum' && c.cpus !== l.possibleCpus) {
      return `not measured: a per-CPU lookup copies one slot per possible CPU, and the kernel's possible CPUs are fixed by the machine (${l.possibleCpus} here)`;
    }
    return new KernelSysSubject(l, c, env.hostCpus[0] ?? 0);
  };
}

export const kernelSide: SideProvider = {
  side: 'kernel',
  rows(cell, env) {
    const cores = availableParallelism();
    const plan = (make: () => Promise<Subject | string>, params: Record<string, string | number> = {}): RowPlan[] => [{ row: rowFor('kernel', cell, cores, { params }), counter: cell.kind === 'counter', make }];
    switch (cell.kind) {
      case 'counter': return plan(counterMake(cell, env), { program: cell.kernel, hook: env.kernelHook });
      case 'map': return plan(mapMake(cell, env), { program: `${cell.map}_${cell.op}`, hook: env.kernelHook });
      case 'user': return plan(userMake(cell, env), { via: 'bpf(2)' });
    }
  },
};
