// Programs: a module declares its maps and attaches handlers to probe names, in the spirit of a
// libbpf object file (SEC(".maps") definitions plus SEC("kprobe/...") programs). The coordinator
// imports the module to create the maps; every CPU imports the same module and binds its map
// objects to the same shared memory.

import { BpfMap } from '../maps/syscall.js';
import type { TailCall } from '../maps/tail-call.js';

/**
 * The context a handler gets for one event (the `ctx` of `handlers: { 'kprobe/x'(ctx) { ... } }`),
 * standing for the kernel's `struct pt_regs *ctx` and `current`. One object per CPU, reused for
 * every event: read its fields during the call, do not keep it. The task comes from the run's
 * event source (RunOptions.source): events take `pids` tasks from `pidBase` in turn.
 */
export interface ProbeContext {
  /** The CPU running the handler (bpf_get_smp_processor_id()). */
  readonly cpu: number;
  /** This event's number on this CPU, from 0. */
  readonly index: number;
  /** The thread the event happened in (the kernel's pid; the low half of bpf_get_current_pid_tgid()). */
  readonly pid: number;
  /** Its process (the kernel's tgid; the high half of bpf_get_current_pid_tgid()). Generated tasks are single-threaded: the pid. */
  readonly tgid: number;
  /** The task's name, as bpf_get_current_comm() gives it (the source's comm, 'bash' by default). */
  readonly comm: string;
  /** bpf_ktime_get_ns() at the moment it is read (read on demand: a clock read per event would cost more than the event). */
  readonly timestamp: number;
}

/**
 * A handler: a plain function (not async) run once per event on the CPU the event fired on. It
 * returns nothing or a number (a program's return code), or TAIL_CALL as bpf_tail_call gave it
 * (see maps/tail-call.ts); it may not return a promise.
 */
export type Handler = (ctx: ProbeContext) => number | void | TailCall;

/** A program's maps by name. */
export type ProgramMaps = Record<string, BpfMap<any>>;

export interface ProgramDefinition<M extends ProgramMaps = ProgramMaps> {
  /** A name for messages; defaults to the module's file name. */
  name?: string;
  /** The maps the handlers use, by name (declared with declareMap()). Their names carry into the type of the loaded program's `maps`. */
  maps: M;
  /** Handlers by probe name, e.g. 'kprobe/sys_clone', 'tracepoint/syscalls/sys_enter_execve'. */
  handlers: Record<string, Handler>;
}

const PROGRAM = Symbol.for('percpu-maps.program');

/** What defineProgram returns: the module's default export, which Runtime.load() loads. */
export interface Program<M extends ProgramMaps = ProgramMaps> extends Readonly<ProgramDefinition<M>> {
  readonly [PROGRAM]: true;
}

/** A probe name: a program type, a slash, then the attach point (libbpf's SEC() names). */
const PROBE_RE = /^(kprobe|kretprobe|uprobe|uretprobe|tracepoint|raw_tracepoint|tp_btf|fentry|fexit|perf_event|xdp|tc|socket|cgroup_skb|lsm|usdt)\/\S+$/;

export class ProgramDefinitionError extends Error {
  override name = 'ProgramDefinitionError';
}

/**
 * Declare a program: its maps and its handlers. The module's default export should be the result.
 * Handlers are plain functions (not async): each runs to its end for every event, as a BPF program does.
 */
export function defineProgram<M extends ProgramMaps>(def: ProgramDefinition<M>): Program<M> {
  const where = def?.name ? `program '${def.name}'` : 'program';
  if (def === null || typeof def !== 'object') throw new ProgramDefinitionError(`${where}: defineProgram() takes { maps, handlers }`);
  if (def.maps === null || typeof def.maps !== 'object') {
    throw new ProgramDefinitionError(`${where}: 'maps' must be an object of maps made with declareMap() (use {} for none)`);
  }
  for (const [name, map] of Object.entries(def.maps)) {
    if (!(map instanceof BpfMap)) throw new ProgramDefinitionError(`${where}: maps.${name} is not a map; declare it with declareMap({ type, keySize, valueSize, maxEntries })`);
  }
  const probes = def.handlers && typeof def.handlers === 'object' ? Object.keys(def.handlers) : [];
  if (probes.length === 0) {
    throw new ProgramDefinitionError(`${where}: no handlers; attach at least one, e.g. handlers: { 'kprobe/sys_clone': (ctx) => { ... } }`);
  }
  for (const probe of probes) {
    checkHandler(where, probe, def.handlers[probe]);
    if (!PROBE_RE.test(probe)) {
      throw new ProgramDefinitionError(`${where}: '${probe}' is not a probe name; use a program type and attach point such as 'kprobe/sys_clone' or 'tracepoint/sched/sched_switch'`);
    }
  }
  return Object.freeze({ ...def, [PROGRAM]: true as const });
}

/**
 * A handler is a plain function. A kernel program runs to its end in one go and cannot sleep or
 * return later, so an async or generator function (whose body would run later, or never) is refused.
 */
function checkHandler(where: string, probe: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new ProgramDefinitionError(`${where}: the handler for '${probe}' is not a function`);
  const kind = fn.constructor?.name;
  if (kind === 'AsyncFunction' || kind === 'AsyncGeneratorFunction') {
    throw new ProgramDefinitionError(`${where}: the handler for '${probe}' is an async function; a BPF program runs to its end in one go ` +
      'and cannot wait: make it a plain function and do asynchronous work in user space, between runs');
  }
  if (kind === 'GeneratorFunction') {
    throw new ProgramDefinitionError(`${where}: the handler for '${probe}' is a generator function; a handler is a plain function that does its work when it is called`);
  }
}

function isProgram(x: unknown): x is Program {
  return typeof x === 'object' && x !== null && (x as Program)[PROGRAM] === true;
}

/** The program a module exports (as its default export). */
export function programOf(mod: Record<string, unknown>, url: string): Program {
  const p = mod.default;
  if (!isProgram(p)) {
    throw new ProgramDefinitionError(`${url}: the module's default export is not a program; end it with 'export default defineProgram({ maps, handlers })'`);
  }
  // Checked again at load: the handlers object itself is not frozen, so it may have changed since.
  for (const [probe, fn] of Object.entries(p.handlers)) checkHandler(`program '${p.name ?? url}'`, probe, fn);
  return p;
}
