// BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_PERCPU_HASH (the kernel's kernel/bpf/hashtab.c).
//
// n_buckets = roundup_pow_of_two(max_entries) buckets, each a singly linked chain with a lock;
// elements are preallocated (max_entries + cpus for HASH, the extra one per CPU making a
// replace-update atomic for readers; max_entries for PERCPU_HASH, updated in place) and live on
// per-CPU free lists when unused. The bucket of a key is jhash(key, seed) & (n_buckets - 1).
//
// Readers never lock: a walk follows the links with Atomics.load, and a writer publishes an element
// (key, value and hash written, next link set) before it links it. A chain ends in a "nulls"
// marker naming its bucket; a preallocated element can be freed and reused in another bucket while
// a reader stands on it, so a walk that ends on another bucket's marker starts again, as the
// kernel's hlist_nulls walk does. Writers take the bucket lock.
//
// Buffer 0, control (Int32 words):
//   word                              size           meaning                                 written by
//   0                                 1              linked elements, BPF_F_NO_PREALLOC      updates/deletes, Atomics.add
//                                                    only (the kernel's count; see allocNew)
//   1..15                             15             reserved
//   FL_BASE + c * FL_STRIDE_W         16 per CPU     CPU c's free list (percpu-freelist.ts)  pop/push under its lock
//   extraW + c * EXTRA_STRIDE_W       16 per CPU     +0 lock, +1 CPU c's extra element       replace-updates on CPU c
//   bucketsW + 2 * b                  2 per bucket   +0 head link, +1 bucket lock            updates/deletes under the lock
//
// Links (Int32): v > 0 is element v - 1; v <= 0 ends a chain. An element's next link ends its chain
// with -(b + 1), the marker of bucket b; a bucket head reads 0 (never used) or its own marker when
// empty, so a zeroed buffer is an empty table with no initialisation pass.
//
// Buffer 1, elements (elemSize bytes each, 8-byte aligned):
//   offset            size             meaning                                  written by
//   +0                4                next link in the hash chain              writers under the bucket lock
//   +4                4                free-list link (percpu-freelist.ts)      free-list push under its lock
//   +8                4                hash                                     the inserting writer
//   +12               4                (padding)
//   +16               round_up(ks, 8)  key                                      the inserting writer
//   +16 + ru8(ks)     round_up(vs, 8)  value (HASH only)                        the inserting writer; programs via views
//
// Buffer 2, PERCPU_HASH values (CPU-major; each CPU's slab starts on a slabAlign boundary):
//   c * slabStride + e * round_up(vs, 8)   value_size   element e, CPU c's slot   CPU c's programs; user updates

import { webcrypto } from 'node:crypto';
import {
  BPF_EXIST, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_ZERO_SEED,
  BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_NOEXIST,
} from './uapi.js';
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC, ENOTSUPP } from './errno.js';
import { copyFromSlot, copyFromSlotLocked, copyIntoSlot, copyValueIn, copyValueInLocked } from './copy.js';
import { ValueView, type SharedMemory } from './layout.js';
import {
  BPF_F_ACCESS_MASK, accessFlagsOk, KMALLOC_MAX_SIZE, MAX_BUFFER_BYTES, MAX_MAP_BYTES, PCPU_MIN_UNIT_SIZE,
  type BatchCursor, type BpfMapCore, type BpfMapOps, type Key, type MapAlloc, type MapAttr, type ValueSource,
} from './bpf.js';
import { roundUp, roundUp8, TWO_32 as LIMITS_TWO_32, U32_MAX } from './limits.js';
import { FL_STRIDE_W, PcpuFreelist } from './percpu-freelist.js';
import { JHASH_LOW30, jhash2Low30, jhash2Word1Low30, jhash2Word2Low30, jhashMixSeeded, jhashLow30 } from './jhash.js';
import { spinLockAcquire, spinLockRelease } from '../sync/spinlock.js';

const HTAB_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
/**
 * sizeof(struct bucket) on this kernel (hlist_nulls_head + rqspinlock, padded): n_buckets above
 * U32_MAX / 16 fail with E2BIG. The live kernel creates max_entries 2^27 and refuses 2^27 + 1.
 */
const KERNEL_BUCKET_SIZE = 16;
/** 2^32 for 8-byte number keys, a module-level copy: the hash path reads it per lookup (see layout.ts). */
const TWO_32 = LIMITS_TWO_32;
/** sizeof(struct htab_elem): the header in front of each hash element's key. */
const HTAB_ELEM_SIZE = 48;

// Control buffer.
const CTRL_COUNT = 0;
const FL_BASE = 16;
const EXTRA_STRIDE_W = 16;
const EXTRA_LOCK = 0;
const EXTRA_ELEM = 1;
const BUCKET_HEAD = 0;
const BUCKET_LOCK = 1;

// Element header (words and bytes).
export const E_NEXT = 0;
const E_FNEXT = 1;
export const E_HASH = 2;
const E_KEY_BYTES = 16;

