// The program face: the kernel helpers a handler calls (kernel/bpf/helpers.c). Kernel names and
// return conventions: a view or null, 0 or a negative errno. Arguments are checked here, once; the
// family ops behind them do not check again. Nothing here allocates on the success path.

import { BpfError, EINVAL } from './errno.js';
import { ValueView } from './layout.js';
import type { Key, ValueSource } from './ops.js';
import type { BpfMap } from './syscall.js';
import { current, ktimeGetNs, smpProcessorId } from './smp.js';
import { TracePipe, formatTrace, traceLine } from './trace-pipe.js';

/**
 * A key of the wrong size is a program bug the kernel's verifier would reject before the program
 * ran; here it is met at run time, so it throws (stopping the run with this message).
 */
function badKey(map: BpfMap<ValueView>, helper: string, key: unknown): never {
  const ks = map.attr.keySize;
  const what = typeof key === 'number' ? `the number ${key}` : key instanceof Uint8Array ? `${key.length} bytes` : String(key);
  throw new BpfError(map.name, helper, EINVAL,
    `the key is ${what} but key_size is ${ks}; pass ${ks} bytes${ks === 4 || ks === 8 ? ' or a non-negative integer' : ''} (the verifier would reject this program)`);
}

function checkKey(map: BpfMap<ValueView>, helper: string, key: Key): void {
  if (typeof key === 'number') {
    const ks = map.attr.keySize;
    if ((ks !== 4 && ks !== 8) || !(key >= 0)) badKey(map, helper, key);
  } else if (!(key instanceof Uint8Array) || key.length !== map.attr.keySize) {
    badKey(map, helper, key);
  }
}

function checkValue(map: BpfMap<ValueView>, helper: string, value: ValueSource): void {
  const vs = map.attr.valueSize;
  if (value instanceof ValueView ? value._size !== vs : !(value instanceof Uint8Array) || value.length !== vs) {
    const got = value instanceof ValueView ? `a view of ${value._size} bytes` : value instanceof Uint8Array ? `${value.length} bytes` : String(value);
    throw new BpfError(map.name, helper, EINVAL, `the value is ${got} but value_size is ${vs} (the verifier would reject this program)`);
  }
}

/** bpf_map_lookup_elem(map, key): a live view of the value (this CPU's slot on per-CPU maps), or null. */
export function bpf_map_lookup_elem<V extends ValueView>(map: BpfMap<V>, key: Key): V | null {
  checkKey(map, 'bpf_map_lookup_elem', key);
  return map.ops.lookupElem(map, key, smpProcessorId) as V | null;
}

/** bpf_map_update_elem(map, key, value, flags): 0 or a negative errno. Per-CPU maps: this CPU's slot only. */
export function bpf_map_update_elem(map: BpfMap, key: Key, value: ValueSource, flags: number): number {
  checkKey(map, 'bpf_map_update_elem', key);
  checkValue(map, 'bpf_map_update_elem', value);
  return map.ops.updateElem(map, key, value, flags, smpProcessorId, false);
}

/** bpf_map_delete_elem(map, key): 0 or a negative errno. */
export function bpf_map_delete_elem(map: BpfMap, key: Key): number {
  checkKey(map, 'bpf_map_delete_elem', key);
  return map.ops.deleteElem(map, key, smpProcessorId);
}

/** bpf_map_lookup_percpu_elem(map, key, cpu): the slot of another CPU, or null (cpu out of range too). */
export function bpf_map_lookup_percpu_elem<V extends ValueView>(map: BpfMap<V>, key: Key, cpu: number): V | null {
  checkKey(map, 'bpf_map_lookup_percpu_elem', key);
  if (!map.isPercpu) {
    throw new BpfError(map.name, 'bpf_map_lookup_percpu_elem', EINVAL, 'only per-CPU maps have per-CPU slots (the verifier would reject this program)');
  }
  if (!(cpu >= 0 && cpu < map.cpus)) return null;
  return map.ops.lookupElem(map, key, cpu >>> 0) as V | null;
}

/** bpf_get_smp_processor_id(): the CPU this program runs on. */
export function bpf_get_smp_processor_id(): number {
  return smpProcessorId;
}

/** bpf_ktime_get_ns(): monotonic nanoseconds, comparable across CPUs of one runtime. */
export function bpf_ktime_get_ns(): number {
  return ktimeGetNs();
}

/** bpf_get_current_pid_tgid(): tgid << 32 | pid, as a number. */
export function bpf_get_current_pid_tgid(): number {
  return current.tgid * 4294967296 + current.pid;
}

/** bpf_get_current_comm(): the current task's name. */
export function bpf_get_current_comm(): string {
  return current.comm;
}

let tracePipe: TracePipe | null = null;

/** Where bpf_trace_printk() writes in this thread (the runtime attaches its pipe in every CPU). */
export function attachTracePipe(pipe: TracePipe | null): void {
  tracePipe = pipe;
}

/**
 * bpf_trace_printk(fmt, ...args): one line to the trace pipe. Returns the number of bytes
 * written, or -EINVAL for more than 3 arguments or a bad conversion, as the kernel helper.
 */
export function bpf_trace_printk(fmt: string, ...args: unknown[]): number {
  const text = formatTrace(fmt, args);
  if (text === null) return EINVAL;
  const line = traceLine(current.comm, current.pid, smpProcessorId, ktimeGetNs(), text);
  if (tracePipe !== null) tracePipe.write(smpProcessorId, line);
  else process.stderr.write(line + '\n');
  return text.length + 1;
}
