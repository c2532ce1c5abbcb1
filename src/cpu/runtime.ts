// The coordinator: user space of the simulation. It starts one worker per simulated CPU, loads
// programs (TypeScript modules, or real eBPF objects translated to WebAssembly: creating their
// maps in shared memory and binding every CPU to them), fires events, and reads maps through the
// user-space face.

import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { MapHandle } from '../maps/bpf.js';
import { BpfError } from '../maps/errno.js';
import { isU32, U32_MAX } from '../maps/limits.js';
import { BpfMap } from '../maps/syscall.js';
import type { MapSpec } from '../maps/bpf.js';
import { addIdrPublisher, idrAdd, idrAlloc, idrPublished, idrRemove, type BpfProg, type PublishedObject } from '../maps/idr.js';
import { progTypeOfSection } from '../maps/uapi.js';
import { attachTracePipe } from '../maps/helpers.js';
import { ktimeOriginMs, setSmpProcessorId, smpProcessorId } from '../smp/smp.js';
import { TracePipe } from '../maps/trace-pipe.js';
import {
  DEFAULT_LOCK_TIMEOUT_MS, lockOwnerTable, markLockOwnerDead, releaseHeldLock, setSpinLockTimeout, type SpinLockMode,
} from '../sync/spinlock.js';
import { newBarrier, openBarrier } from './barrier.js';
import { attachOthers, CpuDiedError, HandlerError, LockError, ProgramFaultError, ProgramLoadError, RunError, TestRunError } from './errors.js';
import { CONTROL_STOP, controlBytes, type TaskSource } from './event-loop.js';
import { siblingModule } from './module-url.js';
import { programOf, type Program } from './program.js';
import { tsxForWorkers, typeScriptProblem } from './typescript.js';
import { verifyProgram, VerifierError } from './verifier.js';
import type { ChannelTask, CpuWorkerData, HandlerFailure, LoadObjectTask, LoadTask, RunReport, RunTask } from './worker.js';
import { ObjectError, type BpfObject, type KernelVerdict } from '../object/index.js';
import { kernelVerdict, objectOf, prepareObject, type ObjectLoadOptions, type ObjectProgramTask, type PreparedObject } from './object.js';
import { testRunRefusal, testRunUnsupported, type TestRunInput } from './test-run.js';
import { checkRunInput, ctxKindOf } from './prog-ctx.js';

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
  /** The probe to fire, e.g. 'kprobe/sys_clone' (or give `program`). */
  probe?: string;
  /**
   * Or one program of a loaded eBPF object, by function name, alone: as BPF_PROG_TEST_RUN runs a
   * program rather than an attach point (several programs may share a section such as 'tc').
   */
  program?: string;
  /** Events in total, spread evenly across the CPUs (the first CPUs take the remainder). */
  events?: number;
  /** Or events per CPU, one entry per CPU. */
  perCpu?: readonly number[];
  /**
   * The tasks events come from, as ctx.pid / ctx.tgid / ctx.comm and bpf_get_current_pid_tgid() /
   * bpf_get_current_comm() show them: event i on a CPU runs in pid `pidBase + (i % pids)`, named
   * `comm`. Every CPU takes the same tasks in turn. Default `{ pidBase: 1000, pids: 64, comm: 'bash' }`;
   * give any part, e.g. `{ pids: 1 }` for one task.
   */
  source?: Partial<TaskSource>;
  /** Run on this CPU only, as `bpftool prog run` runs a program on the caller's CPU: every event goes to it. */
  cpu?: number;
  /**
   * eBPF objects' networking programs (tc, xdp, ...): the packet every event carries, at least 14
   * bytes (an Ethernet header), as BPF_PROG_TEST_RUN's data_in. Default: 64 zero bytes.
   */
  data?: Uint8Array;
  /** eBPF objects' programs: the context bytes (raw_tp and fentry arguments, a syscall program's ctx, a kprobe's pt_regs). */
  ctx?: Uint8Array;
}