export interface HtabPriv {
  readonly percpu: boolean;
  readonly lru: boolean;
  readonly prealloc: boolean;
  /** HASH keeps one extra element per CPU for replace-updates. */
  readonly hasExtra: boolean;
  readonly keySize: number;
  readonly valueSize: number;
  /** round_up(value_size, 8): a per-CPU slot, and the stride of per-CPU values on the user face. */
  readonly vsRound: number;
  readonly maxEntries: number;
  readonly nBuckets: number;
  readonly mask: number;
  readonly seed: number;
  /** [seed] as an int32, read inside the hash (see jhash2Word1Low30 in jhash.ts). */
  readonly seeds: Int32Array;
  readonly cpus: number;
  readonly nElems: number;
  readonly lockOffset: number;
  readonly ctrl: Int32Array;
  readonly extraW: number;
  readonly bucketsW: number;
  readonly elemMem: SharedMemory;
  readonly eI32: Int32Array;
  readonly eU32: Uint32Array;
  readonly eU8: Uint8Array;
  readonly elemSize: number;
  readonly elemWords: number;
  /** Byte offset of the value inside an element (HASH). */
  readonly valOff: number;
  readonly pcpuMem: SharedMemory | null;
  readonly slabStride: number;
  readonly fl: PcpuFreelist;
  /** Views by element (HASH) or cpu * nElems + element (PERCPU_HASH), created on first lookup. */
  readonly views: (ValueView | undefined)[];
}

function isLruType(type: number): boolean {
  return type === BPF_MAP_TYPE_LRU_HASH || type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

function roundupPowOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * htab_map_alloc_check(), for the whole hash family, in the kernel's order. (BPF_F_ZERO_SEED needs
 * CAP_SYS_ADMIN in the kernel; the simulator runs as root.)
 */
export function htabAllocCheck(attr: MapAttr, percpu: boolean): number {
  const lru = isLruType(attr.type);
  const percpuLru = (attr.flags & BPF_F_NO_COMMON_LRU) !== 0;
  const prealloc = (attr.flags & BPF_F_NO_PREALLOC) === 0;
  if ((attr.flags & ~HTAB_CREATE_FLAG_MASK) || !accessFlagsOk(attr.flags)) return EINVAL;
  if (!lru && percpuLru) return EINVAL;
  if (lru && !prealloc) return ENOTSUPP;
  if ((attr.flags & BPF_F_NUMA_NODE) && (percpu || percpuLru)) return EINVAL;
  if (attr.maxEntries === 0 || attr.keySize === 0 || attr.valueSize === 0) return EINVAL;
  // The key and value must fit one kmalloc() together with the element header.
  if (attr.keySize + attr.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) return E2BIG;
  if (percpu && roundUp8(attr.valueSize) > PCPU_MIN_UNIT_SIZE) return E2BIG;
  return 0;
}

/**
 * The sizes htab_map_alloc() decides for the hash family, or -errno. LRU maps have no extra
 * elements, and BPF_F_NO_COMMON_LRU rounds max_entries up to a multiple of the CPUs (down when
 * that overflows a u32) so that every CPU's list gets the same number of elements.
 */
export function htabAlloc(attr: MapAttr, cpus: number, percpu: boolean): MapAlloc | number {
  const hasExtra = !percpu && !isLruType(attr.type);
  let maxEntries = attr.maxEntries;
  if (attr.flags & BPF_F_NO_COMMON_LRU) {
    // u32 arithmetic, as the kernel's roundup(): a sum that wraps gives a smaller number.
    const up = Math.floor(((maxEntries + cpus - 1) >>> 0) / cpus) * cpus;
    maxEntries = up < maxEntries ? Math.floor(maxEntries / cpus) * cpus : up;
  }
  if (maxEntries > 2 ** 31) return E2BIG;
  const nBuckets = roundupPowOfTwo(maxEntries);
  if (nBuckets > Math.floor(U32_MAX / KERNEL_BUCKET_SIZE)) return E2BIG;
  const vsRound = roundUp8(attr.valueSize);
  const elemSize = E_KEY_BYTES + roundUp8(attr.keySize) + (percpu ? 0 : vsRound);
  const nElems = maxEntries + (hasExtra ? cpus : 0);
  const extraW = FL_BASE + cpus * FL_STRIDE_W;
  const bucketsW = extraW + cpus * EXTRA_STRIDE_W;
  const ctrlBytes = (bucketsW + 2 * nBuckets) * 4;
  const elemBytes = nElems * elemSize;
  const slabStride = percpu ? roundUp(maxEntries * vsRound, attr.slabAlign) : 0;
  const pcpuBytes = slabStride * cpus;
  if (ctrlBytes > MAX_BUFFER_BYTES || elemBytes > MAX_BUFFER_BYTES || pcpuBytes > MAX_BUFFER_BYTES ||
      ctrlBytes + elemBytes + pcpuBytes > MAX_MAP_BYTES) {
    return ENOMEM;
  }
  const seed = attr.flags & BPF_F_ZERO_SEED ? 0 : webcrypto.getRandomValues(new Uint32Array(1))[0]!;
  const bufferSizes = percpu ? [ctrlBytes, elemBytes, Math.max(pcpuBytes, 8)] : [ctrlBytes, elemBytes];
  const meta = { seed, nBuckets, nElems, elemSize, slabStride, extraW, bucketsW };
  // Values sit in the elements, or in the per-CPU slabs.
  const valueBuffers = [percpu ? 2 : 1];
  return maxEntries === attr.maxEntries ? { bufferSizes, meta, valueBuffers } : { bufferSizes, meta, maxEntries, valueBuffers };
}

// ---- keys ---------------------------------------------------------------------------------------

/**
 * htab_map_hash(): jhash2 over words when key_size % 4 == 0, else jhash over bytes; its low 30
 * bits. A bucket needs at most 28 of them (n_buckets <= 2^28, E2BIG above), and comparing 30
 * bits before the key compare finds the same elements; a 30-bit number stays a small integer in
 * V8, so passing it around allocates nothing.
 */
