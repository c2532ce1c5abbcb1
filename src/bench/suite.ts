// The benchmark suite: which rows there are, and running them with tinybench (one Bench per row:
// a warm-up iteration, then `samples` timed iterations whose duration is the wall time measured
// inside the workers). Every row gets fresh threads, so no row inherits another's JIT state.

import { availableParallelism } from 'node:os';
import { Bench } from 'tinybench';
import { siblingModule } from '../cpu/module-url.js';
import type { LoadedProgram } from '../cpu/runtime.js';
import { mapOpsFor } from '../maps/bpf-types.js';
import { ringBuffer } from '../maps/ringbuf.js';
import { createMap, type BpfMap } from '../maps/syscall.js';
import { MAP_TYPE_NAMES } from '../maps/uapi.js';
import type { SpinLockMode } from '../sync/spinlock.js';
import type { Row, RowGroup, Sample, Side } from './schema.js';
import { summarize } from './compare.js';
import { allowedCpus, buildKernelReference, KernelLoader, type KernelHook, type KernelProgram } from './kernel.js';
import { readCounter, strategyModule } from '../workloads/race/index.js';
import { INNER_MAPS, KEYS, MAP_OPS, routeKey, type MapOpsType } from './programs/map-ops.js';
import { perfBuffer } from '../maps/perf-buffer.js';
import type { PlainStrategy } from './plain-worker.js';
import { KernelSubject, PlainSubject, RuntimeSubject, SyncSubject, type Measured, type Subject } from './subjects.js';

export const COUNTER_STRATEGIES = ['racy', 'atomic', 'spinlock', 'spin', 'percpu-8', 'percpu-64', 'percpu-128', 'percpu-atomic-8', 'percpu-atomic-128'] as const;
export type CounterStrategy = (typeof COUNTER_STRATEGIES)[number];

interface CounterDef {
  label: string;
  module: URL;
  spinLock: SpinLockMode;
  plain: PlainStrategy;
  stride?: number;
  kernel: KernelProgram;
}

/** A program module of programs/. */
const here = (name: string) => siblingModule(import.meta.url, `programs/${name}`);

function counterDef(s: CounterStrategy): CounterDef {
  switch (s) {
    case 'racy': return { label: 'racy', module: strategyModule('racy'), spinLock: 'adaptive', plain: 'racy', kernel: 'racy' };
    case 'atomic': return { label: 'atomic', module: strategyModule('atomic'), spinLock: 'adaptive', plain: 'atomic', kernel: 'atomic' };
    case 'spinlock': return { label: 'spinlock (adaptive)', module: strategyModule('spinlock'), spinLock: 'adaptive', plain: 'spinlock', kernel: 'spinlock' };
    case 'spin': return { label: 'spinlock (pure spin)', module: strategyModule('spinlock'), spinLock: 'spin', plain: 'spin', kernel: 'spinlock' };
    case 'percpu-8': return { label: 'percpu (stride 8)', module: here('percpu-8'), spinLock: 'adaptive', plain: 'percpu', stride: 8, kernel: 'percpu' };
    case 'percpu-64': return { label: 'percpu (stride 64)', module: here('percpu-64'), spinLock: 'adaptive', plain: 'percpu', stride: 64, kernel: 'percpu' };
    case 'percpu-128': return { label: 'percpu (stride 128)', module: here('percpu-128'), spinLock: 'adaptive', plain: 'percpu', stride: 128, kernel: 'percpu' };
    case 'percpu-atomic-8': return { label: 'percpu atomic (stride 8)', module: here('percpu-atomic-8'), spinLock: 'adaptive', plain: 'percpu-atomic', stride: 8, kernel: 'percpu_atomic' };
    case 'percpu-atomic-128': return { label: 'percpu atomic (stride 128)', module: here('percpu-atomic-128'), spinLock: 'adaptive', plain: 'percpu-atomic', stride: 128, kernel: 'percpu_atomic' };
  }
}

export interface SuiteOptions {
  /** CPU counts of the counter matrix. */
  cpus: number[];
  /** CPU counts of the map-operation rows. */
  mapCpus: number[];
  /** CPU counts of the user-space per-CPU aggregation rows. */
  userCpus: number[];
  groups: RowGroup[];
  sides: Side[];
  strategies: CounterStrategy[];
  samples: number;
  sampleMs: number;
  warmupMs: number;
  /** Entries of the user-space dump row. */
  dumpEntries: number;
  /** Program type of the kernel reference (default tc). */
  kernelHook?: KernelHook;
  /** Keep rows whose side:id matches. */
  filter?: RegExp;
}

export interface SuiteEvents {
  onRowStart?(row: Row, index: number, total: number): void;
  onSample?(row: Row, done: number, total: number): void;
  onRowEnd?(row: Row, index: number, total: number): void;
}

