// Programs: a module declares its maps and attaches handlers to probe names, in the spirit of a
// libbpf object file (SEC(".maps") definitions plus SEC("kprobe/...") programs). The coordinator
// imports the module to create the maps; every CPU imports the same module and binds its map
// objects to the same shared memory.

import { BpfMap } from '../maps/syscall.js';
import type { TailCall } from '../maps/tail-call.js';

/** The context a handler gets for one event. One object per CPU, reused for every event. */
export interface ProbeContext {
  /** The CPU running the handler (bpf_get_smp_processor_id()). */
  readonly cpu: number;
  /** This event's number on this CPU, from 0. */
  readonly index: number;
  /** The task the event happened in. */
  readonly pid: number;
  readonly tgid: number;
  readonly comm: string;
  /** bpf_ktime_get_ns() at the moment it is read (read on demand: a clock read per event would cost more than the event). */
  readonly timestamp: number;
}

/** A program: returns its return value, or TAIL_CALL as bpf_tail_call gave it (see maps/tail-call.ts). */
export type Handler = (ctx: ProbeContext) => number | void | TailCall;

export interface ProgramDefinition {
  /** A name for messages; defaults to the module's file name. */
  name?: string;
  /** The maps the handlers use, by name (declared with declareMap()). */
  maps: Record<string, BpfMap>;
  /** Handlers by probe name, e.g. 'kprobe/sys_clone', 'tracepoint/syscalls/sys_enter_execve'. */
  handlers: Record<string, Handler>;
}

const PROGRAM = Symbol.for('percpu-maps.program');

export interface Program extends Readonly<ProgramDefinition> {
  readonly [PROGRAM]: true;
}

/** A probe name: a program type, a slash, then the attach point (libbpf's SEC() names). */
const PROBE_RE = /^(kprobe|kretprobe|uprobe|uretprobe|tracepoint|raw_tracepoint|tp_btf|fentry|fexit|perf_event|xdp|tc|socket|cgroup_skb|lsm|usdt)\/\S+$/;

export class ProgramDefinitionError extends Error {
  override name = 'ProgramDefinitionError';
}

/** Declare a program: its maps and its handlers. The module's default export should be the result. */
export function defineProgram(def: ProgramDefinition): Program {
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
    if (typeof def.handlers[probe] !== 'function') throw new ProgramDefinitionError(`${where}: the handler for '${probe}' is not a function`);
    if (!PROBE_RE.test(probe)) {
      throw new ProgramDefinitionError(`${where}: '${probe}' is not a probe name; use a program type and attach point such as 'kprobe/sys_clone' or 'tracepoint/sched/sched_switch'`);
    }
  }
  return Object.freeze({ ...def, [PROGRAM]: true as const });
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
  return p;
}