export function hashOf(p: HtabPriv, key: Key): number {
  if (typeof key === 'number') {
    // A number key hashes as its little-endian bytes would, without making them.
    if (p.keySize === 4) return jhash2Word1Low30(key >>> 0, p.seeds, 0);
    return jhash2Word2Low30(key >>> 0, Math.floor(key / TWO_32) >>> 0, p.seeds, 0);
  }
  if ((p.keySize & 3) === 0) return jhash2Low30(key, 0, p.keySize >>> 2, p.seeds, 0);
  jhashMixSeeded(key, 0, p.keySize, p.seeds, 0);
  return jhashLow30();
}

function keyOff(p: HtabPriv, e: number): number {
  return e * p.elemSize + E_KEY_BYTES;
}

function keyEquals(p: HtabPriv, e: number, key: Key): boolean {
  const off = keyOff(p, e);
  if (typeof key === 'number') {
    const w = off >>> 2;
    if (p.eU32[w] !== key >>> 0) return false;
    return p.keySize === 4 || p.eU32[w + 1] === Math.floor(key / TWO_32) >>> 0;
  }
  const u8 = p.eU8;
  for (let i = 0; i < p.keySize; i++) if (u8[off + i] !== key[i]) return false;
  return true;
}

export function writeKey(p: HtabPriv, e: number, key: Key): void {
  const off = keyOff(p, e);
  if (typeof key === 'number') {
    const w = off >>> 2;
    p.eU32[w] = key >>> 0;
    if (p.keySize === 8) p.eU32[w + 1] = Math.floor(key / TWO_32) >>> 0;
    return;
  }
  p.eU8.set(key, off);
}

export function readKey(p: HtabPriv, e: number, out: Uint8Array, outOff = 0): void {
  const off = keyOff(p, e);
  const u8 = p.eU8;
  for (let i = 0; i < p.keySize; i++) out[outOff + i] = u8[off + i]!;
}

// ---- chains -------------------------------------------------------------------------------------

function nullsOf(bucket: number): number {
  return -(bucket + 1);
}

/**
 * lookup_nulls_elem_raw(): the element holding `key`, or -1. Lock-free; under the bucket lock it is
 * the plain walk (no element of a locked chain can move, so the end marker is always its own).
 */
export function find(p: HtabPriv, hash: number, key: Key): number {
  const bucket = hash & p.mask;
  const headW = bucketHeadW(p, bucket);
  const own = nullsOf(bucket);
  const hashI32 = hash | 0;
  const ctrl = p.ctrl;
  const eI32 = p.eI32;
  const elemWords = p.elemWords;
  // The first walk reads with plain loads, as the kernel's rcu_dereference (a READ_ONCE): every
  // load after the head's has its address computed from the link read before it, so it cannot
  // be made before that link was read (no compiler or CPU here speculates an address), and what
  // it reads is at least what the writer stored before its Atomics.store published the link
  // (linkHead). A plain aligned Int32 load never tears. An Atomics.load costs 6-7 ns in node 20
  // against under 1 ns (it is not inlined), three per element visited.
  let link = ctrl[headW]!;
  while (link > 0) {
    const e = link - 1;
    const w = e * elemWords;
    if (eI32[w + E_HASH] === hashI32 && keyEquals(p, e, key)) return e;
    link = eI32[w + E_NEXT]!;
  }
  if (link === 0 || link === own) return -1;
  // The walk ended on another bucket's marker (the element it stood on was freed and reused
  // there): walk again, with Atomics.load, which the compiler may neither merge with the first
  // walk's loads nor hoist out of the loop.
  for (;;) {
    link = Atomics.load(ctrl, headW);
    while (link > 0) {
      const e = link - 1;
      const w = e * elemWords;
      if (Atomics.load(eI32, w + E_HASH) === hashI32 && keyEquals(p, e, key)) return e;
      link = Atomics.load(eI32, w + E_NEXT);
    }
    // The walk ended: at an empty head (0 or its own marker), at its own marker, or on another
    // bucket's marker again: walk again.
    if (link === 0 || link === own) return -1;
  }
}

/**
 * lookup_nulls_elem_raw() under the bucket lock: nobody else links or unlinks in this bucket, so
 * the chain is read with plain loads and never needs a second walk.
 */
export function findLocked(p: HtabPriv, hash: number, key: Key): number {
  const hashI32 = hash | 0;
  for (let link = p.ctrl[bucketHeadW(p, hash & p.mask)]!; link > 0;) {
    const e = link - 1;
    const w = e * p.elemWords;
    if (p.eI32[w + E_HASH] === hashI32 && keyEquals(p, e, key)) return e;
    link = p.eI32[w + E_NEXT]!;
  }
  return -1;
}

/** hlist_nulls_add_head_rcu(): publish a fully written element at the head of its bucket. */
export function linkHead(p: HtabPriv, bucket: number, e: number): void {
  const headW = bucketHeadW(p, bucket);
  const head = p.ctrl[headW]!;
  // A plain store: the element is not reachable from this bucket until the head's store below
  // publishes it (a reader still standing on it from its old life sees the old or the new link).
  p.eI32[e * p.elemWords + E_NEXT] = head > 0 ? head : nullsOf(bucket);
  Atomics.store(p.ctrl, headW, e + 1);
}

/**
 * hlist_nulls_del_rcu(): unlink e (under the bucket lock). Its own next link stays, so a reader
 * standing on it walks on to the rest of the chain. Plain stores, as the kernel's WRITE_ONCE: an
 * unlink publishes nothing new, a reader sees the old link or the new one, and the lock's release
 * makes it visible to the next holder.
 */
