// The `limit` side: the counters as plain C threads pinned to CPUs (../limit/counters.c), the
// hardware's ceiling for each strategy and stride. Built with cc on first use into
// .native/bench-limit/ (keyed by a hash of the source); without a compiler the rows say so.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { sourceFile } from '../../cpu/module-url.js';
import { U32_MAX } from '../../maps/limits.js';
import { exec, firstError, LineProcess, nativeDir } from '../native.js';
import { warmAndSize, type Measured, type PrepareOptions, type Subject } from '../subjects.js';
import type { PlainStrategy } from '../plain-worker.js';
import { rowFor, type SideProvider } from './side.js';

const SOURCE = sourceFile(import.meta.url, '../limit/counters.c');

/** Build the C threads' program unless this exact source was built before. Throws one-line reasons. */
export async function buildLimit(): Promise<{ bin: string; tools: string }> {
  if (process.platform !== 'linux') throw new Error(`not measured: the C threads pin with Linux's sched_setaffinity (this is ${process.platform})`);
  if (!existsSync(SOURCE)) throw new Error(`not measured: the C source is not in this install (${SOURCE}); run from a clone of the repository`);
  const cc = process.env.CC || 'cc';
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
  const bin = join(nativeDir('bench-limit'), `counters-${hash}`);
  const version = await exec(cc, ['--version']);
  if (version.missing) throw new Error(`not measured: no C compiler '${cc}' to build the C threads (Debian: apt-get install gcc libc6-dev, or set CC)`);
  if (!existsSync(bin)) {
    const tmp = `${bin}.${process.pid}.tmp`;
    const r = await exec(cc, ['-O2', '-Wall', '-o', tmp, SOURCE, '-lpthread']);
    if (r.code !== 0) {
      rmSync(tmp, { force: true });
      throw new Error(`not measured: the C threads do not build with ${cc}: ${firstError(r.stderr)}`);
    }
    renameSync(tmp, bin);
  }
  return { bin, tools: `C threads, ${version.stdout.split('\n')[0]!.trim()} -O2` };
}

/** One running C-threads process; runs are queued one at a time. */
export class LimitDriver {
  private readonly proc: LineProcess;

  private constructor(proc: LineProcess) {
    this.proc = proc;
  }

  static async start(bin: string): Promise<LimitDriver> {
    const proc = new LineProcess('the C threads', bin, []);
    const first = await proc.next().catch((e: Error) => `err 0 ${e.message}`);
    if (!/^ready \d+$/.test(first)) {
      await proc.close();
      throw new Error(`not measured: the C threads did not start: ${first.replace(/^err \d+ /, '')}`);
    }
    return new LimitDriver(proc);
  }

  /** `threads` threads doing `eventsPerThread` events each; the wall time and the counter after. */
  async run(strategy: PlainStrategy, stride: number, threads: number, eventsPerThread: number): Promise<{ wallNs: number; count: number }> {
    const line = await this.proc.ask(`run ${strategy} ${stride} ${threads} ${eventsPerThread}`);
    const parts = line.split(' ');
    if (parts[0] !== 'ok') throw new Error(`C threads: ${strategy} on ${threads} threads: ${line.replace(/^err (\d+) /, 'errno $1: ')}`);
    return { wallNs: Number(parts[1]), count: Number(parts[2]) };
  }

  close(): Promise<void> {
    return this.proc.close();
  }
}

class LimitSubject implements Subject {
  private perThread = 0;

  private readonly driver: LimitDriver;
  private readonly strategy: PlainStrategy;
  private readonly stride: number;
  private readonly threads: number;

  constructor(driver: LimitDriver, strategy: PlainStrategy, stride: number, threads: number) {
    this.driver = driver;
    this.strategy = strategy;
    this.stride = stride;
    this.threads = threads;
  }

  async prepare(p: PrepareOptions): Promise<void> {
    const events = await warmAndSize(this.threads, p, (e) => this.runOnce(e));
    this.perThread = Math.max(1, Math.round(events / this.threads));
  }

  private async runOnce(events: number): Promise<Measured> {
    const perThread = Math.max(1, Math.min(U32_MAX, Math.round(events / this.threads)));
    const r = await this.driver.run(this.strategy, this.stride, this.threads, perThread);
    const total = perThread * this.threads;
    return { events: total, ns: Math.max(1, r.wallNs), lost: total - r.count };
  }

  sample(): Promise<Measured> {
    return this.runOnce(this.perThread * this.threads);
  }

  progress(): number {
    return 0;
  }

  stop(): void {
    // A run lasts about one sample and cannot be cut short from here.
  }

  async close(): Promise<void> {
    // The driver is shared by every limit row and closed by the suite.
  }
}

export const limitSide: SideProvider = {
  side: 'limit',
  rows(cell, env) {
    if (cell.kind !== 'counter') return [];
    return [{
      row: rowFor('limit', cell, availableParallelism()), counter: true,
      make: async () => {
        const driver = await env.shared('limit', async () => {
          const { bin, tools } = await buildLimit();
          const d = await LimitDriver.start(bin);
          env.tools('limit', tools);
          return d;
        }, (d) => d.close());
        if (typeof driver === 'string') return driver;
        return new LimitSubject(driver, cell.plain, cell.stride || 128, cell.cpus);
      },
    }];
  },
};
