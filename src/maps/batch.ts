// The batch commands (BPF_MAP_LOOKUP_BATCH, BPF_MAP_LOOKUP_AND_DELETE_BATCH, BPF_MAP_UPDATE_BATCH,
// BPF_MAP_DELETE_BATCH): the kernel's bpf_map_do_batch() checks and the generic_map_*_batch()
// implementations of kernel/bpf/syscall.c, which run the element ops one element at a time.
// Hash maps bring their own lookup batches (hashtab.ts: whole buckets under the bucket lock).
//
// The kernel's outcome has three parts, and the JS face keeps all three:
//   - the return value: 0, or an errno; a lookup that runs off the end says ENOENT *with data*;
//   - attr.batch.count, written back: elements done. Errors found before any element is looked at
//     (EPERM, ENOTSUPP, EINVAL for flags) leave the count the caller passed in, as libbpf reports it;
//   - attr.batch.out_batch, the cursor for the next call: a key (arrays) or a u32 bucket index
//     (hashes), written only on some exits.

import { BpfError, EFAULT, EINVAL, ENOENT, ENOSPC, ENOTSUPP, EPERM } from './errno.js';
import { hintFor } from './hints.js';
import { mapValueSize, type BatchCursor, type BpfMapCore } from './bpf.js';
import { isU32, U32_MAX } from './limits.js';
import { BPF_F_LOCK, BPF_F_RDONLY, BPF_F_WRONLY, mapTypeName } from './uapi.js';

export const OP_LOOKUP_BATCH = 'BPF_MAP_LOOKUP_BATCH';
export const OP_LOOKUP_AND_DELETE_BATCH = 'BPF_MAP_LOOKUP_AND_DELETE_BATCH';
export const OP_UPDATE_BATCH = 'BPF_MAP_UPDATE_BATCH';
export const OP_DELETE_BATCH = 'BPF_MAP_DELETE_BATCH';

/** Flags of the batch commands. */
export interface BatchOptions {
  /** elem_flags: 0, or BPF_F_LOCK for values holding a bpf_spin_lock (locked copies). */
  elemFlags?: number;
  /** The batch's flags word: hash lookups want 0 (else EINVAL); the generic commands ignore it. */
  flags?: number;
}

/**
 * What a batch lookup returns (BPF_MAP_LOOKUP_BATCH, BPF_MAP_LOOKUP_AND_DELETE_BATCH).
 *
 * - `count`: attr.batch.count after the call, the number of elements copied;
 * - `keys`, `values`: those elements packed, key_size and value bytes apart (per-CPU maps:
 *   cpus x round_up(value_size, 8) bytes per element, as lookup() returns them);
 * - `outBatch`: the cursor to pass as `inBatch` of the next call (arrays: the last key copied;
 *   hashes: the u32 bucket index to resume at, little-endian), or null when the kernel did not
 *   write it (count 0, nothing copied);
 * - `end`: the kernel returned ENOENT: the walk reached the end. `count` may still be > 0 then;
 *   a call that filled `count` exactly returns 0 (end false) even when it took the last element,
 *   so loop until `end`.
 *
 * Any other errno throws a BatchError carrying the same count and outBatch (ENOSPC: a hash bucket
 * holds more elements than `count`; outBatch names that bucket).
 */
/** What a batch command returns (the kernel's attr.batch after the call). */
export interface BatchResult {
  /** Elements done. */
  count: number;
  /** Their keys, packed: count x key_size bytes. */
  keys: Uint8Array;
  /** Their values, packed: count x the user-space value size (per-CPU: cpus x round_up(value_size, 8)). */
  values: Uint8Array;
  /** The cursor to pass as inBatch to continue (a key for arrays, a bucket index for hashes), or null. */
  outBatch: Uint8Array | null;
  /** The kernel said ENOENT: the walk is over (possibly with data in this batch). */
  end: boolean;
}

/** A batch command that failed: the errno, and what the kernel left in attr.batch. */
export class BatchError extends BpfError {
  override name = 'BatchError';
  /** attr.batch.count after the call: elements done before the error (or the count passed in, for early errors). */
  readonly count: number;
  /** out_batch when the kernel wrote it (ENOSPC on a hash: the bucket that does not fit). */
  readonly outBatch: Uint8Array | null;

  constructor(map: string, op: string, code: number, hint: string, count: number, outBatch: Uint8Array | null) {
    super(map, op, code, `${hint} (count ${count})`);
    this.count = count;
    this.outBatch = outBatch;
  }
}

