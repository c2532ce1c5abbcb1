// bpf_perf_event_output() (the kernel's kernel/trace/bpf_trace.c): a program writes a
// PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW data into the perf event in a perf event array's slot,
// that of the program's own CPU with BPF_F_CURRENT_CPU. The event's ring (perf-event.ts) is what
// user space reads (perf-buffer.ts).

import { BpfError, E2BIG, EINVAL, ENOENT, EOPNOTSUPP } from './errno.js';
import { ValueView } from './layout.js';
import type { BpfMapCore, ValueSource } from './bpf.js';
import { perfEventSlot } from './fd-array.js';
import { PERF_RECORD_MISC_KERNEL, PERF_RECORD_MISC_USER } from './perf-event.js';
import { BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK, BPF_MAP_TYPE_PERF_EVENT_ARRAY, mapTypeName } from './uapi.js';
import { smpProcessorId } from '../smp/smp.js';
import { heldLockIndex, lockHeldFault } from '../sync/spinlock.js';

/** The largest raw sample: its record's u16 size must hold header, size word, data and padding. */
const MAX_RAW_SAMPLE = 0xffff - 8 - 4 - 7;

function outputFault(map: BpfMapCore, why: string): never {
  throw new BpfError(map.name, 'bpf_perf_event_output', EINVAL, why);
}

function checkArgs(map: BpfMapCore, data: unknown, size: number | undefined): number {
  if (heldLockIndex !== -1) lockHeldFault('bpf_perf_event_output');
  if (map.attr.type !== BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
    outputFault(map, `cannot pass map_type ${map.attr.type} into func bpf_perf_event_output#25 (the verifier's words: it takes a perf event array, not a ${mapTypeName(map.attr.type) ?? `type ${map.attr.type}`} map)`);
  }
  const len = data instanceof Uint8Array ? data.length : data instanceof ValueView ? data._size : -1;
  if (len < 0) outputFault(map, 'data must be a Uint8Array or a view (the verifier would reject this program)');
  const n = size ?? len;
  if (!Number.isInteger(n) || n < 0 || n > len) {
    outputFault(map, `the size ${String(size)} is not within the ${len} bytes of data (the verifier would reject this program)`);
  }
  if (n > MAX_RAW_SAMPLE) {
    outputFault(map, `a sample of ${n} bytes does not fit a perf record (its u16 size holds at most ${MAX_RAW_SAMPLE} bytes of raw data); send less`);
  }
  return n;
}

/**
 * bpf_perf_event_output(ctx, map, flags, data, size): write `size` bytes of `data` (default: all
 * of it) as one sample into the perf event at index flags & BPF_F_INDEX_MASK, or this CPU's with
 * BPF_F_CURRENT_CPU. 0, or a negative errno: -EINVAL (other bits in flags, an event that is not a
 * BPF output event), -E2BIG (index not below max_entries), -ENOENT (empty slot), -EOPNOTSUPP (the
 * event is on another CPU, or disabled), -ENOSPC (the ring is full: the sample is lost and counted).
 */
export function bpf_perf_event_output(ctx: object, map: BpfMapCore, flags: number, data: ValueSource, size?: number): number {
  // The common case (bytes, all of them) is tested once; the rest is checked aside.
  const n = heldLockIndex === -1 && map.attr.type === BPF_MAP_TYPE_PERF_EVENT_ARRAY && size === undefined &&
    data instanceof Uint8Array && data.length <= MAX_RAW_SAMPLE ? data.length : checkArgs(map, data, size);
  // flags is a u64: any bit above the index (or a negative number) is refused.
  if (!(flags >= 0 && flags <= BPF_F_INDEX_MASK) || !Number.isInteger(flags)) return EINVAL;
  const cpu = smpProcessorId;
  const index = flags === BPF_F_CURRENT_CPU ? cpu : flags;
  if (index >= map.attr.maxEntries) return E2BIG;
  const ev = perfEventSlot(map, index);
  if (ev === null) return ENOENT;
  if (ev.handle.config !== 'bpf_output') return EINVAL;
  // event->oncpu: the event must be enabled on this very CPU.
  if (ev.oncpu !== cpu) return EOPNOTSUPP;
  const misc = (ctx as { userMode?: boolean }).userMode === true ? PERF_RECORD_MISC_USER : PERF_RECORD_MISC_KERNEL;
  if (data instanceof Uint8Array) return ev.outputRaw(data, 0, n, misc);
  const v = data as ValueView;
  return ev.outputRaw(v._mem.u8, v._off, n, misc);
}

/**
 * bpf_perf_event_output for a translated program: `size` bytes at `off` of `mem` (the object's
 * memory, where the program's stack and map values are), flags as a number (the u64's value), on
 * this thread's CPU; `userMode` for uprobe programs. The same checks and errors as the helper above,
 * without making a view or a copy. The caller has checked the map's type (the verifier's part).
 */
export function perfEventOutputRaw(map: BpfMapCore, flags: number, mem: Uint8Array, off: number, size: number, userMode: boolean): number {
  if (!(flags >= 0 && flags <= BPF_F_INDEX_MASK) || !Number.isInteger(flags)) return EINVAL;
  const cpu = smpProcessorId;
  const index = flags === BPF_F_CURRENT_CPU ? cpu : flags;
  if (index >= map.attr.maxEntries) return E2BIG;
  const ev = perfEventSlot(map, index);
  if (ev === null) return ENOENT;
  if (ev.handle.config !== 'bpf_output') return EINVAL;
  if (ev.oncpu !== cpu) return EOPNOTSUPP;
  if (size > MAX_RAW_SAMPLE) outputFault(map, `a sample of ${size} bytes does not fit a perf record (its u16 size holds at most ${MAX_RAW_SAMPLE} bytes of raw data); send less`);
  return ev.outputRaw(mem, off, size, userMode ? PERF_RECORD_MISC_USER : PERF_RECORD_MISC_KERNEL);
}