export function unlink(p: HtabPriv, bucket: number, e: number): void {
  if (!tryUnlink(p, bucket, e)) throw new Error(`hash map chain corrupted: element ${e} is not in bucket ${bucket}`);
}

/** unlink(), for an element that may not be in the bucket's chain: false (and nothing changed) when it is not. */
export function tryUnlink(p: HtabPriv, bucket: number, e: number): boolean {
  const headW = bucketHeadW(p, bucket);
  const next = p.eI32[e * p.elemWords + E_NEXT]!;
  let link = p.ctrl[headW]!;
  if (link === e + 1) {
    p.ctrl[headW] = next;
    return true;
  }
  while (link > 0) {
    const w = (link - 1) * p.elemWords + E_NEXT;
    const after = p.eI32[w]!;
    if (after === e + 1) {
      p.eI32[w] = next;
      return true;
    }
    link = after;
  }
  return false;
}

// ---- values -------------------------------------------------------------------------------------

export function valueOff(p: HtabPriv, e: number): number {
  return e * p.elemSize + p.valOff;
}

function pcpuOff(p: HtabPriv, e: number, cpu: number): number {
  return cpu * p.slabStride + e * p.vsRound;
}

/** copy_map_value(), or copy_map_value_locked() under the value's own bpf_spin_lock. */
export function writeValue(p: HtabPriv, dOff: number, value: ValueSource, locked: boolean): void {
  const mem = p.elemMem;
  if (!locked) {
    // The common case, kept free of the lock's try/finally so it stays small enough to inline.
    copyValueIn(mem, dOff, value, p.valueSize, p.lockOffset);
    return;
  }
  // Locked: the caller has refused BPF_F_LOCK on a value without a lock word.
  copyValueInLocked(mem, dOff, value, p.valueSize, p.lockOffset);
}

/** pcpu_copy_value(): in place. A program writes its own CPU's slot; user space every CPU's, 8-byte rounded. */
export function pcpuCopyValue(p: HtabPriv, e: number, value: ValueSource, cpu: number, onAllCpus: boolean): void {
  const mem = p.pcpuMem!;
  if (onAllCpus) {
    const src = value as Uint8Array;
    for (let c = 0; c < p.cpus; c++) copyIntoSlot(mem, pcpuOff(p, e, c), src, c * p.vsRound, p.vsRound, -1);
    return;
  }
  copyValueIn(mem, pcpuOff(p, e, cpu), value, p.valueSize, -1);
}

/**
 * pcpu_init_value(): a new element. User space fills every CPU's slot from its buffer; a program
 * fills its own CPU's slot and zeroes value_size bytes of every other CPU's, so a program always
 * finds known values there (the padding after value_size is left as it was, as the kernel does).
 */
export function pcpuInitValue(p: HtabPriv, e: number, value: ValueSource, cpu: number, onAllCpus: boolean): void {
  if (onAllCpus) {
    pcpuCopyValue(p, e, value, cpu, true);
    return;
  }
  const u8 = p.pcpuMem!.u8;
  for (let c = 0; c < p.cpus; c++) {
    const off = pcpuOff(p, e, c);
    if (c === cpu) {
      pcpuCopyValue(p, e, value, cpu, false);
      // The kernel copies round_up(value_size, 8) bytes from the program's stack here; the bytes
      // past value_size are stack padding, which reads as zero in the simulator.
      zeroBytes(u8, off + p.valueSize, off + p.vsRound);
    } else {
      zeroBytes(u8, off, off + p.valueSize);
    }
  }
}

/**
 * u8.fill(0, from, to) for the small ranges of a new element's slots: TypedArray.prototype.fill is
 * a builtin call (10-20 ns in node 20 even for 0 bytes), a short loop of plain stores is not.
 */
function zeroBytes(u8: Uint8Array, from: number, to: number): void {
  if (to - from > 64) {
    u8.fill(0, from, to);
    return;
  }
  for (let i = from; i < to; i++) u8[i] = 0;
}

export function view(map: BpfMapCore, p: HtabPriv, e: number, cpu: number): ValueView {
  const slot = p.percpu ? cpu * p.nElems + e : e;
  let v = p.views[slot];
  if (v === undefined) {
    v = p.percpu
      ? new map.View(p.pcpuMem!, pcpuOff(p, e, cpu), p.valueSize, -1)
      : new map.View(p.elemMem, valueOff(p, e), p.valueSize, p.lockOffset);
    p.views[slot] = v;
  }
  return v;
}

// ---- ops ----------------------------------------------------------------------------------------

/** check_flags(): the BPF_F_LOCK bit does not count here. */
export function checkFlags(old: number, op: number): number {
  if (old >= 0 && op === BPF_NOEXIST) return EEXIST;
  if (old < 0 && op === BPF_EXIST) return ENOENT;
  return 0;
}

/** A new element for a key not in the map: pop the free list (or, emulating BPF_F_NO_PREALLOC, first check the counter). */
function allocNew(p: HtabPriv, cpu: number): number {
  // The shared count is kept for BPF_F_NO_PREALLOC only, as the kernel's htab->count (is_map_full);
  // a preallocated map's limit is its free lists, and the kernel counts its elements only per CPU
  // for statistics (bpf_map_inc_elem_count): htabStats derives the count from the free lists
  // instead. Two atomic read-modify-writes less per insert and delete (~12 ns each in node 20).
  if (!p.prealloc && Atomics.load(p.ctrl, CTRL_COUNT) >= p.maxEntries) return E2BIG;
  const e = p.fl.pop(cpu);
  if (e < 0) return E2BIG;
  if (!p.prealloc) Atomics.add(p.ctrl, CTRL_COUNT, 1);
  return e;
}