function batchHint(map: BpfMapCore, op: string, code: number, detail?: string): string {
  if (code === ENOTSUPP) {
    const typeName = mapTypeName(map.attr.type) ?? String(map.attr.type);
    return op === OP_LOOKUP_BATCH || op === OP_UPDATE_BATCH
      ? `${typeName} maps have no batch commands (arrays and hashes do)`
      : `${typeName} maps have no ${op === OP_DELETE_BATCH ? 'delete' : 'lookup-and-delete'} batch (only hash maps do)`;
  }
  if (code === ENOSPC) return 'one hash bucket holds more elements than count: call again with a larger count';
  if (code === EINVAL && detail === 'batchflags') return 'the batch flags word must be 0 for hash maps';
  if (code === EINVAL && detail === undefined) return 'elem_flags may be 0 or BPF_F_LOCK (only for values holding a bpf_spin_lock)';
  if (code === EPERM) {
    return op === OP_LOOKUP_BATCH ? 'the map was created write-only (BPF_F_WRONLY)' : 'the map is read-only from user space (BPF_F_RDONLY, frozen) or write-only for a read';
  }
  const elemOp = op === OP_UPDATE_BATCH ? 'BPF_MAP_UPDATE_ELEM' : op === OP_DELETE_BATCH ? 'BPF_MAP_DELETE_ELEM' : 'BPF_MAP_LOOKUP_ELEM';
  return hintFor(map.attr, elemOp, code, detail, map);
}

function fail(map: BpfMapCore, op: string, code: number, count: number, outBatch: Uint8Array | null, detail?: string): never {
  throw new BatchError(map.name, op, code, batchHint(map, op, code, detail), count, outBatch);
}

function checkCount(map: BpfMapCore, op: string, count: unknown): number {
  if (!isU32(count)) {
    throw new BpfError(map.name, op, EINVAL, `count must be a u32 (the number of elements the buffers hold), got ${String(count)}`);
  }
  return count;
}

function checkFlagWord(map: BpfMapCore, op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new BpfError(map.name, op, EINVAL, `${what} must be a non-negative integer, got ${String(v)}`);
  }
  return v;
}

/** bpf_map_do_batch(): the access checks, then whether the type has the command at all. */
function doBatchChecks(map: BpfMapCore, op: string, count: number, read: boolean, write: boolean, has: boolean): void {
  if (read && (map.attr.flags & BPF_F_WRONLY)) fail(map, op, EPERM, count, null);
  if (write && ((map.attr.flags & BPF_F_RDONLY) || map.frozen)) fail(map, op, EPERM, count, null);
  if (!has) fail(map, op, ENOTSUPP, count, null);
}

/** The elem_flags check every batch command starts with. */
function checkElemFlags(map: BpfMapCore, op: string, elemFlags: number, count: number): void {
  if (elemFlags & ~BPF_F_LOCK || elemFlags > U32_MAX) fail(map, op, EINVAL, count, null);
  if ((elemFlags & BPF_F_LOCK) && map.attr.lockOffset < 0) fail(map, op, EINVAL, count, null, 'lock');
}

function u32le(x: number): Uint8Array {
  return new Uint8Array([x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24]);
}

/** BPF_MAP_LOOKUP_BATCH and BPF_MAP_LOOKUP_AND_DELETE_BATCH. */
export function lookupBatch(map: BpfMapCore, inBatch: Uint8Array | number | null, count: number, options: BatchOptions, doDelete: boolean): BatchResult {
  const op = doDelete ? OP_LOOKUP_AND_DELETE_BATCH : OP_LOOKUP_BATCH;
  const max = checkCount(map, op, count);
  const elemFlags = checkFlagWord(map, op, 'elemFlags', options.elemFlags ?? 0);
  const flags = checkFlagWord(map, op, 'flags', options.flags ?? 0);
  const ops = map.ops;
  const own = doDelete ? ops.lookupAndDeleteBatch : ops.lookupBatch;
  const generic = !doDelete && ops.genericBatch?.lookup === true;
  doBatchChecks(map, op, max, true, doDelete, own !== undefined || generic);
  const ks = map.attr.keySize;
  const uvs = mapValueSize(map);
  const keys = new Uint8Array(max * ks);
  const values = new Uint8Array(max * uvs);
  let ret: number;
  let done: number;
  let outBatch: Uint8Array | null = null;
  if (own !== undefined) {
    // The cursor is a u32 bucket index.
    let bucket: number | null = null;
    if (inBatch !== null) {
      if (typeof inBatch === 'number') bucket = inBatch;
      else if (inBatch instanceof Uint8Array && inBatch.length === 4) bucket = (inBatch[0]! | (inBatch[1]! << 8) | (inBatch[2]! << 16) | (inBatch[3]! << 24)) >>> 0;
      else throw new BpfError(map.name, op, EFAULT, 'a hash map\'s batch cursor is a u32 bucket index: pass a number, 4 bytes, or null to start');
      if (!isU32(bucket)) throw new BpfError(map.name, op, EINVAL, `the cursor must be a u32, got ${bucket}`);
    }
    checkElemFlags(map, op, elemFlags, max);
    const res: BatchCursor = { count: max, outBatch: -1 };
    ret = own.call(ops, map, bucket, max, keys, values, elemFlags, flags, map.userCpu, res);
    if (ret === EINVAL && flags !== 0 && res.count === max) fail(map, op, EINVAL, max, null, 'batchflags');
    done = res.count;
    if (res.outBatch >= 0) outBatch = u32le(res.outBatch);
  } else {
    let prev: Uint8Array | null = null;
    if (inBatch !== null) {
      if (typeof inBatch === 'number') {
        if (ks !== 4) throw new BpfError(map.name, op, EINVAL, `a number cursor stands for a 4-byte key; pass ${ks} bytes`);
        prev = u32le(inBatch);
      } else if (inBatch instanceof Uint8Array && inBatch.length === ks) prev = Uint8Array.from(inBatch);
      else throw new BpfError(map.name, op, EFAULT, `the batch cursor of this map is a key of ${ks} bytes`);
    }
    checkElemFlags(map, op, elemFlags, max);
    if (max === 0) return { count: 0, keys, values, outBatch: null, end: false };
    ({ ret, done, outBatch } = genericLookupBatch(map, prev, max, keys, values, elemFlags));
  }
  if (ret < 0 && ret !== ENOENT) fail(map, op, ret, done, outBatch);
  return { count: done, keys: keys.subarray(0, done * ks), values: values.subarray(0, done * uvs), outBatch, end: ret === ENOENT };
}

