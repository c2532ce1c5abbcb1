// The arrays whose values are objects: the fd arrays of the kernel's kernel/bpf/arraymap.c.
//   BPF_MAP_TYPE_PROG_ARRAY        programs, for bpf_tail_call() (tail-call.ts)
//   BPF_MAP_TYPE_PERF_EVENT_ARRAY  perf events, for bpf_perf_event_output() (bpf-trace.ts)
//   BPF_MAP_TYPE_ARRAY_OF_MAPS     inner maps, for a program's bpf_map_lookup_elem() (map-in-map.ts)
//
// Where the kernel's slot holds a pointer to the object and user space passes an fd, a slot here
// holds the object's id (idr.ts), and user space passes the id (or the object). User space fills
// and empties slots; programs only read them. A lookup from user space returns the id (a program's
// or an inner map's; a perf event array has none to give: ENOTSUPP).
//
// Buffer 0 (Int32 words):
//   word      size          meaning                                           written by
//   0         1             PROG_ARRAY: the owner's program type (0: none)    the first program placed in it or
//                                                                             loaded using it (compare-and-swap)
//   1..15     15            reserved
//   16 + i    max_entries   slot i: the object's id, 0 when empty             user space (Atomics.exchange)
// A translated program reads slot i at the region's offset + FD_ARRAY_SLOTS + 4 x i (a u32 id).

import { arrayGetNextKey, indexOf } from './arraymap.js';
import { BpfError, E2BIG, EBADF, EINVAL, ENOENT, ENOMEM, ENOTSUPP } from './errno.js';
import { idrFind, idrPublish, type BpfProg } from './idr.js';
import { innerMapOf, innerMetaCheck, mapById } from './map-in-map.js';
import type { PerfEvent } from './perf-event.js';
import { BPF_F_ACCESS_MASK, accessFlagsOk, MAX_MAP_BYTES, type BpfMapCore, type BpfMapOps, type Key, type MapAlloc, type MapAttr } from './bpf.js';
import {
  BPF_ANY, BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG,
  BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PROG_ARRAY, mapTypeName,
} from './uapi.js';

/** Byte offset of slot 0 in the array's buffer. */
export const FD_ARRAY_SLOTS = 64;
const SLOTS_W = FD_ARRAY_SLOTS >>> 2;
const OWNER_W = 0;
const ARRAY_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;

interface FdArrayPriv {
  readonly type: number;
  readonly ctrl: Int32Array;
  readonly maxEntries: number;
  /** The object of each slot as this thread last resolved it, and its id (a program's lookup costs one compare). */
  readonly cachedIds: number[];
  readonly cached: (object | null)[];
  /** Objects placed from this thread, by slot: the references the kernel's array holds. */
  readonly held: Map<number, object>;
}

function slotId(p: FdArrayPriv, index: number): number {
  return Atomics.load(p.ctrl, SLOTS_W + index) >>> 0;
}

/**
 * The object in slot `index` for a program in this thread: the cached one while the slot holds
 * the same id, else found by id (a published object is opened on first use). null when empty.
 */
function slotObject(p: FdArrayPriv, index: number): object | null {
  const id = slotId(p, index);
  if (id === 0) return null;
  if (p.cachedIds[index] === id) return p.cached[index]!;
  const found = idrFind(id);
  const obj = found === undefined ? null : found.obj;
  p.cachedIds[index] = id;
  p.cached[index] = obj;
  return obj;
}

/** Helper numbers (enum bpf_func_id), for the verifier's messages. */
const HELPER_IDS: Record<string, number> = { bpf_map_lookup_elem: 1, bpf_map_update_elem: 2, bpf_map_delete_elem: 3 };

/**
 * check_map_func_compatibility(): a program uses a prog array with bpf_tail_call only, a perf
 * event array with the perf event helpers only, a map of maps with lookups only; the verifier
 * refuses the rest (user space fills these maps).
 */