/** htab_map_update_elem(): HASH. */
function htabUpdate(map: BpfMapCore, p: HtabPriv, key: Key, value: ValueSource, flags: number, cpu: number): number {
  const locked = (flags & BPF_F_LOCK) !== 0;
  const op = locked ? flags - BPF_F_LOCK : flags;
  if (!(op >= 0 && op <= BPF_EXIST)) return EINVAL;
  const hash = hashOf(p, key);
  const bucket = hash & p.mask;
  if (locked) {
    if (p.lockOffset < 0) return EINVAL;
    // An existing element is updated in place under its own lock, without the bucket lock.
    const old = find(p, hash, key);
    const r = checkFlags(old, op);
    if (r !== 0) return r;
    if (old >= 0) {
      writeValue(p, valueOff(p, old), value, true);
      return 0;
    }
  }
  const lockW = bucketLockW(p, bucket);
  spinLockAcquire(p.ctrl, lockW);
  try {
    const old = findLocked(p, hash, key);
    const r = checkFlags(old, op);
    if (r !== 0) return r;
    if (old >= 0 && locked) {
      // Inserted by someone else since the lock-free look: update it in place after all.
      writeValue(p, valueOff(p, old), value, true);
      return 0;
    }
    if (old < 0) {
      const e = allocNew(p, cpu);
      if (e < 0) return e;
      fillElem(p, e, key, hash, value);
      linkHead(p, bucket, e);
      return 0;
    }
    // Replace: this CPU's extra element takes the new value and goes to the head; the old element
    // becomes the CPU's extra. The extra's lock stands in for the kernel's disabled preemption: a
    // user call and a program may both act as one CPU here.
    const xw = p.extraW + cpu * EXTRA_STRIDE_W;
    spinLockAcquire(p.ctrl, xw + EXTRA_LOCK);
    const e = p.ctrl[xw + EXTRA_ELEM]!;
    p.ctrl[xw + EXTRA_ELEM] = old;
    fillElem(p, e, key, hash, value);
    linkHead(p, bucket, e);
    unlink(p, bucket, old);
    spinLockRelease(p.ctrl, xw + EXTRA_LOCK);
    return 0;
  } finally {
    spinLockRelease(p.ctrl, lockW);
  }
}

function fillElem(p: HtabPriv, e: number, key: Key, hash: number, value: ValueSource): void {
  writeKey(p, e, key);
  writeValue(p, valueOff(p, e), value, false);
  // A plain store, as the kernel's l_new->hash = hash: linkHead's Atomics.store of the head
  // publishes the element with it (a reader still on the element from its old life may see the
  // old or the new hash, and compares the key after it, as in the kernel's reused elements).
  p.eI32[e * p.elemWords + E_HASH] = hash | 0;
}

/** htab_map_update_elem_in_place(): PERCPU_HASH, from a program (one CPU) or user space (all CPUs). */
function htabPercpuUpdate(p: HtabPriv, key: Key, value: ValueSource, flags: number, cpu: number, onAllCpus: boolean): number {
  if (!(flags >= 0 && flags <= BPF_EXIST)) return EINVAL; // BPF_F_LOCK included
  const hash = hashOf(p, key);
  const bucket = hash & p.mask;
  const lockW = bucketLockW(p, bucket);
  spinLockAcquire(p.ctrl, lockW);
  try {
    const old = findLocked(p, hash, key);
    const r = checkFlags(old, flags);
    if (r !== 0) return r;
    if (old >= 0) {
      pcpuCopyValue(p, old, value, cpu, onAllCpus);
      return 0;
    }
    const e = allocNew(p, cpu);
    if (e < 0) return e;
    writeKey(p, e, key);
    pcpuInitValue(p, e, value, cpu, onAllCpus);
    p.eI32[e * p.elemWords + E_HASH] = hash | 0; // plain, as in fillElem: linkHead publishes it
    linkHead(p, bucket, e);
    return 0;
  } finally {
    spinLockRelease(p.ctrl, lockW);
  }
}

/** Unlink the element holding key under the bucket lock; copy its value first when out is given. */
function removeElem(p: HtabPriv, key: Key, cpu: number, out: Uint8Array | null, flags: number): number {
  const hash = hashOf(p, key);
  const bucket = hash & p.mask;
  const lockW = bucketLockW(p, bucket);
  let e: number;
  spinLockAcquire(p.ctrl, lockW);
  try {
    e = findLocked(p, hash, key);
    if (e < 0) return ENOENT;
    if (out !== null) copyOut(p, e, out, flags);
    unlink(p, bucket, e);
    if (!p.prealloc) Atomics.sub(p.ctrl, CTRL_COUNT, 1); // see allocNew
  } finally {
    spinLockRelease(p.ctrl, lockW);
  }
  // free_htab_elem(): back on this CPU's free list, at once (a program still holding a view of it
  // sees the next user of the element, as with the kernel's preallocated maps).
  p.fl.push(cpu, e);
  return 0;
}