interface Plan {
  row: Row;
  counter: boolean;
  /** A subject, or the reason the row cannot be measured here. */
  make: () => Promise<Subject | string>;
}

function newRow(side: Side, group: RowGroup, id: string, label: string, cpus: number, unit: Row['unit'], params: Row['params']): Row {
  return { id, side, group, label, cpus, oversubscribed: cpus > availableParallelism(), unit, status: 'measured', params, samples: [] };
}

/** Counters: read the count, zero it, return the updates lost. */
function counterAfter() {
  let zero: Uint8Array | null = null;
  return (prog: LoadedProgram, events: number): number => {
    const c = prog.maps.counter!;
    zero ??= new Uint8Array(c.userValueSize);
    const { observed } = readCounter(c);
    c.update(0, zero);
    return events - observed;
  };
}

export class Suite {
  private readonly o: SuiteOptions;
  private loader: Promise<KernelLoader | string> | null = null;
  private current: Subject | null = null;
  /** One per row: tinybench leaves a listener on the signal of every Bench. */
  private abort = new AbortController();
  private stopped = false;
  /** The kernel reference's tools, or why it is missing (set once a kernel row ran). */
  kernelTools = 'not used';

  constructor(options: SuiteOptions) {
    this.o = options;
  }

  /** The rows this suite will measure, in order. */
  plan(): Plan[] {
    const o = this.o;
    const out: Plan[] = [];
    const want = (side: Side) => o.sides.includes(side);
    if (o.groups.includes('counter')) {
      const hostCpus = allowedCpus();
      for (const cpus of o.cpus) {
        for (const s of o.strategies) {
          const d = counterDef(s);
          const id = `counter/${s}/cpus=${cpus}`;
          const params = { strategy: s, kernel: `counter/${d.kernel}/cpus=${cpus}`, ...(d.stride ? { stride: d.stride } : {}) };
          if (want('ours')) {
            out.push({
              row: newRow('ours', 'counter', id, d.label, cpus, 'event', params), counter: true,
              make: async () => new RuntimeSubject({ module: d.module, probe: 'kprobe/sys_clone', cpus, spinLock: d.spinLock, after: counterAfter() }),
            });
          }
          if (want('plain')) {
            out.push({ row: newRow('plain', 'counter', id, d.label, cpus, 'event', params), counter: true, make: async () => new PlainSubject(d.plain, cpus, d.stride) });
          }
        }
        if (want('kernel')) {
          for (const prog of ['racy', 'atomic', 'spinlock', 'percpu', 'percpu_atomic'] as const) {
            if (!o.strategies.some((s) => counterDef(s).kernel === prog)) continue;
            const id = `counter/${prog}/cpus=${cpus}`;
            out.push({
              row: newRow('kernel', 'counter', id, prog === 'spinlock' ? 'spinlock (bpf_spin_lock)' : prog === 'percpu_atomic' ? 'percpu atomic' : prog, cpus, 'event', { program: prog, hook: o.kernelHook ?? 'tc' }), counter: true,
              make: async () => {
                if (hostCpus.length > 0 && cpus > hostCpus.length) return `not measured: the kernel runs one program per CPU and this process may use ${hostCpus.length}`;
                const l = await this.kernelLoader();
                if (typeof l === 'string') return l;
                return new KernelSubject(l, prog, (hostCpus.length ? hostCpus : [...Array(cpus).keys()]).slice(0, cpus));
              },
            });
          }
        }
      }
    }
    if (o.groups.includes('map') && want('ours')) {
      for (const cpus of o.mapCpus) {
        for (const [type, ops] of Object.entries(MAP_OPS) as [MapOpsType, readonly string[]][]) {
          for (const op of ops) {
            const id = `map/${type}/${op}/cpus=${cpus}`;
            const label = `${type} ${op === 'delete' ? 'delete+update' : op === 'pushpop' ? 'push+pop' : op === 'reserve' ? 'reserve+submit' : type === 'bloom_filter' ? (op === 'push' ? 'push (add)' : 'peek (test)')
              : op === 'tailcall' ? 'tail call' : type === 'array_of_maps' || type === 'hash_of_maps' ? 'lookup + inner lookup' : op}`;
            out.push({ row: newRow('ours', 'map', id, label, cpus, 'event', { map: type, op }), counter: false, make: async () => this.mapSubject(type, op, cpus) });
          }
        }
      }
    }
    if (o.groups.includes('user') && want('ours')) {
      for (const type of ['percpu_array', 'percpu_hash'] as const) {
        for (const cpus of o.userCpus) {
          const id = `user/${type}-lookup-sum/cpus=${cpus}`;
          out.push({ row: newRow('ours', 'user', id, `${type} lookup + sum over CPUs`, cpus, 'op', { map: type }), counter: false, make: async () => this.aggregateSubject(type, cpus) });
        }
      }
      const id = `user/hash-dump/entries=${o.dumpEntries}`;
      out.push({ row: newRow('ours', 'user', id, `hash dump (${o.dumpEntries.toLocaleString('en-US')} entries, get_next_key + lookup)`, 0, 'entry', { map: 'hash', entries: o.dumpEntries }), counter: false, make: async () => this.dumpSubject(o.dumpEntries) });
    }
    return o.filter ? out.filter((p) => o.filter!.test(`${p.row.side}:${p.row.id}`)) : out;
  }