export interface CpuRun {
  cpu: number;
  events: number;
  /** This CPU's time from the common start to its last event. */
  ns: number;
  /** eBPF objects' programs: the return value of this CPU's last event (when it ran any). */
  lastReturn?: number;
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
  /**
   * eBPF objects' programs: the return values (r0's low 32 bits, as BPF_PROG_TEST_RUN's retval),
   * each with how many events returned it, most frequent first.
   */
  returns?: { value: number; count: number }[];
  /** The return value of the last event (of the highest CPU that ran). */
  lastReturn?: number;
  /** tc/xdp programs run on one CPU: the packet after the run (data_out). */
  dataOut?: Uint8Array;
  /** Programs run on one CPU with `ctx`: the context after the run (a syscall program writes it back), as long as given. */
  ctxOut?: Uint8Array;
}

/** What Runtime.testRun gives back, as BPF_PROG_TEST_RUN does. */
export interface TestRunResult {
  /** r0 of the last run, truncated to u32. */
  retval: number;
  /** tc, xdp, ...: the packet after the runs. */
  dataOut?: Uint8Array;
  /** syscall programs: the context after the run (the kernel copies it back to ctx_in). */
  ctxOut?: Uint8Array;
}

/** A loaded eBPF object: its maps (user-space face) and programs. */
export interface LoadedObject {
  readonly id: number;
  /** The object's name: its file name up to the first '.' (libbpf's). */
  readonly name: string;
  /** Maps by their names in the object; global data as libbpf names it ('seed.bss', '.rodata.str1.1'). */
  readonly maps: Record<string, BpfMap>;
  /**
   * Its loaded programs. Each is a BPF program with an id: `map.update(i, program)` places it in a
   * prog array as a bpf_tail_call target (of its own object; `progType`, enum bpf_prog_type, must
   * be the array's).
   */
  readonly programs: readonly { readonly name: string; readonly section: string; readonly type: string; readonly id: number; readonly progType: number }[];
  /**
   * A map in the object's memory, for an object with a map of maps: the only maps its programs can
   * reach as inner maps (a map from createMap() lives in memory of its own, which a translated
   * program cannot address; a lookup that finds one stops the run, naming it). Placed with
   * `obj.maps.outer.update(key, map)`; room for them is `innerMapBytes` (default 16 MiB).
   */
  createMap(spec: MapSpec): BpfMap;
  /** The probes its programs attach to: their section names ('kprobe/sys_clone', 'tc', ...). */
  readonly probes: readonly string[];
  /** Whether every memory access of its programs is bounded (checked mode). */
  readonly checked: boolean;
  /** What to know before running it: helpers that are not provided, programs not loaded. */
  readonly warnings: readonly string[];
  /** Loaded with verify: 'kernel': the live kernel's verdict (it accepted these programs). */
  readonly kernel?: KernelVerdict;
  unload(): Promise<void>;
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

/**
 * A program loaded into every CPU. `P` is the type of the module's default export, given as
 * `rt.load<typeof counter>(url)` with `import type counter from './counter.ts'`: then `maps` has the
 * program's map names and value views, and a misspelt name does not compile.
 */
export interface LoadedProgram<P extends Program = Program> {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  /** The program's maps, user-space face, in the coordinator. */
  readonly maps: P['maps'];
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

interface LoadedObj {
  id: number;
  object: PreparedObject;
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
  /** tsx's ESM API for the workers to register first (the main thread runs under tsx), or null. */
  private readonly typescript: string | null;
  /** Each CPU worker's lock id (sync/spinlock.ts), to declare its locks abandoned when it dies. */
  private readonly lockIds: number[];
  private readonly programs = new Map<number, Loaded | LoadedObj>();
  /** CPUs whose worker was replaced and must get the loaded programs again before the next task. */
  private readonly stale = new Set<number>();
  private readonly deaths: (string | null)[];
  private nextId = 1;
  private control: Int32Array | null = null;
  private barrier: Int32Array | null = null;
  private closed = false;
  /** Settles when the run in progress ends (never rejects); null between runs. Set before run()'s first await. */
  private running: Promise<void> | null = null;
  /** close()'s work, which a second close() waits for too. */
  private closing: Promise<void> | null = null;
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
    this.workerFile = fromSource ? new URL('./worker-from-source.mjs', import.meta.url).href : siblingModule(import.meta.url, 'worker-entry').href;
    // Under tsx, the workers register tsx before anything else (worker-entry.ts), for TypeScript programs.
    this.typescript = fromSource ? null : tsxForWorkers();
    // User space waits for value locks too (BPF_F_LOCK copies), with the same bound.
    setSpinLockTimeout(this.lockTimeoutMs);
    this.pools = [];
    for (let cpu = 0; cpu < cpus; cpu++) this.pools.push(this.makePool(cpu));
  }

