// The ring buffer's program helpers (bpf_ringbuf_reserve / submit / discard / output / query),
// which kernel/bpf/ringbuf.c keeps beside the ring buffer itself. Arguments are checked here, once,
// as helpers.ts does for the map helpers; the ring's own code (ringbuf.ts) does not check again.

import type { BpfMapCore, ValueSource } from './bpf.js';
import { BpfError, EINVAL } from './errno.js';
import { ValueView, type FieldType, type StructLayout, type StructView } from './layout.js';
import { commitRecordView, lendRecordView, ringbufOf, ringbufOutput, ringbufQuery, ringbufReserve, ringOfRecord, type RingbufPriv } from './ringbuf.js';
import { BPF_MAP_TYPE_RINGBUF, mapTypeName } from './uapi.js';
import { heldLockIndex, lockHeldFault } from '../sync/spinlock.js';
import { notOnCpu, smpProcessorId } from '../smp/smp.js';

/** Helper numbers (enum bpf_func_id), as the verifier names helpers in its messages. */
const HELPER_IDS: Record<string, number> = {
  bpf_ringbuf_output: 130, bpf_ringbuf_reserve: 131, bpf_ringbuf_submit: 132, bpf_ringbuf_discard: 133, bpf_ringbuf_query: 134,
};

// The success paths stay small, so V8 can inline them into a handler: every check that fails
// throws from a function of its own (the error texts would otherwise fill the inlining budget).

/** A ring buffer helper called under a bpf_spin_lock or on another map type: the verifier's error. */
function ringbufFault(map: BpfMapCore, helper: string): never {
  if (smpProcessorId < 0) notOnCpu(`${helper} on map '${map.name}'`);
  if (heldLockIndex !== -1) lockHeldFault(helper);
  throw new BpfError(map.name, helper, EINVAL,
    `cannot pass map_type ${map.attr.type} into func ${helper}#${HELPER_IDS[helper]} (the verifier's words: ${helper} works on ring buffer maps only, not on ${mapTypeName(map.attr.type) ?? `type ${map.attr.type}`} maps)`);
}

function ringbufMap(map: BpfMapCore, helper: string): RingbufPriv {
  if (heldLockIndex !== -1 || map.attr.type !== BPF_MAP_TYPE_RINGBUF || smpProcessorId < 0) ringbufFault(map, helper);
  return ringbufOf(map);
}

function reserveFault(map: BpfMapCore, size: number, layout: StructLayout<any> | undefined): never {
  if (!Number.isInteger(size)) {
    throw new BpfError(map.name, 'bpf_ringbuf_reserve', EINVAL, `the size must be an integer, got ${String(size)} (the verifier would reject this program)`);
  }
  throw new BpfError(map.name, 'bpf_ringbuf_reserve', EINVAL,
    `the record struct is ${layout!.size} bytes but only ${size} are reserved (the verifier would reject accesses past the reservation)`);
}

/**
 * bpf_ringbuf_reserve(map, size, flags[, layout]): a view of `size` bytes reserved in the ring (of
 * the struct `layout` when given), or null when flags are not 0, the size is one the kernel
 * refuses (a record larger than the ring) or there is no room (counted as a drop). Every record
 * must then be submitted or discarded exactly once.
 */
export function bpf_ringbuf_reserve(map: BpfMapCore, size: number, flags: number): ValueView | null;
export function bpf_ringbuf_reserve<F extends Record<string, FieldType>>(map: BpfMapCore, size: number, flags: number, layout: StructLayout<F>): StructView<F> | null;
export function bpf_ringbuf_reserve(map: BpfMapCore, size: number, flags: number, layout?: StructLayout<any>): ValueView | null {
  const p = ringbufMap(map, 'bpf_ringbuf_reserve');
  if (!Number.isInteger(size) || (layout !== undefined && layout.size > size)) reserveFault(map, size, layout);
  if (flags !== 0) return null;
  // size is a u64: a negative number is a huge one, which no ring can hold.
  const off = ringbufReserve(p, size < 0 ? Infinity : size);
  return off < 0 ? null : lendRecordView(p, off, size, layout === undefined ? ValueView : layout.View);
}

function commitFault(helper: string, record: ValueView): never {
  if (heldLockIndex !== -1) lockHeldFault(helper);
  const p = ringOfRecord(record);
  if (p === undefined) {
    throw new BpfError('(none)', helper, EINVAL, 'the argument is not a record from bpf_ringbuf_reserve (the verifier would reject this program)');
  }
  throw new BpfError(p.map.name, helper, EINVAL, 'this record was already submitted or discarded (the verifier would reject this program)');
}

function commitHelper(helper: string, record: ValueView, flags: number, discard: boolean): void {
  const p = heldLockIndex === -1 ? ringOfRecord(record) : undefined;
  if (p === undefined || !commitRecordView(p, record, flags, discard)) commitFault(helper, record);
}

/** bpf_ringbuf_submit(record, flags): publish the record (flags: BPF_RB_NO_WAKEUP or BPF_RB_FORCE_WAKEUP). */
export function bpf_ringbuf_submit(record: ValueView, flags: number): void {
  commitHelper('bpf_ringbuf_submit', record, flags, false);
}

/** bpf_ringbuf_discard(record, flags): give the space back; the consumer skips the record. */
export function bpf_ringbuf_discard(record: ValueView, flags: number): void {
  commitHelper('bpf_ringbuf_discard', record, flags, true);
}

function outputFault(map: BpfMapCore): never {
  throw new BpfError(map.name, 'bpf_ringbuf_output', EINVAL, 'data must be a Uint8Array or a view (the verifier would reject this program)');
}

/** bpf_ringbuf_output(map, data, flags): copy `data` into a new record. 0, -EINVAL (flags) or -EAGAIN (no room). */
export function bpf_ringbuf_output(map: BpfMapCore, data: ValueSource, flags: number): number {
  const p = ringbufMap(map, 'bpf_ringbuf_output');
  if (!(data instanceof Uint8Array) && !(data instanceof ValueView)) outputFault(map);
  return ringbufOutput(p, data, flags);
}

/** bpf_ringbuf_query(map, flags): BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE, BPF_RB_CONS_POS or BPF_RB_PROD_POS; 0 otherwise. */
export function bpf_ringbuf_query(map: BpfMapCore, flags: number): number {
  return ringbufQuery(ringbufMap(map, 'bpf_ringbuf_query'), flags);
}