  private kernelLoader(): Promise<KernelLoader | string> {
    this.loader ??= (async () => {
      try {
        const build = await buildKernelReference(this.o.kernelHook ?? 'tc');
        const l = await KernelLoader.start(build);
        this.kernelTools = build.tools;
        return l;
      } catch (e) {
        const msg = (e as Error).message;
        this.kernelTools = msg;
        return msg.startsWith('not measured') ? msg : `not measured: ${msg}`;
      }
    })();
    return this.loader;
  }

  private mapSubject(type: MapOpsType, op: string, cpus: number): Subject | string {
    if (!mapOpsFor(MAP_TYPE_NAMES[type])) return `not measured: ${type} maps are not implemented yet (no ops registered in src/maps/bpf-types.ts)`;
    const module = here(`ops-${type.replace(/_/g, '-')}`);
    const setup = (prog: LoadedProgram) => {
      const m = prog.maps.m;
      if (m && (type === 'hash' || type === 'percpu_hash' || type === 'lru_hash' || type === 'lru_percpu_hash')) {
        const value = new Uint8Array(m.userValueSize);
        for (let k = 0; k < KEYS; k++) m.update(k, value);
      }
    };
    if (type === 'bloom_filter') {
      // Test membership against a filled set.
      const fill = (prog: LoadedProgram) => {
        const v = new Uint8Array(4);
        for (let k = 0; k < KEYS; k++) { new DataView(v.buffer).setUint32(0, k, true); prog.maps.bf!.update(null, v); }
      };
      return new RuntimeSubject({ module, probe: `kprobe/${op}`, cpus, setup: op === 'peek' ? fill : undefined });
    }
    if (type === 'lpm_trie') {
      // KEYS /24 routes; lookups find each /32 address's route, updates replace a route.
      const fill = (prog: LoadedProgram) => {
        const value = new Uint8Array(prog.maps.m!.attr.valueSize);
        for (let k = 0; k < KEYS; k++) prog.maps.m!.update(routeKey(k, 24), value);
      };
      return new RuntimeSubject({ module, probe: `kprobe/${op}`, cpus, setup: fill });
    }
    if (type === 'prog_array') {
      return new RuntimeSubject({ module, probe: `kprobe/${op}`, cpus, setup: (prog) => prog.maps.m!.update(0, prog.programs['kprobe/target']!) });
    }
    if (type === 'array_of_maps' || type === 'hash_of_maps') {
      const place = (prog: LoadedProgram) => {
        for (let i = 0; i < INNER_MAPS; i++) prog.maps.m!.update(i, createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: KEYS, name: `inner${i}` }, { cpus }));
      };
      return new RuntimeSubject({ module, probe: `kprobe/${op}`, cpus, setup: place });
    }
    if (type === 'perf_event_array') {
      // The coordinator reads every CPU's ring while the CPUs write; samples it never got are lost.
      let consumed = 0;
      const count = () => { consumed++; };
      return new RuntimeSubject({
        module, probe: `kprobe/${op}`, cpus,
        during: (prog) => {
          // 1 MiB of rings in all, as the ring buffer row's one ring.
          const pb = perfBuffer(prog.maps.m!, { pageCount: Math.max(1, 2 ** Math.floor(Math.log2(256 / cpus))) });
          consumed = 0;
          let end!: () => void;
          const ended = new Promise<void>((resolve) => { end = resolve; });
          const loop = pb.consumeUntil(ended, count, undefined, 20);
          return async () => {
            end();
            await loop;
            pb.close();
          };
        },
        after: (_prog, events) => events - consumed,
      });
    }
    if (type !== 'ringbuf') return new RuntimeSubject({ module, probe: `kprobe/${op}`, cpus, setup });
    // The coordinator consumes while the CPUs produce; records it never got are counted as lost.
    let consumed = 0;
    const count = () => { consumed++; };
    return new RuntimeSubject({
      module, probe: `kprobe/${op}`, cpus, setup,
      during: (prog) => {
        const rb = ringBuffer(prog.maps.rb!);
        consumed = 0;
        let end!: () => void;
        const ended = new Promise<void>((resolve) => { end = resolve; });
        const loop = rb.consumeUntil(ended, count, 20);
        return async () => {
          end();
          await loop;
        };
      },
      after: (_prog, events) => events - consumed,
    });
  }

  private aggregateSubject(type: 'percpu_array' | 'percpu_hash', cpus: number): Subject | string {
    if (!mapOpsFor(MAP_TYPE_NAMES[type])) return `not measured: ${type} maps are not implemented yet (no ops registered in src/maps/bpf-types.ts)`;
    const m: BpfMap = createMap({ type, keySize: 4, valueSize: 8, maxEntries: 1, name: 'agg' }, { cpus });
    if (type === 'percpu_hash') m.update(0, new Uint8Array(m.userValueSize));
    let sink = 0;
    return new SyncSubject(() => { sink += m.sum(0); }, 1, () => { if (sink < 0) throw new Error('unreachable'); });
  }

  private dumpSubject(entries: number): Subject | string {
    if (!mapOpsFor(MAP_TYPE_NAMES.hash)) return 'not measured: hash maps are not implemented yet (no ops registered in src/maps/bpf-types.ts)';
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: entries, name: 'dump' });
    const value = new Uint8Array(8);
    for (let k = 0; k < entries; k++) {
      value[0] = k & 0xff;
      m.update(k, value);
    }
    return new SyncSubject(() => {
      let n = 0;
      for (const key of m.keys()) {
        m.lookup(key);
        n++;
      }
      if (n !== entries) throw new Error(`the dump saw ${n} entries of ${entries}`);
    }, entries);
  }

  /** Ctrl-C: stop the running sample and every row after it; what was measured stays. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.current?.stop();
  }

  get interrupted(): boolean {
    return this.stopped;
  }

  /** Run the plan; rows come back in plan order, up to where a stop came. */
  async run(events: SuiteEvents = {}): Promise<Row[]> {
    const plan = this.plan();
    const rows: Row[] = [];
    try {
      for (let i = 0; i < plan.length && !this.stopped; i++) {
        const p = plan[i]!;
        events.onRowStart?.(p.row, i, plan.length);
        await this.runRow(p, events);
        // A row the stop caught before its first sample is not part of the result.
        if (this.stopped && p.row.samples.length === 0) break;
        rows.push(p.row);
        events.onRowEnd?.(p.row, i, plan.length);
      }
    } finally {
      const l = this.loader ? await this.loader : null;
      if (l && typeof l !== 'string') await l.close();
    }
    return rows;
  }

  private async runRow(p: Plan, events: SuiteEvents): Promise<void> {
    const row = p.row;
    let subject: Subject | string;
    try {
      subject = await p.make();
    } catch (e) {
      subject = `not measured: ${(e as Error).message}`;
    }
    if (typeof subject === 'string') {
      row.status = 'not-measured';
      row.reason = subject.replace(/^not measured: /, '');
      return;
    }
    this.current = subject;
    const samples: Sample[] = [];
    try {
      await subject.prepare({ warmupMs: this.o.warmupMs, sampleMs: this.o.sampleMs });
      let phase = 'warmup';
      this.abort = new AbortController();
      const bench = new Bench({
        name: `${row.side}:${row.id}`, iterations: this.o.samples, time: 0,
        warmup: true, warmupIterations: 1, warmupTime: 0, throws: true, signal: this.abort.signal,
      });
      const s = subject;
      bench.add(row.id, async () => {
        const m: Measured = await s.sample();
        // A sample cut by Ctrl-C is not a sample of the workload; drop it.
        if (phase === 'run' && !this.stopped) {
          samples.push(toSample(m));
          events.onSample?.(row, samples.length, this.o.samples);
        }
        return { overriddenDuration: m.ns / 1e6 };
      }, { async: true, beforeAll: (mode) => { phase = mode ?? 'run'; } });
      if (!this.stopped) await bench.run();
    } catch (e) {
      if (!this.stopped) {
        row.status = 'not-measured';
        row.reason = `failed: ${(e as Error).message}`;
      }
    } finally {
      this.current = null;
      Object.assign(row.params, subject.facts?.() ?? {});
      await subject.close();
    }
    row.samples = samples;
    if (row.status === 'measured') {
      if (samples.length === 0) {
        row.status = 'not-measured';
        row.reason = 'stopped before the first sample';
      } else {
        row.summary = summarize(samples, p.counter);
      }
    }
  }

  /** Events done so far in the running sample. */
  progress(): number {
    return this.current?.progress() ?? 0;
  }
}

function toSample(m: Measured): Sample {
  const s: Sample = { events: m.events, ns: m.ns };
  if (m.lost !== undefined) s.lost = m.lost;
  if (m.capped) s.capped = true;
  return s;
}