export function fdMapFault(map: BpfMapCore, helper: string): never {
  const t = map.attr.type;
  const allowed = t === BPF_MAP_TYPE_PROG_ARRAY ? 'bpf_tail_call' : t === BPF_MAP_TYPE_PERF_EVENT_ARRAY ? 'bpf_perf_event_output' : 'bpf_map_lookup_elem';
  throw new BpfError(map.name, helper, EINVAL,
    `cannot pass map_type ${t} into func ${helper}#${HELPER_IDS[helper] ?? 0} (the verifier's words: a program may use ${mapTypeName(t)} maps with ${allowed} only; user space fills them)`);
}

// ---- what each type takes in its slots (map_fd_get_ptr) ------------------------------------------

/**
 * bpf_prog_map_compatible(): a prog array takes programs of one type, the type of the first
 * program placed in it or loaded using it. Returns false when `type` is not the owner's.
 */
export function progArrayClaimOwner(map: BpfMapCore, type: number): boolean {
  const ctrl = map.mems[0]!.i32;
  const owner = Atomics.compareExchange(ctrl, OWNER_W, 0, type);
  return owner === 0 || owner === type;
}

/** prog_fd_array_get_ptr(): no such id is EBADF; not a program, or a program of another type, EINVAL. */
function progOf(map: BpfMapCore, id: number): object | number {
  const found = idrFind(id);
  if (found === undefined) return EBADF;
  if (found.kind !== 'prog') return EINVAL;
  const prog = found.obj as BpfProg;
  if (!progArrayClaimOwner(map, prog.type)) return EINVAL;
  return prog;
}

/** perf_event_fd_array_get_ptr(): anything but a perf event is EBADF (perf_event_get() says so for any other file). */
function perfEventOf(id: number): object | number {
  const found = idrFind(id);
  if (found === undefined || found.kind !== 'perf_event') return EBADF;
  const ev = found.obj as PerfEvent;
  idrPublish({ id, kind: 'perf_event', handle: ev.handle });
  return ev;
}

function getPtr(map: BpfMapCore, id: number): object | number {
  switch (map.attr.type) {
    case BPF_MAP_TYPE_PROG_ARRAY: return progOf(map, id);
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY: return perfEventOf(id);
    default: return innerMapOf(map, id);
  }
}

// ---- the ops --------------------------------------------------------------------------------------

/** fd_array_map_alloc_check(), then array_map_alloc_check(): the checks that need no memory. */
function fdArrayAllocCheck(attr: MapAttr): number {
  if (attr.valueSize !== 4) return EINVAL;
  // Program read-only/write-only maps are not supported for special maps yet (the kernel's words).
  if (attr.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) return EINVAL;
  if (attr.maxEntries === 0 || attr.keySize !== 4 || (attr.flags & ~ARRAY_CREATE_FLAG_MASK) || !accessFlagsOk(attr.flags)) return EINVAL;
  if (attr.flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) return EINVAL;
  if ((attr.flags & BPF_F_PRESERVE_ELEMS) && attr.type !== BPF_MAP_TYPE_PERF_EVENT_ARRAY) return EINVAL;
  return 0;
}