  /** One CPU's pool: one worker, always the same CPU id (a replacement gets the same workerData). */
  private makePool(cpu: number): Piscina {
    const workerData: CpuWorkerData = {
      cpu, cpus: this.cpus, spinLock: this.spinLock, trace: this.tracePipe.buffer, ktimeOrigin: ktimeOriginMs,
      lockOwners: lockOwnerTable(), lockTimeoutMs: this.lockTimeoutMs, typescript: this.typescript,
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

  /**
   * Load a program module: create its maps, then bind every CPU to them. A path ending in `.o` is
   * an eBPF object, loaded as loadObject() does.
   */
  async load(object: `${string}.o`, options?: ObjectLoadOptions): Promise<LoadedObject>;
  async load<P extends Program = Program>(module: string | URL, options?: LoadOptions): Promise<LoadedProgram<P>>;
  async load(module: string | URL, options: LoadOptions & ObjectLoadOptions = {}): Promise<LoadedProgram | LoadedObject> {
    if (typeof module === 'string' ? module.endsWith('.o') : module.pathname.endsWith('.o')) return this.loadObject(module, options);
    return this.loadProgram(module, options);
  }

  private async loadProgram<P extends Program = Program>(module: string | URL, options: LoadOptions): Promise<LoadedProgram<P>> {
    this.checkOpen();
    const url = moduleUrl(module);
    // From sources the workers have tsx (worker-from-source.mjs); built, they have it when the main thread runs under tsx.
    const tsProblem = typeScriptProblem(url, this.typescript !== null || import.meta.url.endsWith('.ts'));
    if (tsProblem !== null) throw new ProgramLoadError(`cannot load ${tsProblem}`);
    let program: Program;
    try {
      program = programOf(await import(url), url);
    } catch (e) {
      throw new ProgramLoadError(`cannot load ${url}: ${(e as Error).message}`, { cause: e });
    }
    for (const l of this.programs.values()) {
      if ('program' in l && l.program === program) throw new ProgramLoadError(`${url} is already loaded; unload it first`);
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

  /**
   * Load a real eBPF object (clang -O2 -g -target bpf -c x.bpf.c): create its maps (BTF-defined,
   * legacy SEC("maps") and global data, in one shared memory), translate each program to
   * WebAssembly, and instantiate it on every CPU. `source`: a path, the object's bytes, or an
   * object opened with openObjectFile().
   */
  async loadObject(source: string | URL | Uint8Array | BpfObject, options: ObjectLoadOptions = {}): Promise<LoadedObject> {
    this.checkOpen();
    const src = source instanceof URL || (typeof source === 'string' && source.startsWith('file:')) ? fileURLToPath(source) : source;
    const what = typeof src === 'string' ? src : 'the object';
    const refuse = (e: unknown): never => {
      if (e instanceof ProgramLoadError) throw e;
      const why = e instanceof ObjectError || e instanceof BpfError ? e.message : `${(e as Error).message}`;
      throw new ProgramLoadError(`cannot load ${what}: ${why}`, { cause: e });
    };
    let obj: BpfObject;
    try {
      obj = objectOf(src);
    } catch (e) {
      return refuse(e);
    }
    // The kernel vouches for the memory accesses of what it accepted: unchecked unless asked.
    const kernel = options.verify === undefined ? undefined : await kernelVerdict(obj, options);
    const opts = kernel !== undefined && options.checked === undefined ? { ...options, checked: false } : options;
    let prepared: PreparedObject;
    try {
      prepared = prepareObject(obj, this.cpus, opts);
    } catch (e) {
      return refuse(e);
    }
    const id = this.nextId++;
    const task: LoadObjectTask = { id, object: prepared.task };
    await this.refreshStale();
    const settled = await Promise.allSettled(this.pools.map((p) => p.run(task, { name: 'loadObject' })));
    const failed = settled.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      await Promise.allSettled(this.pools.map((p, cpu) => (settled[cpu]!.status === 'fulfilled' ? p.run(id, { name: 'unload' }) : null)));
      for (const m of Object.values(prepared.maps)) m.detach();
      const reason = (settled[failed] as PromiseRejectedResult).reason as Error;
      throw new ProgramLoadError(`cannot load ${what} on CPU ${failed}: ${reason?.message ?? String(reason)}`, { cause: reason });
    }
    this.programs.set(id, { id, object: prepared });
    const programs = prepared.task.programs.map((p) => ({ name: p.name, section: p.section, type: p.type, id: p.id, progType: p.progType }));
    const cpus = this.cpus;
    return {
      id,
      name: prepared.object.name,
      maps: prepared.maps,
      programs,
      probes: [...new Set(programs.map((p) => p.section))],
      checked: prepared.task.checked,
      warnings: prepared.warnings,
      ...(kernel === undefined ? {} : { kernel }),
      createMap(spec: MapSpec): BpfMap {
        try {
          return new BpfMap(spec).create({ cpus, memory: prepared.memory });
        } catch (e) {
          if (e instanceof BpfError && e.errno === 'ENOMEM') {
            throw new BpfError(spec.name ?? '(unnamed)', 'BPF_MAP_CREATE', e.code,
              `object '${prepared.object.name}' has no room left for this map in its memory (${e.message}); load it with a larger innerMapBytes`);
          }
          throw e;
        }
      },
      unload: () => this.unload(id),
    };
  }

  /** Detach a program or object from every CPU and release its maps. */
  async unload(id: number): Promise<void> {
    const loaded = this.programs.get(id);
    if (!loaded) return;
    this.programs.delete(id);
    if (!this.closed) await Promise.all(this.pools.map((p) => p.run(id, { name: 'unload' })));
    for (const p of 'program' in loaded ? loaded.progs : loaded.object.progs) idrRemove(p.id, p);
    for (const m of Object.values('program' in loaded ? loaded.program.maps : loaded.object.maps)) m.detach();
  }

  /** The probes that loaded programs attach to. */
  probes(): string[] {
    const out = new Set<string>();
    for (const l of this.programs.values()) {
      if ('program' in l) for (const p of Object.keys(l.program.handlers)) out.add(p);
      else for (const p of l.object.task.programs) out.add(p.probe);
    }
    return [...out];
  }

  /** A loaded object's program by function name: its probe (section) and context kind. */
  private objectProgram(name: string): { probe: string; kind: ReturnType<typeof ctxKindOf>; task: ObjectProgramTask } {
    const found = [...this.programs.values()].flatMap((l) => ('program' in l ? [] : l.object.task.programs.filter((p) => p.name === name)));
    if (found.length !== 1) {
      const all = [...this.programs.values()].flatMap((l) => ('program' in l ? [] : l.object.task.programs.map((p) => p.name)));
      throw new RunError(found.length === 0
        ? `no loaded object has a program '${String(name)}'; loaded programs: ${all.length ? all.join(', ') : 'none (load an object first)'}`
        : `${found.length} loaded objects have a program '${name}'; unload all but one to run it by name`);
    }
    return { probe: found[0]!.probe, kind: ctxKindOf(found[0]!.type), task: found[0]! };
  }

  /** The context kind of the object programs attached to a probe (they must agree), or null for none. */
  private inputKind(probe: string): ReturnType<typeof ctxKindOf> | null {
    for (const l of this.programs.values()) {
      if ('program' in l) continue;
      for (const p of l.object.task.programs) if (p.probe === probe) return ctxKindOf(p.type);
    }
    return null;
  }

  // ---- runs ----------------------------------------------------------------------------------------------

  /**
   * Fire `events` events of a probe, spread across the CPUs, all CPUs starting together. One run at
   * a time: a second run() while one is in progress rejects at once with RunError and changes nothing.
   */
  run(options: RunOptions): Promise<RunResult> {
    try {
      this.checkOpen();
      // Marked here, synchronously, so a second call in the same tick sees it (runOnce awaits before it starts the CPUs).
      if (this.running !== null) throw new RunError('a run is already in progress; await it before starting another');
    } catch (e) {
      return Promise.reject(e);
    }
    // Cleared before the caller sees the result, so the caller's next run() is not refused.
    const result = this.runOnce(options).finally(() => { this.running = null; });
    this.running = result.then(() => {}, () => {});
    return result;
  }

  private async runOnce(options: RunOptions): Promise<RunResult> {
    const program = options?.program;
    if (program !== undefined && options.probe !== undefined) throw new RunError('give probe or program, not both');
    const named = program === undefined ? null : this.objectProgram(program);
    const probe = named?.probe ?? options?.probe as string;
    const probes = this.probes();
    if (named === null && !probes.includes(probe)) {
      throw new RunError(`no loaded program attaches to probe '${String(probe)}'; attached probes: ${probes.length ? probes.join(', ') : 'none (load a program first)'}`);
    }
    const perCpu = this.split(options);
    const kind = named?.kind ?? this.inputKind(probe);
    if (options.data !== undefined || options.ctx !== undefined) {
      for (const [k, v] of [['data', options.data], ['ctx', options.ctx]] as const) {
        if (v !== undefined && !(v instanceof Uint8Array)) throw new RunError(`${k} must be a Uint8Array, got ${typeof v}`);
      }
      if (kind === null) throw new RunError(`data and ctx are for eBPF objects' programs; no object program attaches to '${probe}'`);
      const bad = checkRunInput(kind, options.data, options.ctx);
      if (bad !== null) throw new RunError(`probe '${probe}': ${bad}`);
    }
    const input = { data: options.data, ctx: options.ctx };
    const source: TaskSource = { pidBase: 1000, pids: 64, comm: 'bash', ...options.source };
    if (!Number.isInteger(source.pids) || source.pids < 1) throw new RunError(`source.pids must be a positive integer, got ${source.pids}`);
    await this.refreshStale();

    const barrier = newBarrier();
    const control = new SharedArrayBuffer(controlBytes(this.cpus));
    this.control = new Int32Array(control);
    this.barrier = new Int32Array(barrier);
    // Interrupted, or closed while this run was getting ready: it starts stopped.
    if (this.interrupted || this.closed) Atomics.store(this.control, CONTROL_STOP, 1);
    const done = new Array<boolean>(this.cpus).fill(false);
    const diedAtMs = new Array<number>(this.cpus).fill(0);
    const terminated = new Set<number>();
    const runs = this.pools.map((pool, cpu) => {
      const task: RunTask = { probe, program, events: perCpu[cpu]!, barrier, control, source, input };
      return (pool.run(task, { name: 'run' }) as Promise<RunReport>).catch((e: unknown) => {
        diedAtMs[cpu] = performance.timeOrigin + performance.now();
        // A CPU that died may never reach the start line: open it and stop the others.
        this.stop();
        this.openBarrier();
        throw e;
      }).finally(() => { done[cpu] = true; });
    });
    const watchdog = this.watch(this.control, done, terminated);
    const settled = await Promise.allSettled(runs);
    clearInterval(watchdog);
    const stopped = Atomics.load(this.control, CONTROL_STOP) !== 0;
    this.control = null;
    this.barrier = null;

    const reports: RunReport[] = [];
    const failures: RunFailure[] = [];
    for (let cpu = 0; cpu < settled.length; cpu++) {
      const s = settled[cpu]!;
      if (s.status === 'rejected') {
        this.stale.add(cpu);
        const why = this.deaths[cpu] ?? (s.reason as Error)?.message ?? String(s.reason);
        this.deaths[cpu] = null;
        // Terminated for not stopping once the run was stopped: a consequence, reported after its cause.
        failures.push({ cpu, error: new CpuDiedError(cpu, why), rank: terminated.has(cpu) ? 2 : 0, atMs: diedAtMs[cpu]! });
        continue;
      }
      reports.push(s.value);
      const f = s.value.failure;
      if (f === null) continue;
      const error = f.lockFault !== undefined
        ? new LockError(cpu, probe, f.index, f.message, f.stack, f.lockFault, f.verifierMessage ?? '', f.holderCpu ?? -1)
        : f.program !== undefined
          ? new ProgramFaultError(cpu, probe, f.index, f.program, f.insn ?? -1, f.source ?? '', f.message, f.stack)
          : new HandlerError(cpu, probe, f.index, f.message, f.stack);
      // A lock timeout is usually the consequence of another CPU keeping the lock (see RunFailure).
      failures.push({ cpu, error, rank: f.lockFault === 'timeout' ? 1 : 0, atMs: f.atMs });
    }
    if (failures.length > 0) {
      // A lock timeout whose holder failed too (it never returned, or died) follows from the holder's failure.
      for (const f of failures) {
        const holder = f.error instanceof LockError && f.error.fault === 'timeout' ? f.error.holderCpu : -1;
        if (holder >= 0 && failures.some((g) => g.cpu === holder)) f.rank = 3;
      }
      failures.sort((a, b) => a.rank - b.rank || a.atMs - b.atMs);
      const [first, ...rest] = failures;
      attachOthers(first!.error, rest.map((f) => f.error));
      throw first!.error;
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
      perCpu: reports.map((r) => ({
        cpu: r.cpu, events: r.events, ns: Math.round((r.endMs - start) * 1e6), ...(r.events > 0 && r.lastReturn !== undefined ? { lastReturn: r.lastReturn } : {}),
      })),
      ...(kind === null ? {} : returnsOf(reports, perCpu)),
    };
  }

  /**
   * BPF_PROG_TEST_RUN: one program of a loaded object, by name, run `repeat` times (0: once) on
   * CPU `cpu` with the same packet or context throughout, as the kernel test-runs it: its argument
   * rules first (a TestRunError with the kernel's errno when it would refuse: see test-run.ts),
   * then r0 of the last run as test_run's u32 retval, the packet after the runs (data_out) and a
   * syscall program's context as it wrote it back.
   */
  async testRun(program: string, options: TestRunInput & { cpu?: number } = {}): Promise<TestRunResult> {
    const { task } = this.objectProgram(program);
    const unsupported = testRunUnsupported(task.type, options);
    if (unsupported !== null) throw new RunError(`test run of program '${program}': ${unsupported}`);
    const refusal = testRunRefusal(task.type, task.ctxEnd, options);
    if (refusal !== null) throw new TestRunError(program, refusal.errno, refusal.why);
    const repeat = options.repeat ?? 0;
    if (!isU32(repeat)) throw new RunError(`repeat must be an integer from 0 to ${U32_MAX}, got ${String(repeat)}`);
    // An skb context's zero tail past struct __sk_buff was checked above and is not the program's.
    const ctx = options.ctx !== undefined && ctxKindOf(task.type) === 'skb' ? options.ctx.subarray(0, 192) : options.ctx;
    const r = await this.run({ program, cpu: options.cpu ?? 0, events: Math.max(1, repeat), data: options.data, ctx });
    const out: TestRunResult = { retval: r.lastReturn ?? 0 };
    if (r.dataOut !== undefined) out.dataOut = r.dataOut;
    if (task.type === 'syscall' && r.ctxOut !== undefined) out.ctxOut = r.ctxOut;
    return out;
  }

  /**
   * Once a run is stopped, every CPU must finish within stopTimeoutMs; one that does not (a handler
   * that never returns) has its worker terminated and replaced, and the run fails with CpuDiedError.
   */
  private watch(control: Int32Array, done: boolean[], terminated: Set<number>): NodeJS.Timeout {
    let stopSeen = 0;
    const timer = setInterval(() => {
      if (Atomics.load(control, CONTROL_STOP) === 0) return;
      const now = performance.now();
      if (stopSeen === 0) stopSeen = now;
      if (now - stopSeen < this.stopTimeoutMs) return;
      clearInterval(timer);
      for (let cpu = 0; cpu < this.cpus; cpu++) {
        if (done[cpu]) continue;
        terminated.add(cpu);
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

  /**
   * Stop every CPU and release the loaded programs' maps. A run in progress is stopped and ends as
   * stopped, with what it did (a CPU that does not stop within stopTimeoutMs is terminated, and the
   * run fails with CpuDiedError); close() resolves once it has ended.
   */
  async close(): Promise<void> {
    if (this.closed) {
      await this.closing;
      return;
    }
    this.closed = true;
    this.closing = this.shutdown();
    await this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stop();
    this.openBarrier();
    if (this.running !== null) await this.running;
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
    if (options.cpu !== undefined) {
      const c = options.cpu;
      if (!Number.isInteger(c) || c < 0 || c >= this.cpus) throw new RunError(`cpu must be from 0 to ${this.cpus - 1}, got ${String(c)}`);
      const n = options.events ?? 1;
      if (!isU32(n)) throw new RunError(`events must be an integer from 0 to ${U32_MAX}, got ${String(n)}`);
      return Array.from({ length: this.cpus }, (_, cpu) => (cpu === c ? n : 0));
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
        if ('program' in l) await pool.run({ id: l.id, url: l.url, handles: l.handles, progIds: l.progIds } satisfies LoadTask, { name: 'load' });
        else await pool.run({ id: l.id, object: l.object.task } satisfies LoadObjectTask, { name: 'loadObject' });
      }
    }
  }
}

/**
 * One CPU's failure in a run. When several CPUs failed, the first cause is reported, with the rest
 * attached: a throw, a broken lock rule or a worker death (rank 0) comes before a lock timeout (1),
 * usually the consequence of another CPU keeping its lock, and before a CPU terminated for not
 * stopping once the run was stopped (2); a lock timeout whose holder failed too comes last (3);
 * within a rank, the earliest.
 */
interface RunFailure {
  cpu: number;
  error: HandlerError | CpuDiedError;
  rank: number;
  atMs: number;
}

/** Return values of the CPUs that ran events, merged: most frequent first; the last CPU's last one; its packet. */
function returnsOf(reports: RunReport[], perCpu: number[]): Pick<RunResult, 'returns' | 'lastReturn' | 'dataOut' | 'ctxOut'> {
  const counts = new Map<number, number>();
  let last: RunReport | undefined;
  for (const r of reports) {
    if (perCpu[r.cpu] === 0) continue;
    for (const [v, n] of r.returns ?? []) counts.set(v, (counts.get(v) ?? 0) + n);
    last = r;
  }
  const out: Pick<RunResult, 'returns' | 'lastReturn' | 'dataOut' | 'ctxOut'> = {
    returns: [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value - b.value),
  };
  if (last?.lastReturn !== undefined && last.events > 0) out.lastReturn = last.lastReturn;
  const one = perCpu.filter((n) => n > 0).length === 1;
  if (last?.dataOut !== undefined && one) out.dataOut = last.dataOut;
  if (last?.ctxOut !== undefined && one) out.ctxOut = last.ctxOut;
  return out;
}
