// The race lab: the seed's sys_clone counter four ways, run on simulated CPUs, with what each
// loses and how fast it goes.

import { Runtime } from '../../cpu/runtime.js';
import { siblingModule, sourceFile } from '../../cpu/module-url.js';
import { programOf } from '../../cpu/program.js';
import { verifyProgram, type VerifierFinding } from '../../cpu/verifier.js';
import type { SpinLockMode } from '../../sync/spinlock.js';
import type { DumpEntry } from '../../maps/dump.js';
import type { BpfMap } from '../../maps/syscall.js';
import { U32_MAX } from '../../maps/limits.js';
import { withProgram } from '../workload.js';
import { Config } from './spinlock.js';

export const STRATEGIES = ['racy', 'atomic', 'spinlock', 'percpu'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const PROBE = 'kprobe/sys_clone';

/** The counters are 32-bit (the seed's `int cnt`), except the per-CPU one (u64). */
export const MAX_EVENTS = U32_MAX;

/** The module of a strategy's program (this directory's `<strategy>.ts`, or `.js` in the build). */
export function strategyModule(strategy: Strategy): URL {
  return siblingModule(import.meta.url, strategy);
}

/** The strategy as a real eBPF object: this directory's `<strategy>.bpf.o`, built from `<strategy>.bpf.c` with clang. */
export function strategyObject(strategy: Strategy): string {
  return sourceFile(import.meta.url, `./${strategy}.bpf.o`);
}

/** What the kernel's verifier would reject in a strategy's program (none: it would load). */
export async function verifyStrategy(strategy: Strategy): Promise<VerifierFinding[]> {
  const url = strategyModule(strategy).href;
  return verifyProgram(programOf(await import(url), url));
}

export interface CounterReading {
  /** The count user space reads. */
  observed: number;
  /** A per-CPU counter's slots, whose sum `observed` is. */
  perCpu?: number[];
}

/**
 * Read a counter program's count: element 0 of its `counter` map, the `cnt` field of the value
 * layout (the shared value's, or each CPU's slot, summed as user space does).
 */
export function readCounter(counter: BpfMap): CounterReading {
  const layout = counter.spec.value;
  if (!layout || !('cnt' in layout.fields)) throw new TypeError(`map '${counter.name}' is not a counter: its value layout has no 'cnt' field`);
  const cnt = (v: Uint8Array): number => layout.decode(v).cnt as number;
  if (!counter.isPercpu) return { observed: cnt(counter.lookup(0)) };
  const perCpu = counter.lookupPerCpu(0).map(cnt);
  return { observed: perCpu.reduce((a, b) => a + b, 0), perCpu };
}

export interface RaceOptions {
  cpus: number;
  events: number;
  strategies?: readonly Strategy[];
  /** Print the seed's bpf_trace_printk lines (spinlock strategy) and return them. */
  trace?: boolean;
  /** Events run (and thrown away) before the measured run, so every CPU has compiled the handler. */
  warmup?: number;
  spinLock?: SpinLockMode;
  /** Dump the program's maps after the run (bpftool's JSON form, in row.maps). */
  dump?: boolean;
  /** Reuse a started runtime (its CPU count wins). */
  runtime?: Runtime;
  /** Called before each strategy's measured run (after its warm-up), so a caller can show progress. */
  onStart?: (strategy: Strategy, runtime: Runtime) => void;
  /** Run the strategies' C programs (<strategy>.bpf.o, translated to WebAssembly) instead of their TypeScript twins. */
  object?: boolean;
  /** Called when a strategy's row is done, before the next strategy's warm-up. */
  onDone?: (row: RaceRow) => void;
}

export interface RaceRow {
  strategy: Strategy;
  /** Which program ran: the TypeScript handler, or the C object translated to WebAssembly. */
  program: 'typescript' | 'object';
  cpus: number;
  expected: number;
  observed: number;
  lost: number;
  lostPercent: number;
  seconds: number;
  mEventsPerSec: number;
  /** Events each CPU ran. */
  eventsPerCpu: number[];
  /** The per-CPU counter's slots as user space reads them (percpu only). */
  perCpuValues?: number[];
  /** True when the run was stopped (Ctrl-C) before all events ran. */
  stopped: boolean;
  trace?: string[];
  /** The program's maps after the run, as `bpftool -j map dump` prints them (with --dump). */
  maps?: Record<string, DumpEntry[]>;
}

export async function runRace(options: RaceOptions): Promise<RaceRow[]> {
  const strategies = options.strategies ?? STRATEGIES;
  const rt = options.runtime ?? (await Runtime.start({ cpus: options.cpus, spinLock: options.spinLock, onWarning: () => {} }));
  const rows: RaceRow[] = [];
  try {
    for (const strategy of strategies) {
      const row = await runOne(rt, strategy, options);
      rows.push(row);
      options.onDone?.(row);
      if (row.stopped) break;
    }
  } finally {
    if (!options.runtime) await rt.close();
  }
  return rows;
}

async function runOne(rt: Runtime, strategy: Strategy, options: RaceOptions): Promise<RaceRow> {
  const trace = strategy === 'spinlock' && options.trace === true;
  if (options.object === true) {
    // The project's own programs, run unchecked as the kernel's JIT runs verified code (the kernel
    // verifies the same bodies as tc programs in the program-side conformance suite). With trace,
    // the object's `const volatile int trace` starts at 1, as a skeleton sets it before load.
    const o = await rt.loadObject(strategyObject(strategy), { checked: false, globals: trace ? { trace: 1 } : {} });
    try {
      return await measure(rt, strategy, options, o.maps);
    } finally {
      await o.unload();
    }
  }
  return withProgram(rt, strategyModule(strategy), async (prog) => {
    // The TypeScript twin's .rodata is a map of its own, written before the run.
    if (trace) prog.maps.rodata!.update(0, Config.encode({ trace: 1 }));
    return measure(rt, strategy, options, prog.maps);
  });
}

async function measure(rt: Runtime, strategy: Strategy, options: RaceOptions, maps: Record<string, BpfMap>): Promise<RaceRow> {
  const counter = maps.counter!;
  const zero = new Uint8Array(counter.userValueSize);
  const warmup = options.trace ? 0 : (options.warmup ?? Math.min(options.events, 1_000_000));
  if (warmup > 0) {
    await rt.run({ probe: PROBE, events: warmup });
    counter.update(0, zero);
  }
  options.onStart?.(strategy, rt);
  const run = await rt.run({ probe: PROBE, events: options.events, source: { comm: 'bash', pidBase: 4242, pids: 1 } });

  const { observed, perCpu: perCpuValues } = readCounter(counter);
  const expected = run.events;
  const lost = expected - observed;
  return {
    strategy,
    program: options.object === true ? 'object' : 'typescript',
    cpus: rt.cpus,
    expected,
    observed,
    lost,
    lostPercent: expected === 0 ? 0 : (100 * lost) / expected,
    seconds: run.wallNs / 1e9,
    mEventsPerSec: run.eventsPerSec / 1e6,
    eventsPerCpu: run.perCpu.map((c) => c.events),
    ...(perCpuValues ? { perCpuValues } : {}),
    stopped: run.stopped,
    ...(options.trace ? { trace: rt.readTrace() } : {}),
    ...(options.dump ? { maps: Object.fromEntries(Object.entries(maps).map(([n, m]) => [n, m.dump()])) } : {}),
  };
}

/** Why each strategy behaves as it does, for the lines under the table. */
export const EXPLAIN: Record<Strategy, string> = {
  racy: 'racy loses updates: cnt++ is a load, an add and a store; when two CPUs load the same value, one increment overwrites the other. One CPU alone loses nothing.',
  atomic: 'atomic is exact: __sync_fetch_and_add makes the read-modify-write one indivisible instruction, but every CPU fights for the same cache line, so adding CPUs does not add speed.',
  spinlock: 'spinlock is exact: bpf_spin_lock lets one CPU at a time into cnt++; the lock word bounces between CPUs and waiters queue, so it is the slowest way to count.',
  percpu: 'percpu is exact and the fastest: each CPU adds to its own slot with no lock and no shared cache line; user space sums the slots when it reads (a sum, not a snapshot).',
};

export const VERIFIER_NOTE =
  "The seed's program as written would not pass the kernel's verifier: a kprobe program may not use a map whose value " +
  "holds a bpf_spin_lock (Linux 6.18: \"tracing progs cannot use bpf_spin_lock yet\"), and kernels before 6.13 also " +
  'reject using the lookup result without a NULL check. On a real kernel, count with __sync_fetch_and_add or a ' +
  'PERCPU_ARRAY instead (both are shown above); `race --verifier` applies these rules before running.';
