// The coordinator: user space of the simulation. It starts one worker per simulated CPU, loads
// programs (creating their maps in shared memory and binding every CPU to them), fires events,
// and reads maps through the user-space face.

import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { MapHandle } from '../maps/bpf.js';
import { BpfError } from '../maps/errno.js';
import { isU32, U32_MAX } from '../maps/limits.js';
import type { BpfMap } from '../maps/syscall.js';
import { addIdrPublisher, idrAdd, idrAlloc, idrPublished, idrRemove, type BpfProg, type PublishedObject } from '../maps/idr.js';
import { progTypeOfSection } from '../maps/uapi.js';
import { attachTracePipe } from '../maps/helpers.js';
import { ktimeOriginMs, setSmpProcessorId, smpProcessorId } from '../smp/smp.js';
import { TracePipe } from '../maps/trace-pipe.js';
import {
  DEFAULT_LOCK_TIMEOUT_MS, lockOwnerTable, markLockOwnerDead, releaseHeldLock, setSpinLockTimeout, type SpinLockMode,
} from '../sync/spinlock.js';
import { newBarrier, openBarrier } from './barrier.js';
import { CpuDiedError, HandlerError, LockError, ProgramLoadError, RunError } from './errors.js';
import { CONTROL_STOP, controlBytes, type TaskSource } from './event-loop.js';
import { siblingModule } from './module-url.js';
import { programOf, type Program } from './program.js';
import { verifyProgram, VerifierError } from './verifier.js';
import type { ChannelTask, CpuWorkerData, HandlerFailure, LoadTask, RunReport, RunTask } from './worker.js';

export interface RuntimeOptions {
  /** Simulated CPUs (default: the host's available parallelism). Any N >= 1; more than the cores works, with a warning. */
  cpus?: number;
  /** bpf_spin_lock algorithm: 'adaptive' (spin, then park; default) or 'spin' (pure spin, for teaching and benchmarks). */
  spinLock?: SpinLockMode;
  /** Worker resource limits (piscina's resourceLimits), e.g. { maxOldGenerationSizeMb: 64 }. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
  /** Where warnings go (default: process.emitWarning). */
  onWarning?: (message: string) => void;
  /**
   * How long a CPU (or user space, for BPF_F_LOCK copies) waits for a bpf_spin_lock before the run
   * fails naming the holder, in ms (default 5000).
   */
  lockTimeoutMs?: number;
  /**
   * How long a CPU may take to stop once its run was stopped (Ctrl-C, another CPU failed) before its
   * worker is terminated and replaced, in ms (default 10000 or 2 x lockTimeoutMs, whichever is larger).
   */
  stopTimeoutMs?: number;
  /** Check every program at load time for what the kernel's verifier would reject (see cpu/verifier.ts). */
  verifier?: boolean;
}

export interface LoadOptions {
  /** Check the program for what the kernel's verifier would reject before creating its maps (default: the runtime's setting). */
  verifier?: boolean;
}

export interface RunOptions {
  /** The probe to fire, e.g. 'kprobe/sys_clone'. */
  probe: string;
  /** Events in total, spread evenly across the CPUs (the first CPUs take the remainder). */
  events?: number;
  /** Or events per CPU, one entry per CPU. */
  perCpu?: readonly number[];
  /** The tasks events come from: `pids` distinct pids from `pidBase` in turn (default 1000, 64 pids, comm 'bash'). */
  source?: Partial<TaskSource>;
}

export interface CpuRun {
  cpu: number;
  events: number;
  /** This CPU's time from the common start to its last event. */
  ns: number;
}

export interface RunResult {
  probe: string;
  /** Events requested and done (fewer when stopped). */
  requested: number;
  events: number;
  stopped: boolean;
  /** From the first CPU's start to the last CPU's end. */
  wallNs: number;
  eventsPerSec: number;
  perCpu: CpuRun[];
}

/** One handler of a loaded program as the kernel sees a BPF program: what a prog array takes. */
export interface ProgramRef {
  /** The program's id: its value in a prog array (update(key, ref) places it). */
  readonly id: number;
  /** enum bpf_prog_type, from the probe's SEC() prefix. */
  readonly type: number;
  /** The probe, e.g. 'kprobe/sys_clone'. */
  readonly name: string;
}

