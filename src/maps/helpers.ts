// The program face: the kernel helpers a handler calls (kernel/bpf/helpers.c). Kernel names and
// return conventions: a view or null, 0 or a negative errno. Arguments are checked here, once; the
// family ops behind them do not check again. Nothing here allocates on the success path. The ring
// buffer's helpers live beside it (ringbuf-helpers.ts), as kernel/bpf/ringbuf.c holds its own.

import { BpfError, EINVAL } from './errno.js';
import { ValueView } from './layout.js';
import type { Key, ValueSource } from './bpf.js';
import type { BpfMap } from './syscall.js';
import { current, ktimeGetNs, notOnCpu, smpProcessorId } from '../smp/smp.js';
import { TracePipe, formatTrace, traceLine } from './trace-pipe.js';
import * as limits from './limits.js';
import { heldLockIndex, lockHeldFault } from '../sync/spinlock.js';
import { BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, isFdMapType, mapTypeName } from './uapi.js';
import { fdMapFault } from './fd-array.js';

/** A module-level copy for bpf_get_current_pid_tgid, which handlers call per event (see layout.ts). */
const TWO_32 = limits.TWO_32;

/**
 * A key of the wrong size is a program bug the kernel's verifier would reject before the program
 * ran; here it is met at run time, so it throws (stopping the run with this message).
 */
function badKey(map: BpfMap<ValueView>, helper: string, key: unknown): never {
  if (map.handle === null) {
    // keySize reads 0 until the map exists: say what is really wrong.
    throw new Error(`${helper} on map '${map.name}': the map was never created; list it in the program's maps ({ maps: { ${map.attr.name || 'name'} } }) so runtime.load creates it, or create it with createMap()`);
  }
  const ks = map.attr.keySize;
  const what = typeof key === 'number' ? `the number ${key}` : key instanceof Uint8Array ? `${key.length} bytes` : String(key);
  throw new BpfError(map.name, helper, EINVAL,
    `the key is ${what} but key_size is ${ks}; pass ${ks} bytes${ks === 4 || ks === 8 ? ' or a non-negative integer' : ''} (the verifier would reject this program)`);
}

function checkKey(map: BpfMap<ValueView>, helper: string, key: Key): void {
  if (smpProcessorId < 0) notOnCpu(`${helper} on map '${map.name}'`);
  // The verifier allows no calls between bpf_spin_lock and bpf_spin_unlock (this CPU's record says).
  if (heldLockIndex !== -1) lockHeldFault(helper);
  if (typeof key === 'number' ? !(key >= 0 && map.numberKeys) : !(key instanceof Uint8Array && key.length === map.keySize)) {
    badKey(map, helper, key);
  }
}

function checkValue(map: BpfMap<ValueView>, helper: string, value: ValueSource): void {
  const vs = map.attr.valueSize;
  // Bytes first (the common case: one step of the prototype chain, see copyValueIn).
  if (value instanceof Uint8Array ? value.length !== vs : !(value instanceof ValueView) || value._size !== vs) {
    const got = value instanceof ValueView ? `a view of ${value._size} bytes` : value instanceof Uint8Array ? `${value.length} bytes` : String(value);
    throw new BpfError(map.name, helper, EINVAL, `the value is ${got} but value_size is ${vs} (the verifier would reject this program)`);
  }
}

/** bpf_map_lookup_elem(map, key): a live view of the value (this CPU's slot on per-CPU maps), or null. */
export function bpf_map_lookup_elem<V extends ValueView>(map: BpfMap<V>, key: Key): V | null {
  // The common case (a number key, no lock held) is tested once; the rest is checked aside, which
  // keeps this path small enough to inline into handlers.
  if (typeof key === 'number' && heldLockIndex === -1) {
    // Arrays: the lookup the verifier would inline (map_gen_lookup), one indexed read. Any key that
    // is not an index of an existing view reads undefined and goes on to the family's lookup.
    const v = map.genLookup[key];
    if (v !== undefined) return v;
    // A number key needs a 4- or 8-byte-key map and must not be negative; and a CPU to run on
    // (user space has no inlined views, so an array lookup there comes this way too).
    if (!(key >= 0) || !map.numberKeys || smpProcessorId < 0) checkKey(map, 'bpf_map_lookup_elem', key);
  } else {
    checkKey(map, 'bpf_map_lookup_elem', key);
  }
  return map.ops.lookupElem(map, key, smpProcessorId) as V | null;
}

