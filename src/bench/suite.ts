// The benchmark suite: which rows there are, and running them. Rows come in cells (cells.ts: one
// job, done by every side); a cell's subjects are all prepared (threads started, warmed up, a
// sample sized), then sampled in rounds, one sample of each per round in turns that rotate, each
// round run by tinybench. Neighbouring samples of two sides see the same machine, so the ratios
// within a run survive a machine shared with other work. Every row gets fresh threads, so no row
// inherits another's JIT state.

import { Bench } from 'tinybench';
import { summarize } from './compare.js';
import { allowedCpus, type KernelHook } from './kernel.js';
import { COUNTER_STRATEGIES, counterCell, mapCells, userCells, type Cell, type CounterStrategy } from './cells.js';
import type { Row, RowGroup, Sample, Side } from './schema.js';
import { SIDE_PROVIDERS, type RowPlan, type SideEnv } from './sides/index.js';
import type { Measured, Subject } from './subjects.js';

export { COUNTER_STRATEGIES, type CounterStrategy };

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
  /** Entries of the user-space batch lookup and dump rows. */
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

interface CellPlan {
  cell: Cell;
  plans: RowPlan[];
}

interface Live {
  plan: RowPlan;
  subject: Subject;
  samples: Sample[];
}

export class Suite {
  private readonly o: SuiteOptions;
  private readonly resources = new Map<string, { value: Promise<unknown>; close: (t: any) => Promise<void> }>();
  private current: Subject[] = [];
  /** One per round: tinybench leaves a listener on the signal of every Bench. */
  private abort = new AbortController();
  private stopped = false;
  /** Each side's tools (or why they are missing), once a row of that side ran. */
  readonly tools: Partial<Record<Side, string>> = {};
  private readonly env: SideEnv;

  constructor(options: SuiteOptions) {
    this.o = options;
    this.env = {
      hostCpus: allowedCpus(),
      kernelHook: options.kernelHook ?? 'tc',
      shared: <T>(key: string, start: () => Promise<T>, close: (t: T) => Promise<void>): Promise<T | string> => {
        let r = this.resources.get(key);
        if (!r) {
          const value = start().catch((e: Error) => {
            const msg = e.message.startsWith('not measured') ? e.message : `not measured: ${e.message}`;
            this.tools[key as Side] ??= msg.replace(/^not measured: /, '');
            return msg;
          });
          r = { value, close: close as (t: unknown) => Promise<void> };
          this.resources.set(key, r);
        }
        return r.value as Promise<T | string>;
      },
      tools: (side, text) => { this.tools[side] = text; },
    };
  }

  /** The kernel reference's tools, or why it is missing ('not used' when no kernel row ran). */
  get kernelTools(): string {
    return this.tools.kernel ?? 'not used';
  }

  /** The cells of this suite with each selected side's rows, in order (rows the filter drops are left out). */
  cells(): CellPlan[] {
    const o = this.o;
    const cells: Cell[] = [];
    if (o.groups.includes('counter')) for (const cpus of o.cpus) for (const s of o.strategies) cells.push(counterCell(s, cpus));
    if (o.groups.includes('map')) for (const cpus of o.mapCpus) cells.push(...mapCells(cpus));
    if (o.groups.includes('user')) cells.push(...userCells(o.userCpus, o.dumpEntries));
    const out: CellPlan[] = [];
    for (const cell of cells) {
      const plans = o.sides.flatMap((side) => SIDE_PROVIDERS[side].rows(cell, this.env))
        .filter((p) => !o.filter || o.filter.test(`${p.row.side}:${p.row.id}`));
      if (plans.length) out.push({ cell, plans });
    }
    return out;
  }

  /** The rows this suite will measure, in order. */
  plan(): RowPlan[] {
    return this.cells().flatMap((c) => c.plans);
  }

  /** Ctrl-C: stop the running sample and every row after it; what was measured stays. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const s of this.current) s.stop();
  }

  get interrupted(): boolean {
    return this.stopped;
  }

  /** Run the plan; rows come back in plan order, up to where a stop came. */
  async run(events: SuiteEvents = {}): Promise<Row[]> {
    const cells = this.cells();
    const total = cells.reduce((a, c) => a + c.plans.length, 0);
    const rows: Row[] = [];
    let index = 0;
    try {
      for (const c of cells) {
        if (this.stopped) break;
        const done = await this.runCell(c, index, total, events);
        for (const [k, row] of done.entries()) {
          rows.push(row);
          events.onRowEnd?.(row, index + k, total);
        }
        index += c.plans.length;
      }
    } finally {
      for (const r of this.resources.values()) {
        const v = await r.value;
        if (typeof v !== 'string') await r.close(v);
      }
    }
    return rows;
  }