export interface LoadedProgram {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  /** The program's maps, user-space face, in the coordinator. */
  readonly maps: Record<string, BpfMap>;
  readonly probes: readonly string[];
  /** Each handler as a BPF program, by probe: place one in a prog array as a bpf_tail_call target. */
  readonly programs: Readonly<Record<string, ProgramRef>>;
  unload(): Promise<void>;
}

interface Loaded {
  id: number;
  url: string;
  program: Program;
  handles: Record<string, MapHandle>;
  progIds: Record<string, number>;
  /** The handlers as programs in this thread (runOn follows tail calls into them). */
  progs: BpfProg[];
}

const MAX_CPUS = 1024;


function programName(url: string): string {
  return basename(new URL(url).pathname).replace(/\.[cm]?[jt]s$/, '');
}

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return /^[a-z]+:/i.test(module) ? module : pathToFileURL(module).href;
}

export class Runtime {
  readonly cpus: number;
  readonly spinLock: SpinLockMode;
  readonly tracePipe: TracePipe;
  readonly warnings: string[] = [];
  readonly lockTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly verifier: boolean;
  private readonly pools: Piscina[];
  private readonly options: RuntimeOptions;
  private readonly workerFile: string;
  /** Each CPU worker's lock id (sync/spinlock.ts), to declare its locks abandoned when it dies. */
  private readonly lockIds: number[];
  private readonly programs = new Map<number, Loaded>();
  /** CPUs whose worker was replaced and must get the loaded programs again before the next task. */
  private readonly stale = new Set<number>();
  private readonly deaths: (string | null)[];
  private nextId = 1;
  private control: Int32Array | null = null;
  private barrier: Int32Array | null = null;
  private closed = false;
  /** Set by interrupt(): every run stops at once until resume(). */
  private interrupted = false;
  /** Each CPU's end of the channel published objects (inner maps, perf events) go through. */
  private readonly channels: (MessagePort | null)[];
  private stopPublishing: (() => void) | null = null;

  private constructor(cpus: number, options: RuntimeOptions) {
    this.cpus = cpus;
    this.options = options;
    this.spinLock = options.spinLock ?? 'adaptive';
    this.lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.stopTimeoutMs = options.stopTimeoutMs ?? Math.max(10_000, 2 * this.lockTimeoutMs);
    this.verifier = options.verifier === true;
    this.tracePipe = new TracePipe(cpus);
    this.deaths = new Array<string | null>(cpus).fill(null);
    this.lockIds = new Array<number>(cpus).fill(0);
    this.channels = new Array<MessagePort | null>(cpus).fill(null);
    // From sources the worker needs tsx's hooks registered in its own thread (worker-from-source.mjs).
    const fromSource = import.meta.url.endsWith('.ts');
    this.workerFile = fromSource ? new URL('./worker-from-source.mjs', import.meta.url).href : siblingModule(import.meta.url, 'worker').href;
    // User space waits for value locks too (BPF_F_LOCK copies), with the same bound.
    setSpinLockTimeout(this.lockTimeoutMs);
    this.pools = [];
    for (let cpu = 0; cpu < cpus; cpu++) this.pools.push(this.makePool(cpu));
  }

