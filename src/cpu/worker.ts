// One simulated CPU: a piscina worker whose CPU id comes from its workerData and never changes
// (a replacement worker gets the same workerData, so the same id; threadId is not a CPU number).
// piscina keeps node's own workerData for itself; ours comes through piscina's export.
// Tasks: load a program (bind its maps to the shared handles) or an eBPF object (instantiate its
// translated programs over the object's memory), unload it, run a probe's events.

import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { workerData } from 'piscina';
import { setCurrentTask, setKtimeOrigin, setSmpProcessorId } from '../smp/smp.js';
import { attachTracePipe } from '../maps/helpers.js';
import { TracePipe } from '../maps/trace-pipe.js';
import type { MapHandle } from '../maps/bpf.js';
import { idrAdd, idrRemove, setIdrResolver, type BpfProg, type PublishedObject } from '../maps/idr.js';
import { openMap } from '../maps/syscall.js';
import { openPerfEventHandle, type PerfEventHandle } from '../maps/perf-event.js';
import { tailCallReset } from '../maps/tail-call.js';
import { progTypeOfSection } from '../maps/uapi.js';
import {
  registerLockOwner, releaseHeldLock, setSpinLockMode, setSpinLockStopWord, setSpinLockTimeout, SpinLockError, type SpinLockMode,
} from '../sync/spinlock.js';
import { barrierWait } from './barrier.js';
import { EventContext, runEvents, CONTROL_STOP, type TaskSource } from './event-loop.js';
import { ObjectCpu, type CpuProgram, type RunInput } from './object-cpu.js';
import type { ObjectLoadTask } from './object.js';
import { programOf, type Handler, type Program } from './program.js';
import { checkImport } from './typescript.js';

export interface CpuWorkerData {
  cpu: number;
  cpus: number;
  spinLock: SpinLockMode;
  trace: SharedArrayBuffer;
  ktimeOrigin: number;
  /** The process's lock owner table (sync/spinlock.ts): this CPU registers there so its locks name it. */
  lockOwners: SharedArrayBuffer;
  /** How long a bpf_spin_lock waiter waits before the run fails (ms). */
  lockTimeoutMs: number;
  /** tsx's ESM API, registered by worker-entry.ts before this module loads (the main thread runs under tsx), or null. */
  typescript: string | null;
}

/** A program to load: its maps' handles, and the program id of each handler (by probe). */
export interface LoadTask { id: number; url: string; handles: Record<string, MapHandle>; progIds: Record<string, number> }
export interface LoadObjectTask { id: number; object: ObjectLoadTask }
/** The channel published objects (inner maps, perf events) come through. */
export interface ChannelTask { port: MessagePort }
export interface RunTask {
  probe: string;
  /** Run this object program alone (by function name) instead of the probe's programs and handlers. */
  program?: string;
  events: number;
  barrier: SharedArrayBuffer;
  control: SharedArrayBuffer;
  source: TaskSource;
  /** The packet / context of networking and syscall programs (objects). */
  input?: RunInput;
}
export interface HandlerFailure {
  message: string;
  stack: string;
  index: number;
  /** When it happened (ms since the epoch, as performance.timeOrigin + now()): the first failure of a run is its cause. */
  atMs: number;
  /** Set when a lock rule was broken (SpinLockError): which one, the verifier's line, the holder. */
  lockFault?: string;
  verifierMessage?: string;
  holderCpu?: number;
  /** A translated program's fault: the program, the instruction index and its source line. */
  program?: string;
  insn?: number;
  source?: string;
}
export interface RunReport {
  cpu: number;
  events: number;
  startMs: number;
  endMs: number;
  failure: HandlerFailure | null;
  /** Objects' programs: r0 (u32) -> events that returned it, and the last event's. */
  returns?: [number, number][];
  lastReturn?: number;
  /** tc/xdp: the packet after the run (data_out). */
  dataOut?: Uint8Array;
  /** Programs given ctx bytes: the context after the run, as long as given (a syscall program writes it back). */
  ctxOut?: Uint8Array;
}

const data = (workerData ?? {}) as Partial<CpuWorkerData>;
if (typeof data.cpu !== 'number' || typeof data.cpus !== 'number' || !(data.trace instanceof SharedArrayBuffer)) {
  throw new Error('percpu-maps CPU worker started without its workerData (cpu, cpus, trace); start CPUs through Runtime.start()');
}
const cpu = data.cpu;
const cpus = data.cpus;
setSmpProcessorId(cpu);
setSpinLockMode(data.spinLock ?? 'adaptive');
setKtimeOrigin(data.ktimeOrigin ?? 0);
const tracePipe = new TracePipe(cpus, data.trace);
attachTracePipe(tracePipe);
const lockId = data.lockOwners instanceof SharedArrayBuffer ? registerLockOwner(cpu, data.lockOwners) : 0;
if (typeof data.lockTimeoutMs === 'number') setSpinLockTimeout(data.lockTimeoutMs);
const ctx = new EventContext(cpu);
setCurrentTask(ctx);