  /** Prepare every subject of a cell, then sample them in rotating turns; the cell's rows (none when a stop came first). */
  private async runCell(c: CellPlan, first: number, total: number, events: SuiteEvents): Promise<Row[]> {
    const live: Live[] = [];
    try {
      for (const [k, plan] of c.plans.entries()) {
        if (this.stopped) break;
        events.onRowStart?.(plan.row, first + k, total);
        const subject = await this.prepare(plan);
        if (subject) live.push({ plan, subject, samples: [] });
      }
      this.current = live.map((l) => l.subject);
      for (let round = 0; round < this.o.samples && !this.stopped && live.length > 0; round++) {
        // Rotate who goes first, so no side always samples right after another's.
        const order = live.map((_, k) => live[(k + round) % live.length]!);
        this.abort = new AbortController();
        const bench = new Bench({ name: c.cell.id, iterations: 1, time: 0, warmup: false, throws: true, signal: this.abort.signal });
        for (const l of order) {
          bench.add(`${l.plan.row.side}:${l.plan.row.id}`, async () => {
            let m: Measured;
            try {
              m = await l.subject.sample();
            } catch (e) {
              // This subject failed; the others of the cell go on without it.
              l.plan.row.status = 'not-measured';
              l.plan.row.reason = `failed: ${(e as Error).message}`;
              return { overriddenDuration: 1e-6 };
            }
            // A sample cut by Ctrl-C is not a sample of the workload; drop it.
            if (!this.stopped) {
              l.samples.push(toSample(m));
              events.onSample?.(l.plan.row, l.samples.length, this.o.samples);
            }
            return { overriddenDuration: m.ns / 1e6 };
          }, { async: true });
        }
        try {
          await bench.run();
        } catch (e) {
          if (this.stopped) break;
          throw e;
        }
        for (const l of live.filter((x) => x.plan.row.status !== 'measured')) {
          live.splice(live.indexOf(l), 1);
          Object.assign(l.plan.row.params, l.subject.facts?.() ?? {});
          l.plan.row.samples = l.samples;
          await l.subject.close();
        }
      }
    } finally {
      this.current = [];
      for (const l of live) {
        Object.assign(l.plan.row.params, l.subject.facts?.() ?? {});
        l.plan.row.samples = l.samples;
        await l.subject.close();
      }
    }
    const out: Row[] = [];
    for (const plan of c.plans) {
      const row = plan.row;
      const prepared = live.some((l) => l.plan === plan) || row.status === 'not-measured' || row.samples.length > 0;
      if (!prepared) continue; // a stop came before its turn
      if (row.status === 'measured') {
        if (row.samples.length === 0) {
          // A stop caught it before its first sample: not part of the result.
          if (this.stopped) continue;
          row.status = 'not-measured';
          row.reason = 'no sample was taken';
        } else {
          row.summary = summarize(row.samples, plan.counter);
        }
      }
      out.push(row);
    }
    return out;
  }

  /** Make and prepare a row's subject; null (the row says why) when it cannot be measured here. */
  private async prepare(plan: RowPlan): Promise<Subject | null> {
    const row = plan.row;
    let subject: Subject | string;
    try {
      subject = await plan.make();
    } catch (e) {
      subject = `not measured: ${(e as Error).message}`;
    }
    if (typeof subject === 'string') {
      row.status = 'not-measured';
      row.reason = subject.replace(/^not measured: /, '');
      return null;
    }
    this.current = [subject];
    try {
      await subject.prepare({ warmupMs: this.o.warmupMs, sampleMs: this.o.sampleMs });
      return subject;
    } catch (e) {
      if (!this.stopped) {
        // A subject that finds only now that it cannot measure here (the object side: our loader
        // refusing an object) says "not measured: why", which is not a failure of the run.
        const msg = (e as Error).message;
        row.status = 'not-measured';
        row.reason = msg.startsWith('not measured: ') ? msg.slice('not measured: '.length) : `failed: ${msg}`;
      }
      await subject.close();
      return null;
    } finally {
      this.current = [];
    }
  }

  /** Events done so far in the running sample. */
  progress(): number {
    return this.current.reduce((a, s) => a + s.progress(), 0);
  }
}

function toSample(m: Measured): Sample {
  const s: Sample = { events: m.events, ns: m.ns };
  if (m.lost !== undefined) s.lost = m.lost;
  if (m.capped) s.capped = true;
  return s;
}
