// BPF_MAP_TYPE_LRU_HASH and BPF_MAP_TYPE_LRU_PERCPU_HASH (the LRU parts of kernel/bpf/hashtab.c).
//
// The hash table is hashtab.ts's (same buckets, chains, element layout and lock-free readers);
// what differs is where elements come from: max_entries preallocated elements live on the LRU
// lists of bpf-lru-list.ts, and an update takes a node from them *before* it looks at the table,
// evicting the least recently used element when none is free. So a full LRU map never says
// E2BIG, an update that then fails its BPF_NOEXIST/BPF_EXIST check has still evicted something,
// and with BPF_EXIST the key itself may be the one evicted (ENOENT). Program lookups set the
// node's ref bit, which keeps it from being evicted at the next rotation; user-space lookups,
// walks and batches do not.
//
// Buffers: hashtab.ts's (control, elements, and per-CPU values for LRU_PERCPU_HASH), then the
// LRU buffer of bpf-lru-list.ts (its layout table is there). meta.lruBuf is its index.

import { BPF_EXIST, BPF_F_NO_COMMON_LRU } from './uapi.js';
import { EINVAL, ENOENT, ENOMEM } from './errno.js';
import type { BpfMapCore, BpfMapOps, Key, MapAlloc, MapAttr, ValueSource } from './bpf.js';
import { spinLockAcquire, spinLockRelease } from '../sync/spinlock.js';
import {
  BpfLru, LRU_ACTIVE, LRU_FREE, LRU_INACTIVE, LRU_LOCAL_FREE, LRU_LOCAL_PENDING, lruBufferBytes, type DelFromHtab,
} from './bpf-lru-list.js';
import {
  bucketHeadW, bucketLockW, checkFlags, copyOut, E_HASH, E_NEXT, find, findLocked, hashOf, htabAlloc, htabGenLookup, htabAllocCheck, htabGetNextKey, htabLookupElemSys,
  htabLookupBatch, htabOpen, linkHead, pcpuCopyValue, pcpuInitValue, readKey, tryUnlink, unlink, valueOff, view, writeKey, writeValue,
  type HtabGenLookup, type HtabPriv,
} from './hashtab.js';

export interface LruPriv extends HtabPriv {
  readonly lruList: BpfLru;
}

/** htab_lru_map_delete_node(): unlink node's element if it is in its bucket's chain (eviction). */
function deleteNode(p: HtabPriv): DelFromHtab {
  return (node) => {
    // Written when the node was handed out, before the LRU locks that brought it here.
    const bucket = p.eI32[node * p.elemWords + E_HASH]! & p.mask;
    const lockW = bucketLockW(p, bucket);
    spinLockAcquire(p.ctrl, lockW);
    const found = tryUnlink(p, bucket, node);
    spinLockRelease(p.ctrl, lockW);
    return found;
  };
}

/**
 * htab_lru_push_free(): an element back to the LRU. (The kernel's per-CPU element count is not kept:
 * nothing reads it but statistics, and one shared counter would make every update of every CPU
 * contend for its line.)
 */
function lruFree(p: HtabPriv, e: number): void {
  (p as LruPriv).lruList.pushFree(e);
}

/** prealloc_lru_pop(): a node for `key` on this CPU (may evict), or -1. */
function lruPop(p: LruPriv, key: Key, hash: number, cpu: number): number {
  const e = p.lruList.popFree(cpu, hash);
  if (e < 0) return -1;
  writeKey(p, e, key);
  return e;
}

/** htab_lru_map_update_elem(): a new element every time; an old one is unlinked and freed. */
function lruUpdate(p: LruPriv, key: Key, value: ValueSource, flags: number, cpu: number): number {
  if (!(flags >= 0 && flags <= BPF_EXIST)) return EINVAL; // BPF_F_LOCK included
  const hash = hashOf(p, key);
  const bucket = hash & p.mask;
  // Before the bucket lock (lock order: LRU, then bucket) and before the flags check.
  const e = lruPop(p, key, hash, cpu);
  if (e < 0) return ENOMEM;
  writeValue(p, valueOff(p, e), value, false);
  const lockW = bucketLockW(p, bucket);
  spinLockAcquire(p.ctrl, lockW);
  const old = findLocked(p, hash, key);
  const r = checkFlags(old, flags);
  if (r === 0) {
    linkHead(p, bucket, e);
    if (old >= 0) {
      p.lruList.setRef(e);
      unlink(p, bucket, old);
    }
  }
  spinLockRelease(p.ctrl, lockW);
  if (r !== 0) lruFree(p, e);
  else if (old >= 0) lruFree(p, old);
  return r;
}