/** bpf_map_update_elem(map, key, value, flags): 0 or a negative errno. Per-CPU maps: this CPU's slot only. */
export function bpf_map_update_elem(map: BpfMap, key: Key, value: ValueSource, flags: number): number {
  if (isFdMapType(map.attr.type)) fdMapFault(map, 'bpf_map_update_elem');
  checkKey(map, 'bpf_map_update_elem', key);
  checkValue(map, 'bpf_map_update_elem', value);
  return map.ops.updateElem(map, key, value, flags, smpProcessorId, false);
}

/** bpf_map_delete_elem(map, key): 0 or a negative errno. */
export function bpf_map_delete_elem(map: BpfMap, key: Key): number {
  if (isFdMapType(map.attr.type)) fdMapFault(map, 'bpf_map_delete_elem');
  checkKey(map, 'bpf_map_delete_elem', key);
  return map.ops.deleteElem(map, key, smpProcessorId);
}

/** bpf_map_lookup_percpu_elem(map, key, cpu): the slot of another CPU, or null (cpu out of range too). */
export function bpf_map_lookup_percpu_elem<V extends ValueView>(map: BpfMap<V>, key: Key, cpu: number): V | null {
  checkKey(map, 'bpf_map_lookup_percpu_elem', key);
  if (!map.ops.percpu) {
    throw new BpfError(map.name, 'bpf_map_lookup_percpu_elem', EINVAL, 'only per-CPU maps have per-CPU slots (the verifier would reject this program)');
  }
  if (!(cpu >= 0 && cpu < map.cpus)) return null;
  return map.ops.lookupElem(map, key, cpu >>> 0) as V | null;
}

// ---- queue, stack and bloom filter -------------------------------------------------------------

/** Helper numbers (enum bpf_func_id), as the verifier names helpers in its messages. */
const HELPER_IDS: Record<string, number> = { bpf_map_push_elem: 87, bpf_map_pop_elem: 88, bpf_map_peek_elem: 89 };

/** The verifier's check_map_func_compatibility for push/pop/peek: which map types each helper takes. */
function checkPushPopPeek(map: BpfMap, helper: string, bloomToo: boolean): void {
  if (smpProcessorId < 0) notOnCpu(`${helper} on map '${map.name}'`);
  if (heldLockIndex !== -1) lockHeldFault(helper);
  const t = map.attr.type;
  if (t === BPF_MAP_TYPE_QUEUE || t === BPF_MAP_TYPE_STACK || (bloomToo && t === BPF_MAP_TYPE_BLOOM_FILTER)) return;
  throw new BpfError(map.name, helper, EINVAL,
    `cannot pass map_type ${t} into func ${helper}#${HELPER_IDS[helper]} (the verifier's words: ${helper} works on queue and stack${bloomToo ? ' and bloom filter' : ''} maps only, not on ${mapTypeName(t) ?? `type ${t}`} maps)`);
}

/** Flags are a u64: a negative number is a huge one, which every push rejects. */
function u64Flags(map: BpfMap, helper: string, flags: number): number {
  if (!Number.isInteger(flags)) {
    throw new BpfError(map.name, helper, EINVAL, `flags must be an integer, got ${String(flags)}`);
  }
  return flags < 0 ? Number.MAX_SAFE_INTEGER : flags;
}