/** The value as user space gets it: value_size bytes (lock word zero), or every CPU's rounded slot. */
export function copyOut(p: HtabPriv, e: number, out: Uint8Array, flags: number, outOff = 0): void {
  if (p.percpu) {
    const mem = p.pcpuMem!;
    for (let c = 0; c < p.cpus; c++) copyFromSlot(mem, pcpuOff(p, e, c), out, outOff + c * p.vsRound, p.vsRound, -1);
    return;
  }
  if (flags & BPF_F_LOCK) copyFromSlotLocked(p.elemMem, valueOff(p, e), out, outOff, p.valueSize, p.lockOffset);
  else copyFromSlot(p.elemMem, valueOff(p, e), out, outOff, p.valueSize, p.lockOffset);
}

/** This thread's view of a hash-family map's shared memory (any of the four types). */
export function htabOpen(map: BpfMapCore): HtabPriv {
  const meta = map.getHandle().meta as Record<'seed' | 'nBuckets' | 'nElems' | 'elemSize' | 'slabStride' | 'extraW' | 'bucketsW', number>;
  const attr = map.attr;
  const percpu = map.ops.percpu;
  const lru = isLruType(attr.type);
  const ctrl = map.mems[0]!.i32;
  const elemMem = map.mems[1]!;
  const elemWords = meta.elemSize >>> 2;
  return {
    percpu,
    lru,
    prealloc: (attr.flags & BPF_F_NO_PREALLOC) === 0,
    hasExtra: !percpu && !lru,
    keySize: attr.keySize,
    valueSize: attr.valueSize,
    vsRound: roundUp8(attr.valueSize),
    maxEntries: attr.maxEntries,
    nBuckets: meta.nBuckets,
    mask: meta.nBuckets - 1,
    seed: meta.seed,
    seeds: Int32Array.of(meta.seed | 0),
    cpus: map.cpus,
    nElems: meta.nElems,
    lockOffset: attr.lockOffset,
    ctrl,
    extraW: meta.extraW,
    bucketsW: meta.bucketsW,
    elemMem,
    eI32: elemMem.i32,
    eU32: elemMem.u32,
    eU8: elemMem.u8,
    elemSize: meta.elemSize,
    elemWords,
    valOff: E_KEY_BYTES + roundUp8(attr.keySize),
    pcpuMem: percpu ? map.mems[2]! : null,
    slabStride: meta.slabStride,
    fl: new PcpuFreelist(ctrl, FL_BASE, map.cpus, elemMem.i32, elemWords, E_FNEXT),
    views: [],
  };
}

/**
 * A hash map's table as a translated program's inlined lookup walks it (the kernel's
 * htab_map_gen_lookup): byte addresses in the memory the map's buffers share (a loaded object's
 * memory) and the numbers of this file's layout table. The translator knows the layout only
 * through these, so a change to the table above reaches it here.
 */
export interface HtabGenLookup {
  /** The jhash initval (0 with BPF_F_ZERO_SEED). */
  readonly seed: number;
  /** The bits of the hash kept in an element and compared (hashOf). */
  readonly hashMask: number;
  /** n_buckets - 1. */
  readonly mask: number;
  /** Address of bucket 0's head link, and the bytes from one bucket to the next. */
  readonly heads: number;
  readonly bucketBytes: number;
  /** Address of element 0, and the bytes of one element. */
  readonly elems: number;
  readonly elemSize: number;
  /** Byte offsets inside an element: next link, hash, key, value (HASH; -1 for per-CPU maps). */
  readonly nextOff: number;
  readonly hashOff: number;
  readonly keyOff: number;
  readonly valOff: number;
  /** Per-CPU maps: CPU 0's slab, the bytes from one CPU's slab to the next, and one element's slot. */
  readonly percpu: { readonly values: number; readonly slabStride: number; readonly vsRound: number } | null;
}

export function htabGenLookup(map: BpfMapCore): HtabGenLookup {
  const p = map.priv as HtabPriv;
  const ctrl = map.mems[0]!;
  const elems = map.mems[1]!;
  const pcpu = p.pcpuMem;
  if (elems.buffer !== ctrl.buffer || (pcpu !== null && pcpu.buffer !== ctrl.buffer)) {
    throw new Error(`hash map '${map.name}': its buffers are not in one memory, so a translated program cannot address them (create it in a loaded object's memory)`);
  }
  return {
    seed: p.seed,
    hashMask: JHASH_LOW30,
    mask: p.mask,
    heads: ctrl.offset + bucketHeadW(p, 0) * 4,
    bucketBytes: (bucketHeadW(p, 1) - bucketHeadW(p, 0)) * 4,
    elems: elems.offset,
    elemSize: p.elemSize,
    nextOff: E_NEXT * 4,
    hashOff: E_HASH * 4,
    keyOff: E_KEY_BYTES,
    valOff: p.percpu ? -1 : p.valOff,
    percpu: pcpu === null ? null : { values: pcpu.offset, slabStride: p.slabStride, vsRound: p.vsRound },
  };
}

/** Word index of a bucket's head link in the control buffer. */
export function bucketHeadW(p: HtabPriv, bucket: number): number {
  return p.bucketsW + 2 * bucket + BUCKET_HEAD;
}

/** Word index of a bucket's lock in the control buffer. */
export function bucketLockW(p: HtabPriv, bucket: number): number {
  return p.bucketsW + 2 * bucket + BUCKET_LOCK;
}

/**
 * The syscall lookup of every hash type: a copy of the value (all CPUs' slots for per-CPU maps),
 * under the element's lock with BPF_F_LOCK. LRU maps use it too: a syscall lookup sets no ref bit.
 */
export function htabLookupElemSys(map: BpfMapCore, key: Uint8Array | null, out: Uint8Array, flags: number): number {
  const p = map.priv as HtabPriv;
  const e = find(p, hashOf(p, key!), key!);
  if (e < 0) return ENOENT;
  copyOut(p, e, out, flags);
  return 0;
}