/**
 * generic_map_lookup_batch(): get_next_key from the cursor key on, copying each element; a key
 * whose element vanished meanwhile is skipped. out_batch is the last key visited.
 */
function genericLookupBatch(map: BpfMapCore, prev: Uint8Array | null, max: number, keys: Uint8Array, values: Uint8Array,
  elemFlags: number): { ret: number; done: number; outBatch: Uint8Array | null } {
  const ks = map.attr.keySize;
  const uvs = mapValueSize(map);
  const value = new Uint8Array(uvs);
  let key = new Uint8Array(ks);
  let spare = new Uint8Array(ks);
  let cp = 0;
  let err = 0;
  while (cp < max) {
    err = map.ops.getNextKey(map, prev, key);
    if (err) break;
    err = map.ops.lookupElemSys(map, key, value, elemFlags, map.userCpu);
    if (err && err !== ENOENT) return { ret: err, done: 0, outBatch: null };
    if (!err) {
      keys.set(key, cp * ks);
      values.set(value, cp * uvs);
      cp++;
    }
    prev = key;
    [key, spare] = [spare, key];
  }
  return { ret: err, done: cp, outBatch: cp > 0 && prev !== null ? Uint8Array.from(prev) : null };
}

/** The keys (and values) buffers of an update or delete batch: `count` elements, packed. */
function batchCount(map: BpfMapCore, op: string, keys: Uint8Array, values: Uint8Array | null, count: number | undefined): number {
  const ks = map.attr.keySize;
  if (!(keys instanceof Uint8Array) || (ks > 0 && keys.length % ks !== 0)) {
    throw new BpfError(map.name, op, EINVAL, `keys must be a Uint8Array of whole keys (${ks} bytes each)`);
  }
  const n = count ?? (ks > 0 ? keys.length / ks : 0);
  checkCount(map, op, n);
  if (n * ks > keys.length) throw new BpfError(map.name, op, EFAULT, `count is ${n} but keys holds ${keys.length / ks} keys`);
  if (values !== null && (!(values instanceof Uint8Array) || n * mapValueSize(map) > values.length)) {
    throw new BpfError(map.name, op, EFAULT, `values must hold count x ${mapValueSize(map)} bytes (${map.ops.percpu ? 'cpus x round_up(value_size, 8) per element' : 'value_size per element'})`);
  }
  return n;
}

/** BPF_MAP_UPDATE_BATCH (generic_map_update_batch): update key i with value i, in order, stopping at the first error. */
export function updateBatch(map: BpfMapCore, keys: Uint8Array, values: Uint8Array, count: number | undefined, elemFlags: number): number {
  const op = OP_UPDATE_BATCH;
  const max = batchCount(map, op, keys, values, count);
  checkFlagWord(map, op, 'elemFlags', elemFlags);
  doBatchChecks(map, op, max, false, true, map.ops.genericBatch?.update === true);
  checkElemFlags(map, op, elemFlags, max);
  if (max === 0) return 0;
  const ks = map.attr.keySize;
  const uvs = mapValueSize(map);
  let cp = 0;
  for (; cp < max; cp++) {
    const err = map.ops.updateElem(map, keys.subarray(cp * ks, (cp + 1) * ks), values.subarray(cp * uvs, (cp + 1) * uvs), elemFlags, map.userCpu, true);
    if (err) fail(map, op, err, cp, null);
  }
  return cp;
}

/** BPF_MAP_DELETE_BATCH (generic_map_delete_batch): delete each key in order, stopping at the first error. */
export function deleteBatch(map: BpfMapCore, keys: Uint8Array, count: number | undefined, elemFlags: number): number {
  const op = OP_DELETE_BATCH;
  const max = batchCount(map, op, keys, null, count);
  checkFlagWord(map, op, 'elemFlags', elemFlags);
  doBatchChecks(map, op, max, false, true, map.ops.genericBatch?.delete === true);
  checkElemFlags(map, op, elemFlags, max);
  if (max === 0) return 0;
  const ks = map.attr.keySize;
  let cp = 0;
  for (; cp < max; cp++) {
    const err = map.ops.deleteElem(map, keys.subarray(cp * ks, (cp + 1) * ks), map.userCpu);
    if (err) fail(map, op, err, cp, null);
  }
  return cp;
}