  /** One CPU's pool: one worker, always the same CPU id (a replacement gets the same workerData). */
  private makePool(cpu: number): Piscina {
    const workerData: CpuWorkerData = {
      cpu, cpus: this.cpus, spinLock: this.spinLock, trace: this.tracePipe.buffer, ktimeOrigin: ktimeOriginMs,
      lockOwners: lockOwnerTable(), lockTimeoutMs: this.lockTimeoutMs,
    };
    const pool = new Piscina({
      filename: this.workerFile,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      workerData,
      ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}),
    });
    // Without an 'error' listener a worker failing at start-up would crash the whole process.
    // A pool replaced by replaceWorker() has already been accounted for; its late events are ignored.
    pool.on('error', (err: unknown) => {
      if (this.pools[cpu] !== pool) return;
      this.deaths[cpu] = String((err as Error)?.message ?? err);
      this.cpuGone(cpu);
    });
    pool.on('workerDestroy', () => { if (this.pools[cpu] === pool) this.cpuGone(cpu); });
    return pool;
  }

  /** A CPU's worker ended: its locks may be taken over, and it needs its programs again. */
  private cpuGone(cpu: number): void {
    markLockOwnerDead(this.lockIds[cpu]!);
    this.stale.add(cpu);
  }

  /** Start N simulated CPUs and wait until each has loaded its worker. */
  static async start(options: RuntimeOptions = {}): Promise<Runtime> {
    const cpus = options.cpus ?? availableParallelism();
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > MAX_CPUS) {
      throw new RangeError(`cpus must be an integer from 1 to ${MAX_CPUS}, got ${String(cpus)}`);
    }
    if (options.spinLock !== undefined && options.spinLock !== 'adaptive' && options.spinLock !== 'spin') {
      throw new RangeError(`spinLock must be 'adaptive' or 'spin', got ${String(options.spinLock)}`);
    }
    for (const k of ['lockTimeoutMs', 'stopTimeoutMs'] as const) {
      const v = options[k];
      if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
        throw new RangeError(`${k} must be a positive number of milliseconds, got ${String(v)}`);
      }
    }
    const rt = new Runtime(cpus, options);
    const cores = availableParallelism();
    if (cpus > cores) {
      const msg = `${cpus} simulated CPUs on ${cores} cores: CPUs take turns on the cores (oversubscribed); rates drop and a pure spin lock may collapse`;
      rt.warnings.push(msg);
      (options.onWarning ?? ((m: string) => process.emitWarning(m)))(msg);
    }
    try {
      await Promise.all(rt.pools.map(async (p, cpu) => { rt.lockIds[cpu] = await p.run(null, { name: 'ping' }); }));
      rt.stopPublishing = addIdrPublisher((o) => rt.publish(o));
      await Promise.all(rt.pools.map((_, cpu) => rt.openChannel(cpu)));
    } catch (e) {
      await rt.close();
      throw new Error(`the CPU workers did not start: ${(e as Error).message}`, { cause: e });
    }
    // The coordinator makes its own program-side calls (runOn) through the same pipe.
    attachTracePipe(rt.tracePipe);
    return rt;
  }

  // ---- published objects -------------------------------------------------------------------------

  /**
   * Give a CPU a new channel for published objects, with every object published so far in it
   * (a CPU opens one the first time a program meets its id: see maps/idr.ts).
   */
  private async openChannel(cpu: number): Promise<void> {
    this.channels[cpu]?.close();
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    this.channels[cpu] = port1;
    for (const o of idrPublished()) port1.postMessage(o);
    await this.pools[cpu]!.run({ port: port2 } satisfies ChannelTask, { name: 'attachChannel', transferList: [port2] });
  }

  /** An inner map or perf event user space placed: every CPU gets its handle (before any can read its id). */
  private publish(o: PublishedObject): void {
    for (const port of this.channels) port?.postMessage(o);
  }

  // ---- programs ------------------------------------------------------------------------------------

  /** Load a program module: create its maps, then bind every CPU to them. */
  async load(module: string | URL, options: LoadOptions = {}): Promise<LoadedProgram> {
    this.checkOpen();
    const url = moduleUrl(module);
    let program: Program;
    try {
      program = programOf(await import(url), url);
    } catch (e) {
      throw new ProgramLoadError(`cannot load ${url}: ${(e as Error).message}`, { cause: e });
    }
    for (const l of this.programs.values()) {
      if (l.program === program) throw new ProgramLoadError(`${url} is already loaded; unload it first`);
    }
    const progName = program.name ?? programName(url);
    if (options.verifier ?? this.verifier) {
      const findings = verifyProgram(program);
      if (findings.length > 0) throw new VerifierError(progName, findings);
    }
    const created: BpfMap[] = [];
    const handles: Record<string, MapHandle> = {};
    const id = this.nextId++;
    // Every handler is a BPF program with an id of its own (the same in every thread).
    const progIds: Record<string, number> = {};
    const progs: BpfProg[] = [];
    for (const [probe, fn] of Object.entries(program.handlers)) {
      const prog: BpfProg = { id: idrAlloc(), type: progTypeOfSection(probe.slice(0, probe.indexOf('/'))) ?? 0, name: probe, run: fn };
      progIds[probe] = prog.id;
      progs.push(prog);
    }
    try {
      for (const [name, map] of Object.entries(program.maps)) {
        if (map.handle !== null) {
          throw new ProgramLoadError(`${url}: map '${name}' is already in use (another runtime loaded this program; unload it there first)`);
        }
        map.create({ cpus: this.cpus });
        created.push(map);
        handles[name] = map.getHandle();
      }
      const loaded: Loaded = { id, url, program, handles, progIds, progs };
      await this.refreshStale();
      const settled = await Promise.allSettled(this.pools.map((p) => p.run({ id, url, handles, progIds } satisfies LoadTask, { name: 'load' })));
      const failed = settled.findIndex((r) => r.status === 'rejected');
      if (failed >= 0) {
        // The CPUs that did load it must forget it, or their next run would fire its handlers.
        await Promise.allSettled(this.pools.map((p, cpu) => (settled[cpu]!.status === 'fulfilled' ? p.run(id, { name: 'unload' }) : null)));
        const reason = (settled[failed] as PromiseRejectedResult).reason as Error;
        const death = this.deaths[failed];
        // piscina removes a worker that exits (or is terminated) before it fails the worker's task,
        // and its 'workerDestroy' event has marked the CPU stale by now (refreshStale cleared the
        // set before this load): a stale CPU died, any other failed its import and lives on.
        if (death !== null || this.stale.has(failed)) {
          this.deaths[failed] = null;
          throw new ProgramLoadError(`cannot load ${url}: CPU ${failed} died while importing it (${death ?? reason?.message}); ` +
            'its worker is replaced with the same CPU id. Fix the module and load it again.', { cause: reason });
        }
        throw new ProgramLoadError(`cannot load ${url} on CPU ${failed}: ${reason?.message ?? String(reason)}`, { cause: reason });
      }
      this.programs.set(id, loaded);
      for (const p of progs) idrAdd(p.id, 'prog', p);
      return {
        id,
        name: progName,
        url,
        maps: program.maps,
        probes: Object.keys(program.handlers),
        programs: Object.fromEntries(progs.map((p) => [p.name, { id: p.id, type: p.type, name: p.name }])),
        unload: () => this.unload(id),
      };
    } catch (e) {
      for (const m of created) m.detach();
      if (e instanceof ProgramLoadError || e instanceof BpfError) throw e;
      throw new ProgramLoadError(`cannot load ${url}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Detach a program from every CPU and release its maps. */
  async unload(id: number): Promise<void> {
    const loaded = this.programs.get(id);
    if (!loaded) return;
    this.programs.delete(id);
    if (!this.closed) await Promise.all(this.pools.map((p) => p.run(id, { name: 'unload' })));
    for (const p of loaded.progs) idrRemove(p.id, p);
    for (const m of Object.values(loaded.program.maps)) m.detach();
  }

  /** The probes that loaded programs attach to. */
  probes(): string[] {
    const out = new Set<string>();
    for (const l of this.programs.values()) for (const p of Object.keys(l.program.handlers)) out.add(p);
    return [...out];
  }

  // ---- runs ----------------------------------------------------------------------------------------------

  /** Fire `events` events of a probe, spread across the CPUs, all CPUs starting together. */
  async run(options: RunOptions): Promise<RunResult> {
    this.checkOpen();
    if (this.control !== null) throw new RunError('a run is already in progress; await it before starting another');
    const probe = options?.probe;
    const probes = this.probes();
    if (!probes.includes(probe)) {
      throw new RunError(`no loaded program attaches to probe '${String(probe)}'; attached probes: ${probes.length ? probes.join(', ') : 'none (load a program first)'}`);
    }
    const perCpu = this.split(options);
    const source: TaskSource = { pidBase: 1000, pids: 64, comm: 'bash', ...options.source };
    if (!Number.isInteger(source.pids) || source.pids < 1) throw new RunError(`source.pids must be a positive integer, got ${source.pids}`);
    await this.refreshStale();

    const barrier = newBarrier();
    const control = new SharedArrayBuffer(controlBytes(this.cpus));
    this.control = new Int32Array(control);
    this.barrier = new Int32Array(barrier);
    if (this.interrupted) Atomics.store(this.control, CONTROL_STOP, 1);
    const done = new Array<boolean>(this.cpus).fill(false);
    const runs = this.pools.map((pool, cpu) => {
      const task: RunTask = { probe, events: perCpu[cpu]!, barrier, control, source };
      return (pool.run(task, { name: 'run' }) as Promise<RunReport>).catch((e: unknown) => {
        // A CPU that died may never reach the start line: open it and stop the others.
        this.stop();
        this.openBarrier();
        throw e;
      }).finally(() => { done[cpu] = true; });
    });
    const watchdog = this.watch(this.control, done);
    const settled = await Promise.allSettled(runs);
    clearInterval(watchdog);
    const stopped = Atomics.load(this.control, CONTROL_STOP) !== 0;
    this.control = null;
    this.barrier = null;

    const reports: RunReport[] = [];
    for (let cpu = 0; cpu < settled.length; cpu++) {
      const s = settled[cpu]!;
      if (s.status === 'rejected') {
        this.stale.add(cpu);
        const why = this.deaths[cpu] ?? (s.reason as Error)?.message ?? String(s.reason);
        this.deaths[cpu] = null;
        throw new CpuDiedError(cpu, why);
      }
      reports.push(s.value);
    }
    const failed = primaryFailure(reports);
    if (failed) {
      const f = failed.failure!;
      if (f.lockFault !== undefined) {
        throw new LockError(failed.cpu, probe, f.index, f.message, f.stack, f.lockFault, f.verifierMessage ?? '', f.holderCpu ?? -1);
      }
      throw new HandlerError(failed.cpu, probe, f.index, f.message, f.stack);
    }

    const start = Math.min(...reports.map((r) => r.startMs));
    const end = Math.max(...reports.map((r) => r.endMs));
    const events = reports.reduce((a, r) => a + r.events, 0);
    const wallNs = Math.max(1, Math.round((end - start) * 1e6));
    return {
      probe,
      requested: perCpu.reduce((a, b) => a + b, 0),
      events,
      stopped,
      wallNs,
      eventsPerSec: events / (wallNs / 1e9),
      perCpu: reports.map((r) => ({ cpu: r.cpu, events: r.events, ns: Math.round((r.endMs - start) * 1e6) })),
    };
  }

  /**
   * Once a run is stopped, every CPU must finish within stopTimeoutMs; one that does not (a handler
   * that never returns) has its worker terminated and replaced, and the run fails with CpuDiedError.
   */
  private watch(control: Int32Array, done: boolean[]): NodeJS.Timeout {
    let stopSeen = 0;
    const timer = setInterval(() => {
      if (Atomics.load(control, CONTROL_STOP) === 0) return;
      const now = performance.now();
      if (stopSeen === 0) stopSeen = now;
      if (now - stopSeen < this.stopTimeoutMs) return;
      clearInterval(timer);
      for (let cpu = 0; cpu < this.cpus; cpu++) {
        if (done[cpu]) continue;
        this.replaceWorker(cpu, `it did not stop within ${this.stopTimeoutMs} ms after the run was stopped ` +
          '(a handler that never returns, or a loop inside it); its worker was terminated');
      }
    }, 50);
    timer.unref();
    return timer;
  }

  /** Terminate a CPU's worker and start a new one with the same CPU id. */
  private replaceWorker(cpu: number, why: string): void {
    const old = this.pools[cpu]!;
    this.deaths[cpu] = why;
    this.cpuGone(cpu);
    this.pools[cpu] = this.makePool(cpu);
    void old.destroy().catch(() => {});
  }

  /**
   * Ctrl-C: stop the current run, and make every later run resolve at once (stopped, nothing done)
   * until resume(), so a command between two runs does not start a long one after the signal.
   */
  interrupt(): void {
    this.interrupted = true;
    this.stop();
  }

  resume(): void {
    this.interrupted = false;
  }

  /** Ask every CPU to stop at its next batch (Ctrl-C); the run resolves with what was done. */
  stop(): void {
    if (this.control) {
      Atomics.store(this.control, CONTROL_STOP, 1);
    }
  }

  /** Events done so far in the current run, per CPU (empty when no run is in progress). */
  progress(): number[] {
    const c = this.control;
    if (!c) return [];
    const out: number[] = [];
    for (let cpu = 0; cpu < this.cpus; cpu++) out.push(Atomics.load(c, 1 + cpu) >>> 0);
    return out;
  }

  /**
   * Make program-side calls as CPU `cpu`, in the coordinator thread: helpers called inside fn act
   * on that CPU's per-CPU slots, LRU lists and free lists. Runs fn synchronously and returns its result.
   */
  runOn<T>(cpu: number, fn: () => T): T {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) throw new RangeError(`cpu must be from 0 to ${this.cpus - 1}, got ${cpu}`);
    const saved = smpProcessorId;
    setSmpProcessorId(cpu);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      // fn failed holding a value's lock: release it, or every CPU would wait for it.
      releaseHeldLock();
      throw e;
    } finally {
      setSmpProcessorId(saved);
    }
    const leaked = releaseHeldLock();
    if (leaked !== null) throw leaked;
    return result;
  }

  /** Lines written with bpf_trace_printk() since the last call, in trace_pipe format, oldest first. */
  readTrace(): string[] {
    // Each CPU has its own ring; trace_pipe merges them in time order.
    const stamp = (line: string) => Number(/\s(\d+\.\d+): /.exec(line)?.[1] ?? 0);
    return this.tracePipe.drain().map((l) => l.text).sort((a, b) => stamp(a) - stamp(b));
  }

  /** Stop every CPU and release the loaded programs' maps. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    this.openBarrier();
    for (const id of [...this.programs.keys()]) await this.unload(id);
    this.stopPublishing?.();
    for (const port of this.channels) port?.close();
    await Promise.all(this.pools.map((p) => p.destroy()));
    attachTracePipe(null);
  }

  // ---- internals -----------------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new RunError('the runtime is closed; start a new one with Runtime.start()');
  }

  private openBarrier(): void {
    if (this.barrier) openBarrier(this.barrier);
  }

  private split(options: RunOptions): number[] {
    if (options.perCpu !== undefined) {
      const p = options.perCpu;
      if (!Array.isArray(p) || p.length !== this.cpus || !p.every(isU32)) {
        throw new RunError(`perCpu must list ${this.cpus} event counts (integers from 0 to ${U32_MAX}), one per CPU`);
      }
      return [...p];
    }
    const events = options.events;
    if (typeof events !== 'number' || !Number.isInteger(events) || events < 0 || events > U32_MAX * this.cpus) {
      throw new RunError(`events must be an integer from 0 to ${U32_MAX * this.cpus}, got ${String(events)}`);
    }
    const base = Math.floor(events / this.cpus);
    const rest = events - base * this.cpus;
    return Array.from({ length: this.cpus }, (_, cpu) => base + (cpu < rest ? 1 : 0));
  }

  /** Load every program again on CPUs whose worker was replaced. */
  private async refreshStale(): Promise<void> {
    if (this.stale.size === 0) return;
    const cpus = [...this.stale];
    this.stale.clear();
    for (const cpu of cpus) {
      const pool = this.pools[cpu]!;
      this.lockIds[cpu] = await pool.run(null, { name: 'ping' });
      await this.openChannel(cpu);
      for (const l of this.programs.values()) {
        await pool.run({ id: l.id, url: l.url, handles: l.handles, progIds: l.progIds } satisfies LoadTask, { name: 'load' });
      }
    }
  }
}

/**
 * The failure to report when several CPUs failed: a broken rule or a throw comes before a lock
 * timeout, which is usually its consequence (another CPU waiting for the lock the culprit kept).
 */
function primaryFailure(reports: RunReport[]): RunReport | undefined {
  const rank = (f: HandlerFailure) => (f.lockFault === 'timeout' ? 1 : 0);
  let best: RunReport | undefined;
  for (const r of reports) {
    if (r.failure === null) continue;
    if (best === undefined || rank(r.failure) < rank(best.failure!)) best = r;
  }
  return best;
}