/** htab_map_get_next_key(): chain order inside a bucket, buckets in index order. */
export function htabGetNextKey(map: BpfMapCore, key: Uint8Array | null, next: Uint8Array): number {
  const p = map.priv as HtabPriv;
  let i = 0;
  if (key !== null) {
    const hash = hashOf(p, key);
    const e = find(p, hash, key);
    // A key that is not there restarts the walk at the first key.
    if (e >= 0) {
      const after = Atomics.load(p.eI32, e * p.elemWords + E_NEXT);
      if (after > 0) {
        readKey(p, after - 1, next);
        return 0;
      }
      i = (hash & p.mask) + 1;
    }
  }
  for (; i < p.nBuckets; i++) {
    const head = Atomics.load(p.ctrl, bucketHeadW(p, i));
    if (head > 0) {
      readKey(p, head - 1, next);
      return 0;
    }
  }
  return ENOENT;
}

/**
 * __htab_map_lookup_and_delete_batch(): whole buckets from the bucket index `inBatch` on (null:
 * 0), each copied (and unlinked, for the delete variant) under its lock. A bucket that does not fit
 * in what is left of maxCount ends the call: ENOSPC when nothing was copied yet, else 0 with the
 * cursor on that bucket. Running past the last bucket gives ENOENT, with whatever was copied.
 * `free` gives an unlinked element back (after the bucket lock is dropped, newest-unlinked first,
 * as the kernel's batch_flink list does). res.count and res.outBatch are set when the kernel
 * writes them.
 */
export function htabLookupBatch(map: BpfMapCore, inBatch: number | null, maxCount: number, keys: Uint8Array, values: Uint8Array,
  elemFlags: number, flags: number, doDelete: boolean, res: BatchCursor, free: (p: HtabPriv, e: number) => void): number {
  const p = map.priv as HtabPriv;
  if (flags !== 0) return EINVAL;
  if (maxCount === 0) return 0;
  res.count = 0;
  let batch = inBatch ?? 0;
  if (batch >= p.nBuckets) return ENOENT;
  const userValueSize = p.percpu ? p.vsRound * p.cpus : p.valueSize;
  // Whole-word copies when keys and values are whole words and hold no lock word (the common
  // case); bytes otherwise.
  const keys32 = (p.keySize & 3) === 0 && (keys.byteOffset & 3) === 0 ? new Uint32Array(keys.buffer, keys.byteOffset, keys.length >>> 2) : null;
  const wordValues = (p.percpu || ((p.valueSize & 3) === 0 && p.lockOffset < 0)) && (values.byteOffset & 3) === 0;
  const values32 = wordValues ? new Uint32Array(values.buffer, values.byteOffset, values.length >>> 2) : null;
  const kw = p.keySize >>> 2;
  const vw = p.percpu ? p.vsRound >>> 2 : p.valueSize >>> 2;
  const valW = p.valOff >>> 2;
  const src32 = p.percpu ? p.pcpuMem!.u32 : p.eU32;
  // Locals for the loop (a hot loop over up to max_entries elements).
  const { ctrl, eI32, eU32, bucketsW, nBuckets, elemWords, percpu, cpus, slabStride, vsRound, keySize } = p;
  let total = 0;
  let ret = 0;
  const toFree: number[] = [];
  for (;;) {
    let cnt = 0;
    const headW = bucketsW + 2 * batch + BUCKET_HEAD;
    // An empty bucket is skipped without its lock (a plain read, as the kernel's READ_ONCE: a stale
    // "empty" is an element that arrived after the walk passed); a non-empty one is counted and
    // copied under the lock.
    if (ctrl[headW]! > 0) {
      const lockW = headW - BUCKET_HEAD + BUCKET_LOCK;
      spinLockAcquire(ctrl, lockW);
      const head = ctrl[headW]!;
      // Copy while counting, into the space that is left; a bucket that turns out not to fit is
      // not counted (its copies past `total` are never reported).
      let i = total;
      for (let link = head; link > 0; link = eI32[(link - 1) * elemWords + E_NEXT]!) {
        cnt++;
        if (i >= maxCount) continue;
        const e = link - 1;
        const ew = e * elemWords;
        if (keys32 !== null) {
          const d = i * kw;
          for (let k = 0; k < kw; k++) keys32[d + k] = eU32[ew + 4 + k]!;
        } else {
          readKey(p, e, keys, i * keySize);
        }
        if (values32 !== null) {
          const d = (i * userValueSize) >>> 2;
          if (percpu) {
            for (let c = 0; c < cpus; c++) {
              const sw = (c * slabStride + e * vsRound) >>> 2;
              const dc = d + c * vw;
              for (let k = 0; k < vw; k++) values32[dc + k] = src32[sw + k]!;
            }
          } else {
            for (let k = 0; k < vw; k++) values32[d + k] = src32[ew + valW + k]!;
          }
        } else {
          copyOut(p, e, values, elemFlags, i * userValueSize);
        }
        i++;
      }
      if (cnt > maxCount - total) {
        if (total === 0) ret = ENOSPC;
        spinLockRelease(ctrl, lockW);
        break;
      }
      if (doDelete) {
        // Unlink the whole bucket (it fitted), remembering the elements to free after the lock.
        for (let link = head; link > 0;) {
          const e = link - 1;
          link = eI32[e * elemWords + E_NEXT]!;
          unlink(p, batch, e);
          toFree.push(e);
        }
      }
      spinLockRelease(ctrl, lockW);
      if (toFree.length > 0) {
        for (let k = toFree.length - 1; k >= 0; k--) free(p, toFree[k]!);
        toFree.length = 0;
      }
    }
    total += cnt;
    batch++;
    if (batch >= nBuckets) {
      ret = ENOENT;
      break;
    }
  }
  res.count = total;
  res.outBatch = batch;
  return ret;
}