/**
 * bpf_map_push_elem(map, value, flags): queue and stack push (BPF_EXIST overwrites the oldest when
 * full, else E2BIG); on a bloom filter, add the value (flags must be 0). 0 or a negative errno.
 */
export function bpf_map_push_elem(map: BpfMap, value: ValueSource, flags: number): number {
  checkPushPopPeek(map, 'bpf_map_push_elem', true);
  checkValue(map, 'bpf_map_push_elem', value);
  return map.ops.pushElem!(map, value, u64Flags(map, 'bpf_map_push_elem', flags), smpProcessorId);
}

/** bpf_map_pop_elem(map, value): the oldest (queue) or newest (stack) value into `value`; -ENOENT and zeros when empty. */
export function bpf_map_pop_elem(map: BpfMap, value: ValueSource): number {
  checkPushPopPeek(map, 'bpf_map_pop_elem', false);
  checkValue(map, 'bpf_map_pop_elem', value);
  return map.ops.popElem!(map, value, smpProcessorId);
}

/**
 * bpf_map_peek_elem(map, value): as pop without removing. On a bloom filter `value` is read: 0 when
 * it may be in the set, -ENOENT when it certainly is not.
 */
export function bpf_map_peek_elem(map: BpfMap, value: ValueSource): number {
  checkPushPopPeek(map, 'bpf_map_peek_elem', true);
  checkValue(map, 'bpf_map_peek_elem', value);
  return map.ops.peekElem!(map, value, smpProcessorId);
}

/** A CPU-bound helper called outside a CPU, or under a bpf_spin_lock (aside, to keep the helpers small). */
function onCpuFault(helper: string): never {
  if (smpProcessorId < 0) notOnCpu(helper);
  lockHeldFault(helper);
}

/** bpf_get_smp_processor_id(): the CPU this program runs on. */
export function bpf_get_smp_processor_id(): number {
  if (heldLockIndex !== -1 || smpProcessorId < 0) onCpuFault('bpf_get_smp_processor_id');
  return smpProcessorId;
}

/** bpf_ktime_get_ns(): monotonic nanoseconds, comparable across CPUs of one runtime. */
export function bpf_ktime_get_ns(): number {
  if (heldLockIndex !== -1 || smpProcessorId < 0) onCpuFault('bpf_ktime_get_ns');
  return ktimeGetNs();
}

/**
 * bpf_get_current_pid_tgid(): tgid << 32 | pid, as a number (exact while the tgid is below 2^21, as
 * the pids of generated events are unless a run's source says otherwise). Split it with tgidOf()
 * and pidOf(): C's `>> 32` on a JS number gives the low word (the thread id), and `>> 32n` throws.
 */
export function bpf_get_current_pid_tgid(): number {
  if (heldLockIndex !== -1 || smpProcessorId < 0) onCpuFault('bpf_get_current_pid_tgid');
  return current.tgid * TWO_32 + current.pid;
}

/** The process id (tgid) of a bpf_get_current_pid_tgid() value: C's `pid_tgid >> 32`. */
export function tgidOf(pidTgid: number): number {
  return Math.floor(pidTgid / TWO_32);
}

/** The thread id (the kernel's pid) of a bpf_get_current_pid_tgid() value: C's `(u32)pid_tgid`. */
export function pidOf(pidTgid: number): number {
  return pidTgid >>> 0;
}

/** bpf_get_current_comm(): the current task's name. */
export function bpf_get_current_comm(): string {
  if (heldLockIndex !== -1 || smpProcessorId < 0) onCpuFault('bpf_get_current_comm');
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
  if (heldLockIndex !== -1 || smpProcessorId < 0) onCpuFault('bpf_trace_printk');
  const text = formatTrace(fmt, args);
  if (text === null) return EINVAL;
  const line = traceLine(current.comm, current.pid, smpProcessorId, ktimeGetNs(), text);
  if (tracePipe !== null) tracePipe.write(smpProcessorId, line);
  else process.stderr.write(line + '\n');
  return text.length + 1;
}