function makeOps(name: string, type: number): BpfMapOps {
  return {
    name,
    percpu: false,
    spinLockAllowed: false,
    // Maps of maps have the generic lookup and update batches; prog and perf event arrays none.
    ...(type === BPF_MAP_TYPE_ARRAY_OF_MAPS ? { genericBatch: { lookup: true, update: true } } : {}),

    allocCheck: fdArrayAllocCheck,

    alloc(attr): MapAlloc | number {
      if (type === BPF_MAP_TYPE_ARRAY_OF_MAPS) {
        const r = innerMetaCheck(attr);
        if (r < 0) return r;
      }
      // The kernel keeps a pointer (8 bytes) a slot; we keep a 4-byte id.
      if (attr.maxEntries * 8 > MAX_MAP_BYTES) return ENOMEM;
      return { bufferSizes: [FD_ARRAY_SLOTS + 4 * attr.maxEntries], meta: {} };
    },

    open(map) {
      const priv: FdArrayPriv = {
        type,
        ctrl: map.mems[0]!.i32,
        maxEntries: map.attr.maxEntries,
        cachedIds: [],
        cached: [],
        held: new Map(),
      };
      map.priv = priv;
    },

    lookupElem(map, key) {
      // Programs reach prog arrays and perf event arrays only through their own helpers.
      if (type !== BPF_MAP_TYPE_ARRAY_OF_MAPS) fdMapFault(map, 'bpf_map_lookup_elem');
      const p = map.priv as FdArrayPriv;
      const index = indexOf(key);
      if (index >= p.maxEntries) return null;
      return slotObject(p, index) as unknown as ReturnType<BpfMapOps['lookupElem']>;
    },

    updateElem(map, key, value, flags) {
      // bpf_fd_array_map_update_elem(): only user space, only BPF_ANY.
      const p = map.priv as FdArrayPriv;
      if (flags !== BPF_ANY) return EINVAL;
      const index = indexOf(key);
      if (index >= p.maxEntries) return E2BIG;
      const v = value as Uint8Array;
      const id = (v[0]! | (v[1]! << 8) | (v[2]! << 16) | (v[3]! << 24)) >>> 0;
      const obj = getPtr(map, id);
      if (typeof obj === 'number') return obj;
      Atomics.exchange(p.ctrl, SLOTS_W + index, id | 0);
      p.held.set(index, obj);
      return 0;
    },

    deleteElem(map, key) {
      const p = map.priv as FdArrayPriv;
      const index = indexOf(key);
      if (index >= p.maxEntries) return E2BIG;
      const old = Atomics.exchange(p.ctrl, SLOTS_W + index, 0);
      p.held.delete(index);
      return old === 0 ? ENOENT : 0;
    },

    lookupElemSys(map, key, out) {
      // bpf_fd_array_map_lookup_elem(): the id of the object, for the types that can give one.
      if (type === BPF_MAP_TYPE_PERF_EVENT_ARRAY) return ENOTSUPP;
      const p = map.priv as FdArrayPriv;
      const index = indexOf(key!);
      if (index >= p.maxEntries) return ENOENT;
      const id = slotId(p, index);
      if (id === 0) return ENOENT;
      out[0] = id & 0xff;
      out[1] = (id >>> 8) & 0xff;
      out[2] = (id >>> 16) & 0xff;
      out[3] = id >>> 24;
      return 0;
    },

    getNextKey(map, key, next) {
      return arrayGetNextKey((map.priv as FdArrayPriv).maxEntries, key, next);
    },
  };
}

export const progArrayMapOps: BpfMapOps = makeOps('prog_array_map_ops', BPF_MAP_TYPE_PROG_ARRAY);
export const perfEventArrayMapOps: BpfMapOps = makeOps('perf_event_array_map_ops', BPF_MAP_TYPE_PERF_EVENT_ARRAY);
export const arrayOfMapsMapOps: BpfMapOps = makeOps('array_of_maps_map_ops', BPF_MAP_TYPE_ARRAY_OF_MAPS);

/** The program in a prog array's slot for a tail call in this thread, or null (out of range, empty). */
export function progArraySlot(map: BpfMapCore, index: number): BpfProg | null {
  const p = map.priv as FdArrayPriv;
  if (!(index >= 0 && index < p.maxEntries)) return null;
  return slotObject(p, index) as BpfProg | null;
}

/** The perf event in a perf event array's slot, or null when the slot is empty (index checked by the caller). */
export function perfEventSlot(map: BpfMapCore, index: number): PerfEvent | null {
  return slotObject(map.priv as FdArrayPriv, index) as PerfEvent | null;
}

/** The inner map in an array of maps' slot (user-space convenience; programs use bpf_map_lookup_elem). */
export function innerMapAt(map: BpfMapCore, index: number): BpfMapCore | null {
  const id = slotId(map.priv as FdArrayPriv, index);
  return id === 0 ? null : mapById(id);
}