/** free_htab_elem() for a preallocated HASH or PERCPU_HASH element: back on this CPU's free list. */
function htabFree(cpu: number): (p: HtabPriv, e: number) => void {
  return (p, e) => {
    if (!p.prealloc) Atomics.sub(p.ctrl, CTRL_COUNT, 1); // see allocNew
    p.fl.push(cpu, e);
  };
}

function makeOps(name: string, percpu: boolean): BpfMapOps {
  return {
    name,
    percpu,
    // The BTF check: a bpf_spin_lock is allowed in HASH values, not in per-CPU ones.
    spinLockAllowed: !percpu,

    allocCheck(attr) {
      return htabAllocCheck(attr, percpu);
    },

    alloc(attr, cpus) {
      return htabAlloc(attr, cpus, percpu);
    },

    init(map) {
      const p = map.priv as HtabPriv;
      p.fl.populate(p.nElems);
      if (p.hasExtra) {
        // alloc_extra_elems(): one element per CPU, popped as the creating CPU pops.
        for (let c = 0; c < p.cpus; c++) p.ctrl[p.extraW + c * EXTRA_STRIDE_W + EXTRA_ELEM] = p.fl.pop(map.userCpu);
      }
    },

    open(map) {
      map.priv = htabOpen(map);
    },

    lookupElem(map, key, cpu) {
      const p = map.priv as HtabPriv;
      const e = find(p, hashOf(p, key), key);
      return e < 0 ? null : view(map, p, e, cpu);
    },

    updateElem(map, key, value, flags, cpu, onAllCpus) {
      const p = map.priv as HtabPriv;
      return percpu ? htabPercpuUpdate(p, key, value, flags, cpu, onAllCpus) : htabUpdate(map, p, key, value, flags, cpu);
    },

    deleteElem(map, key, cpu) {
      return removeElem(map.priv as HtabPriv, key, cpu, null, 0);
    },

    lookupElemSys: htabLookupElemSys,

    ...(percpu ? {
      percpuValueOff(map: BpfMapCore, key: Key): number {
        const p = map.priv as HtabPriv;
        const e = find(p, hashOf(p, key), key);
        return e < 0 ? ENOENT : pcpuOff(p, e, 0);
      },
      percpuSlab(map: BpfMapCore) {
        const p = map.priv as HtabPriv;
        return { mem: p.pcpuMem!, stride: p.slabStride };
      },
    } : {}),

    getNextKey: htabGetNextKey,

    lookupAndDeleteElem(map, key, out, flags, cpu) {
      return removeElem(map.priv as HtabPriv, key!, cpu, out, flags);
    },

    // Update and delete batches are the generic ones; lookups walk buckets (BATCH_OPS(htab)).
    genericBatch: { update: true, delete: true },
    lookupBatch(map, inBatch, maxCount, keys, values, elemFlags, flags, cpu, res) {
      return htabLookupBatch(map, inBatch, maxCount, keys, values, elemFlags, flags, false, res, htabFree(cpu));
    },
    lookupAndDeleteBatch(map, inBatch, maxCount, keys, values, elemFlags, flags, cpu, res) {
      return htabLookupBatch(map, inBatch, maxCount, keys, values, elemFlags, flags, true, res, htabFree(cpu));
    },
  };
}

export const htabMapOps: BpfMapOps = makeOps('htab_map_ops', false);
export const htabPercpuMapOps: BpfMapOps = makeOps('htab_percpu_map_ops', true);

/** Where every element of a hash map is, for tests and statistics (not a snapshot under writers). */
export interface HtabStats {
  /** Elements linked in the buckets, by walking them. */
  readonly linked: number;
  /**
   * The element count: the kernel's counter with BPF_F_NO_PREALLOC; for a preallocated map (which
   * keeps no shared counter, see allocNew) the elements neither free nor extra.
   */
  readonly count: number;
  /** Elements on the per-CPU free lists. */
  readonly free: number;
  /** Extra elements (one per CPU for HASH, none for PERCPU_HASH). */
  readonly extra: number;
  /** Elements in the shared memory: linked + free + extra when the map is quiet. */
  readonly total: number;
  /** Keys that occur more than once (hex), which must never happen. */
  readonly duplicates: readonly string[];
}

export function htabStats(map: BpfMapCore): HtabStats {
  const p = map.priv as HtabPriv;
  let linked = 0;
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const key = new Uint8Array(p.keySize);
  for (let b = 0; b < p.nBuckets; b++) {
    for (let link = p.ctrl[bucketHeadW(p, b)]!; link > 0; link = p.eI32[(link - 1) * p.elemWords + E_NEXT]!) {
      linked++;
      readKey(p, link - 1, key);
      const hex = Buffer.from(key).toString('hex');
      if (seen.has(hex)) duplicates.push(hex);
      seen.add(hex);
    }
  }
  const free = p.fl.count();
  const extra = p.hasExtra ? p.cpus : 0;
  return {
    linked,
    count: p.prealloc && !p.lru ? p.nElems - free - extra : Atomics.load(p.ctrl, CTRL_COUNT),
    free,
    extra,
    total: p.nElems,
    duplicates,
  };
}