const programs = new Map<number, Program | ObjectCpu>();

/** What runs on a probe: handlers in load order; an object's programs also each as a handler. */
interface Probe {
  handlers: Handler[];
  objects: { cpu: ObjectCpu; prog: CpuProgram }[];
}
let probes = new Map<string, Probe>();
/** Each loaded program's handlers as bpf_prog objects (a prog array's slots name them by id). */
const progObjects = new Map<number, BpfProg[]>();

function rebuildProbes(): void {
  const next = new Map<string, Probe>();
  const probe = (name: string): Probe => {
    let p = next.get(name);
    if (p === undefined) next.set(name, (p = { handlers: [], objects: [] }));
    return p;
  };
  for (const p of programs.values()) {
    if (p instanceof ObjectCpu) {
      for (const prog of p.programs) {
        const pr = probe(prog.task.probe);
        pr.objects.push({ cpu: p, prog });
        // Beside other handlers a program runs one event at a time.
        pr.handlers.push((c) => {
          p.running = prog;
          prog.runRange(c.index, c.index + 1);
        });
      }
    } else {
      for (const [name, fn] of Object.entries(p.handlers)) probe(name).handlers.push(fn);
    }
  }
  probes = next;
}

/** The coordinator's start-up call: returns this thread's lock id (to declare it dead if it dies). */
export function ping(): number {
  return lockId;
}

export async function load(task: LoadTask): Promise<void> {
  checkImport(task.url, typeof data.typescript === 'string');
  const program = programOf(await import(task.url), task.url);
  // Let a promise the module rejected without a handler end this worker now, during the load that
  // caused it, instead of failing whatever task comes next.
  await new Promise((resolve) => setImmediate(resolve));
  for (const [name, handle] of Object.entries(task.handles)) {
    const map = program.maps[name];
    if (!map) throw new Error(`${task.url}: the program has no map '${name}' on CPU ${cpu}`);
    map.attach(handle);
  }
  const progs: BpfProg[] = [];
  for (const [probe, id] of Object.entries(task.progIds ?? {})) {
    const fn = program.handlers[probe];
    if (!fn) throw new Error(`${task.url}: the program has no handler '${probe}' on CPU ${cpu}`);
    const prog: BpfProg = { id, type: progTypeOfSection(probe.slice(0, probe.indexOf('/'))) ?? 0, name: probe, run: fn };
    idrAdd(id, 'prog', prog);
    progs.push(prog);
  }
  programs.set(task.id, program);
  progObjects.set(task.id, progs);
  rebuildProbes();
}

export function loadObject(task: LoadObjectTask): void {
  const taskAt = (event: number) => {
    ctx.index = event;
    return ctx;
  };
  programs.set(task.id, new ObjectCpu(task.object, cpu, taskAt, () => tracePipe));
  rebuildProbes();
}

export function unload(id: number): void {
  const p = programs.get(id);
  if (p instanceof ObjectCpu) p.dispose();
  programs.delete(id);
  for (const p of progObjects.get(id) ?? []) idrRemove(p.id, p);
  progObjects.delete(id);
  rebuildProbes();
}

const NO_PROBE: Probe = { handlers: [], objects: [] };

/** One object program alone, as a probe of its own (BPF_PROG_TEST_RUN runs one program, not an attach point). */
function programProbe(name: string): Probe {
  for (const p of programs.values()) {
    if (!(p instanceof ObjectCpu)) continue;
    const prog = p.programs.find((x) => x.task.name === name);
    if (prog === undefined) continue;
    return {
      objects: [{ cpu: p, prog }],
      handlers: [(c) => {
        p.running = prog;
        prog.runRange(c.index, c.index + 1);
      }],
    };
  }
  return NO_PROBE;
}

/** Objects published to this CPU, opened here: held for the life of the worker (kernel: refcounted). */
const opened: object[] = [];
let channel: MessagePort | null = null;

/** Open every object waiting in the channel (a program met an id this thread did not know yet). */
function drainChannel(): void {
  if (channel === null) return;
  for (let m = receiveMessageOnPort(channel); m !== undefined; m = receiveMessageOnPort(channel)) {
    const o = m.message as PublishedObject;
    opened.push(o.kind === 'map' ? openMap(o.handle as MapHandle) : openPerfEventHandle(o.handle as PerfEventHandle));
  }
}