/** __htab_lru_percpu_map_update_elem(): values updated in place; a node is taken unless BPF_EXIST. */
function lruPercpuUpdate(p: LruPriv, key: Key, value: ValueSource, flags: number, cpu: number, onAllCpus: boolean): number {
  if (!(flags >= 0 && flags <= BPF_EXIST)) return EINVAL;
  const hash = hashOf(p, key);
  const bucket = hash & p.mask;
  let e = -1;
  if (flags !== BPF_EXIST) {
    e = lruPop(p, key, hash, cpu);
    if (e < 0) return ENOMEM;
  }
  const lockW = bucketLockW(p, bucket);
  spinLockAcquire(p.ctrl, lockW);
  const old = findLocked(p, hash, key);
  const r = checkFlags(old, flags);
  if (r === 0) {
    if (old >= 0) {
      p.lruList.setRef(old);
      pcpuCopyValue(p, old, value, cpu, onAllCpus);
    } else {
      pcpuInitValue(p, e, value, cpu, onAllCpus);
      linkHead(p, bucket, e);
      e = -1;
    }
  }
  spinLockRelease(p.ctrl, lockW);
  if (e >= 0) lruFree(p, e);
  return r;
}

/** Unlink the element of `key` (copying its value out first when out is given) and free it. */
function lruRemove(p: LruPriv, key: Key, out: Uint8Array | null, flags: number): number {
  const hash = hashOf(p, key);
  const bucket = hash & p.mask;
  const lockW = bucketLockW(p, bucket);
  spinLockAcquire(p.ctrl, lockW);
  const e = findLocked(p, hash, key);
  if (e >= 0) {
    if (out !== null) copyOut(p, e, out, flags);
    unlink(p, bucket, e);
  }
  spinLockRelease(p.ctrl, lockW);
  if (e < 0) return ENOENT;
  lruFree(p, e);
  return 0;
}

function lruAlloc(attr: MapAttr, cpus: number, percpu: boolean): MapAlloc | number {
  const a = htabAlloc(attr, cpus, percpu);
  if (typeof a === 'number') return a;
  const n = a.maxEntries ?? attr.maxEntries;
  const percpuLru = (attr.flags & BPF_F_NO_COMMON_LRU) !== 0;
  return {
    ...a,
    bufferSizes: [...a.bufferSizes, lruBufferBytes(n, cpus, percpuLru)],
    meta: { ...a.meta, lruBuf: a.bufferSizes.length },
  };
}

function makeOps(name: string, percpu: boolean): BpfMapOps {
  return {
    name,
    percpu,
    // bpf_spin_lock is allowed in HASH and ARRAY values only.
    spinLockAllowed: false,

    allocCheck(attr) {
      return htabAllocCheck(attr, percpu);
    },

    alloc(attr, cpus) {
      return lruAlloc(attr, cpus, percpu);
    },

    init(map) {
      (map.priv as LruPriv).lruList.populate();
    },

    open(map) {
      const p = htabOpen(map);
      const lruList = new BpfLru(map.mems[map.getHandle().meta.lruBuf!]!.i32, p.nElems, p.cpus, (map.attr.flags & BPF_F_NO_COMMON_LRU) !== 0, deleteNode(p),
        { words: p.eI32, stride: p.elemWords, offset: E_HASH });
      const priv: LruPriv = { ...p, lruList };
      map.priv = priv;
    },

    // Program lookups mark the element as used (htab_lru_map_lookup_elem).
    lookupElem(map, key, cpu) {
      const p = map.priv as LruPriv;
      const e = find(p, hashOf(p, key), key);
      if (e < 0) return null;
      p.lruList.setRef(e);
      return view(map, p, e, cpu);
    },

    updateElem(map, key, value, flags, cpu, onAllCpus) {
      const p = map.priv as LruPriv;
      return percpu ? lruPercpuUpdate(p, key, value, flags, cpu, onAllCpus) : lruUpdate(p, key, value, flags, cpu);
    },

    deleteElem(map, key) {
      return lruRemove(map.priv as LruPriv, key, null, 0);
    },

    // The syscall lookup leaves the ref bit alone (htab_lru_map_lookup_elem_sys).
    lookupElemSys: htabLookupElemSys,

    getNextKey: htabGetNextKey,

    lookupAndDeleteElem(map, key, out, flags) {
      return lruRemove(map.priv as LruPriv, key!, out, flags);
    },

    genericBatch: { update: true, delete: true },
    lookupBatch(map, inBatch, maxCount, keys, values, elemFlags, flags, _cpu, res) {
      return htabLookupBatch(map, inBatch, maxCount, keys, values, elemFlags, flags, false, res, lruFree);
    },
    lookupAndDeleteBatch(map, inBatch, maxCount, keys, values, elemFlags, flags, _cpu, res) {
      return htabLookupBatch(map, inBatch, maxCount, keys, values, elemFlags, flags, true, res, lruFree);
    },
  };
}

