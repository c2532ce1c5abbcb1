// One simulated CPU: a piscina worker whose CPU id comes from its workerData and never changes
// (a replacement worker gets the same workerData, so the same id; threadId is not a CPU number).
// piscina keeps node's own workerData for itself; ours comes through piscina's export.
// Tasks: load a program (bind its maps to the shared handles), unload it, run a probe's events.

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
import { programOf, type Handler, type Program } from './program.js';

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
}

/** A program to load: its maps' handles, and the program id of each handler (by probe). */
export interface LoadTask { id: number; url: string; handles: Record<string, MapHandle>; progIds: Record<string, number> }
/** The channel published objects (inner maps, perf events) come through. */
export interface ChannelTask { port: MessagePort }
export interface RunTask {
  probe: string;
  events: number;
  barrier: SharedArrayBuffer;
  control: SharedArrayBuffer;
  source: TaskSource;
}
export interface HandlerFailure {
  message: string;
  stack: string;
  index: number;
  /** Set when a lock rule was broken (SpinLockError): which one, the verifier's line, the holder. */
  lockFault?: string;
  verifierMessage?: string;
  holderCpu?: number;
}
export interface RunReport {
  cpu: number;
  events: number;
  startMs: number;
  endMs: number;
  failure: HandlerFailure | null;
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
attachTracePipe(new TracePipe(cpus, data.trace));
const lockId = data.lockOwners instanceof SharedArrayBuffer ? registerLockOwner(cpu, data.lockOwners) : 0;
if (typeof data.lockTimeoutMs === 'number') setSpinLockTimeout(data.lockTimeoutMs);
const ctx = new EventContext(cpu);
setCurrentTask(ctx);

const programs = new Map<number, Program>();
/** Each loaded program's handlers as bpf_prog objects (a prog array's slots name them by id). */
const progObjects = new Map<number, BpfProg[]>();
let probes = new Map<string, Handler[]>();

function rebuildProbes(): void {
  const next = new Map<string, Handler[]>();
  for (const p of programs.values()) {
    for (const [probe, fn] of Object.entries(p.handlers)) {
      const list = next.get(probe) ?? [];
      list.push(fn);
      next.set(probe, list);
    }
  }
  probes = next;
}

/** The coordinator's start-up call: returns this thread's lock id (to declare it dead if it dies). */
export function ping(): number {
  return lockId;
}

export async function load(task: LoadTask): Promise<void> {
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

export function unload(id: number): void {
  programs.delete(id);
  for (const p of progObjects.get(id) ?? []) idrRemove(p.id, p);
  progObjects.delete(id);
  rebuildProbes();
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

const NO_HANDLERS: Handler[] = [];

export function run(task: RunTask): RunReport {
  const handlers = probes.get(task.probe) ?? NO_HANDLERS;
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
    events = runEvents(ctx, handlers, task.events, task.source, control);
    // A handler that returned with its lock held: the verifier's "exit inside a locked region".
    const leaked = releaseHeldLock();
    if (leaked !== null) failure = failureOf(leaked, control);
  } catch (e) {
    events = ctx.index;
    // Whatever the handler held is released, so no other CPU waits for it.
    releaseHeldLock();
    tailCallReset();
    if (e instanceof SpinLockError && e.fault === 'stopped') {
      // Not a failure: this CPU was waiting when the run stopped; the event it was in did not finish.
    } else {
      const err = e instanceof Error ? e : new Error(String(e));
      failure = failureOf(err, control);
    }
  } finally {
    setSpinLockStopWord(null);
  }
  const endMs = performance.timeOrigin + performance.now();
  return { cpu, events, startMs, endMs, failure };
}

/** Stop every CPU (one failing handler ends the run, as a faulting program would be detached) and describe the failure. */
function failureOf(err: Error, control: Int32Array): HandlerFailure {
  Atomics.store(control, CONTROL_STOP, 1);
  // A lock left held is the fault of the event that took it, not of the one that found it.
  const index = err instanceof SpinLockError && err.fault === 'exit-with-lock' ? err.lockedAtEvent : ctx.index;
  const f: HandlerFailure = { message: err.message, stack: err.stack ?? '', index };
  if (err instanceof SpinLockError) {
    f.lockFault = err.fault;
    f.verifierMessage = err.verifierMessage;
    f.holderCpu = err.holderCpu;
  }
  return f;
}