/** The coordinator's channel for published objects (sent once at start, again after a restart). */
export function attachChannel(task: ChannelTask): void {
  channel = task.port;
  setIdrResolver(drainChannel);
}

export function run(task: RunTask): RunReport {
  const probe = task.program === undefined ? (probes.get(task.probe) ?? NO_PROBE) : programProbe(task.program);
  const { handlers, objects } = probe;
  // One object program alone on its probe runs its events inside its own translated loop.
  const only = handlers.length === 1 && objects.length === 1 ? objects[0]! : null;
  const batch = only === null ? null : (from: number, to: number) => only.prog.runRange(from, to);
  for (const o of objects) {
    o.cpu.running = only === null ? null : only.prog;
    o.cpu.prepare([o.prog], task.input ?? {}, task.source.pidBase, task.source.pids);
  }
  const control = new Int32Array(task.control);
  barrierWait(task.barrier, cpus);
  const startMs = performance.timeOrigin + performance.now();
  let events = 0;
  let failure: HandlerFailure | null = null;
  // A CPU waiting for a lock leaves when the run stops (another CPU failed, Ctrl-C).
  setSpinLockStopWord(control, CONTROL_STOP);
  const type = task.probe.slice(0, task.probe.indexOf('/'));
  ctx.userMode = type === 'uprobe' || type === 'uretprobe' || type === 'usdt';
  try {
    events = runEvents(ctx, handlers, task.events, task.source, control, batch);
    // A handler that returned with its lock held: the verifier's "exit inside a locked region".
    const leaked = releaseHeldLock();
    if (leaked !== null) failure = failureOf(leaked, control);
  } catch (e) {
    // In its own loop a translated program counts events itself: the one it stopped in (in a
    // tail-call chain, the target running it).
    if (only !== null) ctx.index = (only.cpu.running ?? only.prog).event;
    events = ctx.index;
    // Whatever the handler held is released, so no other CPU waits for it.
    releaseHeldLock();
    tailCallReset();
    // The program that failed: the one running, or a tail call target running for it.
    const failed = objects.find((o) => o.cpu.running === o.prog) ??
      objects.find((o) => o.cpu.running !== null && !objects.some((x) => x.prog === o.cpu.running));
    const fault = failed === undefined ? null : failed.cpu.failureOf(failed.cpu.running!, e);
    if (fault !== null) {
      Atomics.store(control, CONTROL_STOP, 1);
      failure = {
        message: fault.message, stack: (e as Error).stack ?? '', index: fault.event, atMs: performance.timeOrigin + performance.now(),
        program: fault.program, insn: fault.insn, source: fault.source,
      };
    } else if (e instanceof SpinLockError && e.fault === 'stopped') {
      // Not a failure: this CPU was waiting when the run stopped; the event it was in did not finish.
    } else {
      const err = e instanceof Error ? e : new Error(String(e));
      failure = failureOf(err, control);
    }
  } finally {
    setSpinLockStopWord(null);
  }
  const endMs = performance.timeOrigin + performance.now();
  const report: RunReport = { cpu, events, startMs, endMs, failure };
  if (objects.length > 0) {
    const counts = new Map<number, number>();
    for (const o of objects) for (const [v, n] of o.prog.returns) counts.set(v, (counts.get(v) ?? 0) + n);
    report.returns = [...counts];
    report.lastReturn = objects[objects.length - 1]!.prog.lastReturn;
    report.dataOut = objects[0]!.cpu.packetOut();
    const ctxIn = task.input?.ctx;
    if (ctxIn !== undefined) report.ctxOut = objects[0]!.cpu.ctxOut(ctxIn.length);
  }
  return report;
}

/** Stop every CPU (one failing handler ends the run, as a faulting program would be detached) and describe the failure. */
function failureOf(err: Error, control: Int32Array): HandlerFailure {
  Atomics.store(control, CONTROL_STOP, 1);
  // A lock left held is the fault of the event that took it, not of the one that found it.
  const index = err instanceof SpinLockError && err.fault === 'exit-with-lock' ? err.lockedAtEvent : ctx.index;
  const f: HandlerFailure = { message: err.message, stack: err.stack ?? '', index, atMs: performance.timeOrigin + performance.now() };
  if (err instanceof SpinLockError) {
    f.lockFault = err.fault;
    f.verifierMessage = err.verifierMessage;
    f.holderCpu = err.holderCpu;
  }
  return f;
}