export const htabLruMapOps: BpfMapOps = makeOps('htab_lru_map_ops', false);
export const htabLruPercpuMapOps: BpfMapOps = makeOps('htab_lru_percpu_map_ops', true);

/**
 * htabGenLookup() of an LRU map, with where its nodes' ref bits are: a program's lookup sets the
 * bit of the element it finds (htab_lru_map_gen_lookup), as lookupElem above does.
 */
export function lruGenLookup(map: BpfMapCore): HtabGenLookup & { readonly lruRef: { readonly addr: number; readonly stride: number } } {
  const p = map.priv as LruPriv;
  if (p.lruList.w.buffer !== map.mems[0]!.buffer) {
    throw new Error(`LRU map '${map.name}': its lists are not in the table's memory, so a translated program cannot set their ref bits`);
  }
  return { ...htabGenLookup(map), lruRef: p.lruList.refSlot() };
}

/** The LRU lists of an LRU map opened in this thread (for tests and statistics). */
export function lruListOf(map: BpfMapCore): BpfLru {
  return (map.priv as LruPriv).lruList;
}

/** Where every element of an LRU map is (for tests and statistics; not a snapshot under writers). */
export interface LruStats {
  /** Elements linked in the hash table, by walking the buckets. */
  readonly linked: number;
  /** Nodes found by walking each list: active, inactive, free, and the CPUs' caches and pending lists. */
  readonly lists: { readonly active: number; readonly inactive: number; readonly free: number; readonly localFree: number; readonly pending: number };
  /** Nodes reached by walking every list: the map's max_entries when no node is lost or on two lists. */
  readonly walked: number;
  /** Linked elements whose node sits on a free list (must never happen). */
  readonly linkedButFree: readonly number[];
  /** Keys linked more than once (hex; must never happen). */
  readonly duplicates: readonly string[];
}

export function lruStats(map: BpfMapCore): LruStats {
  const p = map.priv as LruPriv;
  const l = p.lruList;
  const types = l.listTypes();
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const linkedButFree: number[] = [];
  const key = new Uint8Array(p.keySize);
  let linked = 0;
  for (let b = 0; b < p.nBuckets; b++) {
    for (let link = p.ctrl[bucketHeadW(p, b)]!; link > 0; link = p.eI32[(link - 1) * p.elemWords + E_NEXT]!) {
      const e = link - 1;
      linked++;
      const t = types[e]!;
      if (t === LRU_FREE || t === LRU_LOCAL_FREE) linkedButFree.push(e);
      readKey(p, e, key);
      const hex = Buffer.from(key).toString('hex');
      if (seen.has(hex)) duplicates.push(hex);
      seen.add(hex);
    }
  }
  const sets = l.percpu ? p.cpus : 1;
  const count = (type: number, perCpu: boolean): number => {
    let n = 0;
    for (let c = 0; c < (perCpu ? p.cpus : sets); c++) n += l.listNodes(type, c).length;
    return n;
  };
  const lists = {
    active: count(LRU_ACTIVE, false),
    inactive: count(LRU_INACTIVE, false),
    free: count(LRU_FREE, false),
    localFree: l.percpu ? 0 : count(LRU_LOCAL_FREE, true),
    pending: l.percpu ? 0 : count(LRU_LOCAL_PENDING, true),
  };
  return {
    linked,
    lists,
    walked: lists.active + lists.inactive + lists.free + lists.localFree + lists.pending,
    linkedButFree,
    duplicates,
  };
}
