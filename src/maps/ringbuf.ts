// BPF_MAP_TYPE_RINGBUF (the kernel's kernel/bpf/ringbuf.c) and its consumer (libbpf's ringbuf.c).
//
// Many producers (programs on every CPU), one consumer (user space). A producer reserves space
// under a lock, fills the record in place and commits it without the lock; the consumer reads
// committed records in reservation order and moves consumer_pos past them.
//
// Positions are the kernel's ever-growing 64-bit byte counters. Each is kept as two u32 words: the
// low word is the one every hot path uses, with 32-bit modular arithmetic (the kernel's unsigned
// subtractions give the same answers, since positions that are compared lie within 2^31 bytes of
// each other); the high word changes only when the low one wraps, under a sequence word, so a full
// 64-bit read (bpf_ringbuf_query, RingBuffer.consumerPos) is consistent.
//
// Buffer 0, control. Producers share one line: producer_pos carries the producer lock in its low
// bits (positions are multiples of 8), so taking the lock brings producer_pos along, and the one
// exchange that releases the lock also publishes the new position (one atomic less per record
// than a separate lock word). Everything else producers write sits under the lock on the same
// line. The consumer's position has a line of its own; producers keep a lower bound of it on
// their line and read the consumer's line only when that bound is not enough (a reservation near
// a full ring) and to decide a wakeup at commit.
//   offset  size  meaning                                                  written by
//   0       4     producer_pos, low 32 bits, with the producer lock in     producers; the exchange that
//                 bit 0 (locked) and bit 1 (a waiter is parked on it)      unlocks is the release store
//   4       4     producer_pos, high 32 bits                               producers, under the lock
//   8       4     producer_pos sequence (odd while high+low change)        producers, under the lock
//   12      4     pending_pos, low 32 bits: at or before the oldest BUSY   producers, under the lock
//   16      4     consumer_pos lower bound, low 32 bits (see reserve)      producers, under the lock
//   20      4     1 once user space wrote consumer_pos (no bound then)     user space
//   24      4     the lock holder's lock id (src/sync), 0 when free: a     producers, under the lock
//                 waiter takes over the lock of a holder that died
//   128     4     consumer_pos, low 32 bits (store = release)              the consumer
//   132     4     consumer_pos, high 32 bits                               the consumer
//   136     4     consumer_pos sequence (odd while high+low change)        the consumer
//   256     4     wakeups: bumped on each kernel wakeup (waitAsync word)   committers
//   260     4     waiters: consumers parked on the wakeups word            consumers
//   384     4     dropped, low 32 bits: reservations refused for space     producers
//   388     4     dropped, high 32 bits                                    producers
//   512     4     consumer busy: 1 while a consume() runs                  the consumer
//
// Buffer 1, data: 2 x size bytes. [0, size) is the ring; a record sits at pos & (size - 1) as an
// 8-byte header { u32 len; u32 pg_off } and its payload, round_up(len + 8, 8) bytes in all. len
// bit 31 is BUSY (reserved, not committed), bit 30 DISCARD. The kernel maps the data pages twice
// so a record that runs past the end stays contiguous; JS cannot alias memory, so [size, 2 x size)
// plays the second mapping: the producer writes a wrapping record straight on into it, and at
// commit (before BUSY clears) copies the part past the end to the start of the ring, where the
// kernel's bytes would be. The consumer reads the record contiguously from the same place.

import { EINVAL, EAGAIN, ENOTSUPP } from './errno.js';
import { ValueView, type FieldType, type SharedMemory, type StructLayout, type StructView, type ViewClass } from './layout.js';
import type { BpfMapCore, BpfMapOps, MapAlloc, MapAttr, ValueSource } from './bpf.js';
import { TWO_32, U32_MAX } from './limits.js';
import { isMainThread } from 'node:worker_threads';
import { lockOwnerDied, thisLockId } from '../sync/spinlock.js';
import { BPF_F_NUMA_NODE, BPF_MAP_TYPE_RINGBUF } from './uapi.js';

// ---- uapi --------------------------------------------------------------------------------------

export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;
export const BPF_RINGBUF_HDR_SZ = 8;
/** RINGBUF_MAX_RECORD_SZ (UINT_MAX / 4): the largest size a reservation may ask for. */
export const RINGBUF_MAX_RECORD_SZ = 0x3fffffff;

const PAGE_SIZE = 4096;
const PAGE_SHIFT = 12;
/** Pages in front of the data in the kernel's struct bpf_ringbuf: the header page, consumer page, producer page. */
const RINGBUF_DATA_PGOFF = 3;
const RINGBUF_CREATE_FLAG_MASK = BPF_F_NUMA_NODE;
const LEN_MASK = 0x3fffffff;
/** The uapi's BPF_RINGBUF_BUSY_BIT and BPF_RINGBUF_DISCARD_BIT, as int32 (headers are read from an Int32Array). */
const BUSY = 1 << 31;
const DISCARD = 1 << 30;
const INT_MAX = 0x7fffffff;

// Word indexes into the control buffer.
const W_PROD_LO = 0;
const W_PROD_HI = 1;
const W_PROD_SEQ = 2;
const W_PEND_LO = 3;
const W_CONS_BOUND = 4;
const W_CONS_SET = 5;
const W_LOCK_OWNER = 6;
const W_CONS_LO = 32;
const W_CONS_HI = 33;
const W_CONS_SEQ = 34;
const W_WAKEUPS = 64;
const W_WAITERS = 65;
const W_DROPPED_LO = 96;
const W_DROPPED_HI = 97;
const W_CONSUMER_BUSY = 128;
/** The producer lock's bits in producer_pos's low word. */
const LOCKED = 1;
const PARKED = 2;
const POS_MASK = ~7;
/** Looks at a held lock before a producer parks on it (Atomics.wait); each is followed by a pause. */
const LOCK_TRIES = 4;
/**
 * The pause after a look (iterations of a ~1 ns loop), doubling from MIN to MAX. While a waiter
 * pauses it leaves the lock's line alone, so the holder takes the lock again and again without
 * the line (nor the record lines) moving between cores. On this machine a line takes 100-150 ns
 * to move between the 2 vCPUs; with waiters polling the word, 2 producers made ~4 M records/s;
 * pausing, ~11 M/s (one producer alone makes ~12 M/s). Measured (5 runs each, 2 producers):
 * 1..256: 4.2-5.4 M/s; 32..512: 6.1-6.5; 256..2048: 9.5-10.0; 512..4096: 10.0-11.0; longer: no better.
 */
const LOCK_PAUSE_MIN = 512;
const LOCK_PAUSE_MAX = 4096;
/** A parked producer looks at the holder this often (ms). */
const LOCK_SLICE_MS = 20;
/** Threads that may not Atomics.wait (the main thread) look at the holder every this many tries. */
const LOCK_CHECK_EVERY = 1 << 12;
const canWait = !isMainThread;
const CONTROL_BYTES = 1024;

export interface RingbufPriv {
  readonly map: BpfMapCore;
  readonly size: number;
  readonly mask: number;
  readonly ctl: Int32Array;
  readonly ctlU32: Uint32Array;
  readonly data: SharedMemory;
  /** The data buffer's arrays, straight from the ring (one property load less on every record). */
  readonly dataI32: Int32Array;
  readonly dataU8: Uint8Array;
  /** Record views that are not lent out, per view class: reserve takes one, commit gives it back. */
  readonly pools: Map<ViewClass, ValueView[]>;
  /** The last view class asked for and its pool: a program uses one or two, so the Map is rarely read. */
  lastView: ViewClass | null;
  lastPool: ValueView[];
  /** How far pending_pos may lag producer_pos before a reservation moves it (a quarter of the ring). */
  readonly pendingLag: number;
  /** True while a consume() runs on this thread (it may hold progress not yet published). */
  consuming: boolean;
  /** That consume()'s position (low word), current whenever its callback runs. */
  consPos: number;
  /** The low word of consumer_pos it last published. */
  consPublished: number;
  /** How far consume() runs ahead of the published consumer_pos before publishing (bytes). */
  readonly publishEvery: number;
}

/** The ring a record's memory belongs to (the kernel finds it from the header's pg_off). */
const ringOfData = new WeakMap<SharedMemory, RingbufPriv>();

function isPowerOf2(x: number): boolean {
  return x > 0 && (x & (x - 1)) === 0;
}

/** A record's length in the ring: header plus payload, rounded up to 8 bytes. */
const recordLen = (size: number): number => (size + BPF_RINGBUF_HDR_SZ + 7) & ~7;

// ---- 64-bit positions ----------------------------------------------------------------------------

/** A consistent 64-bit read of a position whose low word may be moving (`loMask` drops lock bits). */
function read64(u32: Uint32Array, lo: number, hi: number, seq: number, loMask: number): number {
  for (;;) {
    const s = Atomics.load(u32, seq);
    if (s & 1) continue;
    const h = Atomics.load(u32, hi);
    const l = (Atomics.load(u32, lo) & loMask) >>> 0;
    if (Atomics.load(u32, seq) === s) return h * TWO_32 + l;
  }
}

/**
 * Publish a new low word with a release store (Atomics.store: the only release JS has). The fast
 * path is that one store; when the low word wrapped, the high word is carried under the sequence.
 */
function store64(u32: Uint32Array, lo: number, hi: number, seq: number, oldLo: number, newLo: number): void {
  if (newLo >= oldLo) Atomics.store(u32, lo, newLo);
  else carry64(u32, lo, hi, seq, newLo);
}

function carry64(u32: Uint32Array, lo: number, hi: number, seq: number, newLo: number): void {
  Atomics.add(u32, seq, 1);
  Atomics.add(u32, hi, 1);
  Atomics.store(u32, lo, newLo);
  Atomics.add(u32, seq, 1);
}

/**
 * Publish the position of a consume() running on this thread. Everything on this thread that
 * reads consumer_pos (a program-side helper called from a callback, the query, the setter) calls
 * this first, so it sees libbpf's position: the end of the record before the one being delivered.
 */
function flushConsumer(p: RingbufPriv): void {
  if (p.consPos !== p.consPublished) {
    store64(p.ctlU32, W_CONS_LO, W_CONS_HI, W_CONS_SEQ, p.consPublished, p.consPos);
    p.consPublished = p.consPos;
  }
}

/** Set a full 64-bit position (user space writing the consumer page). */
function set64(u32: Uint32Array, lo: number, hi: number, seq: number, value: number): void {
  Atomics.add(u32, seq, 1);
  Atomics.store(u32, hi, Math.floor(value / TWO_32) >>> 0);
  Atomics.store(u32, lo, value >>> 0);
  Atomics.add(u32, seq, 1);
}

// ---- the producer lock --------------------------------------------------------------------------

/**
 * Take the producer lock (the kernel's rb->spinlock) and return producer_pos's low word. The fast
 * path is one compare-and-swap; the plain read before it is only its guess (the CAS checks it).
 */
function lockProducer(ctl: Int32Array): number {
  const v = ctl[W_PROD_LO]!;
  if ((v & (LOCKED | PARKED)) === 0 && Atomics.compareExchange(ctl, W_PROD_LO, v, v | LOCKED) === v) {
    // Same line, no call in between (so no point where the thread could be terminated).
    ctl[W_LOCK_OWNER] = thisLockId();
    return v >>> 0;
  }
  return lockProducerSlow(ctl);
}

/**
 * Release the lock and publish producer_pos in one exchange: the release store that makes the
 * BUSY header (written before it) visible to the consumer, which reads producer_pos lock-free.
 * Wakes one parked producer if there is one.
 */
function unlockProducer(ctl: Int32Array, prodLo: number): void {
  ctl[W_LOCK_OWNER] = 0;
  if (Atomics.exchange(ctl, W_PROD_LO, prodLo | 0) & PARKED) Atomics.notify(ctl, W_PROD_LO, 1);
}

/** Written by the pause loop, so the compiler cannot drop the loop. */
let pauseSink = 0;

/**
 * Contended: look a few times, pausing between looks, then park on the word
 * (futex-style, after Drepper: whoever took the lock after parking keeps PARKED set, so its unlock
 * wakes the next). A holder whose thread died (the coordinator marks it in src/sync's owner table)
 * never unlocks: a waiter takes its lock over. Nothing it did is visible: producer_pos moves only
 * with the unlock.
 */
function lockProducerSlow(ctl: Int32Array): number {
  let parked = false;
  let pause = LOCK_PAUSE_MIN;
  for (let n = 1; ; n++) {
    let v = Atomics.load(ctl, W_PROD_LO);
    if ((v & LOCKED) === 0) {
      if (Atomics.compareExchange(ctl, W_PROD_LO, v, parked ? v | LOCKED | PARKED : v | LOCKED) === v) {
        ctl[W_LOCK_OWNER] = thisLockId();
        return (v & POS_MASK) >>> 0;
      }
      continue;
    }
    if (!canWait || n < LOCK_TRIES) {
      if (n % LOCK_CHECK_EVERY === 0 && takeOverDead(ctl)) return (Atomics.load(ctl, W_PROD_LO) & POS_MASK) >>> 0;
      for (let k = 0; k < pause; k++) pauseSink = (pauseSink * 31 + k) | 0;
      if (pause < LOCK_PAUSE_MAX) pause <<= 1;
      continue;
    }
    if ((v & PARKED) === 0) {
      if (Atomics.compareExchange(ctl, W_PROD_LO, v, v | PARKED) !== v) continue;
      v |= PARKED;
    }
    parked = true;
    if (Atomics.wait(ctl, W_PROD_LO, v, LOCK_SLICE_MS) === 'timed-out' && takeOverDead(ctl)) {
      return (Atomics.load(ctl, W_PROD_LO) & POS_MASK) >>> 0;
    }
  }
}

/** Claim the lock of a holder whose thread died; true when this thread now holds it. */
function takeOverDead(ctl: Int32Array): boolean {
  const owner = Atomics.load(ctl, W_LOCK_OWNER);
  return owner !== 0 && lockOwnerDied(owner) && Atomics.compareExchange(ctl, W_LOCK_OWNER, owner, thisLockId()) === owner;
}

// ---- the producer side ---------------------------------------------------------------------------

function countDrop(ctl: Int32Array): void {
  if (Atomics.add(ctl, W_DROPPED_LO, 1) === -1) Atomics.add(ctl, W_DROPPED_HI, 1);
}

/**
 * Move pending_pos over committed records while it is more than `keep` bytes behind prod; it
 * stops at the oldest record still BUSY. Committers clear BUSY without the lock: a plain read is
 * the kernel's READ_ONCE (aligned 32-bit reads do not tear). No acquire is needed: nothing read
 * here depends on a record's payload, and a stale BUSY only holds pending_pos back.
 */
function advancePending(hdrs: Int32Array, mask: number, pend: number, prod: number, keep: number): number {
  while (((prod - pend) | 0) > keep) {
    const hdr = hdrs[(pend & mask) >>> 2]!;
    if (hdr & BUSY) break;
    pend = (pend + recordLen(hdr & LEN_MASK)) >>> 0;
  }
  return pend;
}

/**
 * __bpf_ringbuf_reserve: the offset of the record's header in the data buffer, or -1. Sizes past
 * RINGBUF_MAX_RECORD_SZ or whose record exceeds the ring fail at once; a ring without room fails
 * and counts a drop.
 *
 * The kernel's checks, with its answers, but cheaper inside the lock. Both limits (consumer_pos
 * and pending_pos) only grow, so a check that passes against an older, smaller value passes
 * against the kernel's too: the lock holder checks against values it already has on its own
 * cache line (a lower bound of consumer_pos; pending_pos moved only once it lags a quarter of the
 * ring, over records too old to be on another CPU's line), and only a check that fails brings
 * both up to date (consumer_pos read, pending_pos moved up to the oldest BUSY record) before it
 * refuses. pending_pos itself is internal (user space here cannot read the producer page).
 */
export function ringbufReserve(p: RingbufPriv, size: number): number {
  if (!(size <= RINGBUF_MAX_RECORD_SZ)) return -1;
  const len = recordLen(size);
  if (len > p.size) return -1;
  const ctl = p.ctl;
  const u32 = p.ctlU32;
  const mask = p.mask;
  const hdrs = p.dataI32;
  if (p.consuming) flushConsumer(p);
  const prod = lockProducer(ctl);
  const newProd = (prod + len) >>> 0;
  // Plain reads and writes of the other producer words: only lock holders write them (the lock orders them).
  let pend = u32[W_PEND_LO]!;
  if (((prod - pend) | 0) > p.pendingLag) {
    pend = advancePending(hdrs, mask, pend, prod, p.pendingLag);
    u32[W_PEND_LO] = pend;
  }
  let cons = u32[W_CONS_BOUND]!;
  if (((newProd - cons) >>> 0) > mask || ((newProd - pend) >>> 0) > mask || u32[W_CONS_SET] !== 0) {
    // The kernel's values. consumer_pos with an acquire load, as the kernel's: the consumer is
    // done with the bytes it gave back. (User space writing consumer_pos turns the bound off:
    // it may move backwards.)
    cons = Atomics.load(u32, W_CONS_LO);
    u32[W_CONS_BOUND] = cons;
    pend = advancePending(hdrs, mask, pend, prod, 0);
    u32[W_PEND_LO] = pend;
    // No more than size - 1 bytes ahead of the consumer, nor of the oldest uncommitted record (a
    // consumer_pos moved by user space must not let a producer overwrite a record being written).
    if (((newProd - cons) >>> 0) > mask || ((newProd - pend) >>> 0) > mask) {
      unlockProducer(ctl, prod);
      countDrop(ctl);
      return -1;
    }
  }
  const off = prod & mask;
  const w = off >>> 2;
  // Plain stores: the unlock below publishes them.
  hdrs[w] = size | BUSY;
  hdrs[w + 1] = RINGBUF_DATA_PGOFF + (off >>> PAGE_SHIFT);
  if (newProd >= prod) {
    unlockProducer(ctl, newProd);
  } else {
    // The low word wrapped: carry into the high word under the sequence (once per 4 GiB).
    Atomics.add(u32, W_PROD_SEQ, 1);
    Atomics.add(u32, W_PROD_HI, 1);
    unlockProducer(ctl, newProd);
    Atomics.add(u32, W_PROD_SEQ, 1);
  }
  return off;
}

/** bpf_ringbuf_commit: clear BUSY (and set DISCARD), lock-free; then the kernel's wakeup rule. */
function ringbufCommit(p: RingbufPriv, off: number, flags: number, discard: boolean): void {
  const hdrs = p.dataI32;
  const w = off >>> 2;
  // A plain read: this CPU wrote the header, and nobody else writes it while it is BUSY.
  const hdr = hdrs[w]!;
  const end = off + BPF_RINGBUF_HDR_SZ + (hdr & LEN_MASK);
  if (end > p.size) {
    // The second mapping's bytes go where the kernel's are, before the record is published.
    p.dataU8.copyWithin(0, p.size, end);
  }
  // The kernel's xchg: a full barrier, so the payload is visible before the cleared BUSY bit.
  Atomics.exchange(hdrs, w, discard ? (hdr ^ BUSY) | DISCARD : hdr ^ BUSY);
  // Committed from a callback on this thread: its consumer's position first (libbpf's).
  if (p.consuming) flushConsumer(p);
  // Wake the consumer only when it waits for exactly this record, unless told otherwise. An
  // Atomics.load after the exchange: with the consumer's store then load of this header, neither
  // side can miss the other (no lost wakeup), which a plain read would not promise.
  if (flags & BPF_RB_FORCE_WAKEUP) wakeUp(p.ctl);
  else if (!(flags & BPF_RB_NO_WAKEUP) && (Atomics.load(p.ctlU32, W_CONS_LO) & p.mask) === off) wakeUp(p.ctl);
}

/** irq_work_queue -> wake_up_all: bump the word consumers wait on; notify only when one is parked. */
function wakeUp(ctl: Int32Array): void {
  Atomics.add(ctl, W_WAKEUPS, 1);
  if (Atomics.load(ctl, W_WAITERS) !== 0) Atomics.notify(ctl, W_WAKEUPS);
}

/** The pool of free record views of one view class (this thread's). */
function poolOf(p: RingbufPriv, View: ViewClass): ValueView[] {
  if (View === p.lastView) return p.lastPool;
  let pool = p.pools.get(View);
  if (pool === undefined) {
    pool = [];
    p.pools.set(View, pool);
  }
  p.lastView = View;
  p.lastPool = pool;
  return pool;
}

/** A record view for the program: from this thread's pool, pointed at the payload. */
export function lendRecordView(p: RingbufPriv, off: number, size: number, View: ViewClass): ValueView {
  const pool = poolOf(p, View);
  const view = pool.pop();
  if (view === undefined) return new View(p.data, off + BPF_RINGBUF_HDR_SZ, size, -1);
  view._retarget(off + BPF_RINGBUF_HDR_SZ, size);
  return view;
}

// The data memory last looked up: a program commits to one ring, so the WeakMap is rarely read.
let lastData: SharedMemory | null = null;
let lastRing: RingbufPriv | undefined;

/**
 * The ring a reserved record's view points into, or undefined for anything else (another map's
 * view, a byte array, null). The ring last looked up answers without the WeakMap or instanceof.
 */
export function ringOfRecord(record: unknown): RingbufPriv | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const mem = (record as { _mem?: SharedMemory | null })._mem;
  if (mem === undefined || mem === null) return undefined;
  // Only a ring's own views hold a SharedMemory over a ring's data buffer.
  if (mem === lastData) return lastRing;
  if (!(record instanceof ValueView)) return undefined;
  const p = ringOfData.get(mem);
  if (p !== undefined) {
    lastData = mem;
    lastRing = p;
  }
  return p;
}

/** Commit a lent view's record and take the view back. Throws for a record already committed. */
export function commitRecordView(p: RingbufPriv, view: ValueView, flags: number, discard: boolean): boolean {
  const off = view._off - BPF_RINGBUF_HDR_SZ;
  // A plain read is enough: BUSY is cleared only by a commit of this record, made on this thread.
  if (view._size < 0 || !(p.dataI32[off >>> 2]! & BUSY)) return false;
  ringbufCommit(p, off, flags, discard);
  // A view used after its commit fails its bounds checks instead of writing into a new record.
  view._retarget(view._off, -1);
  poolOf(p, view.constructor as ViewClass).push(view);
  return true;
}

/**
 * Commit the record whose data starts at byte `dataOff` of the ring's data area (a translated
 * program's pointer from bpf_ringbuf_reserve). False when no reserved record starts there.
 */
export function commitRecordAt(p: RingbufPriv, dataOff: number, flags: number, discard: boolean): boolean {
  const off = dataOff - BPF_RINGBUF_HDR_SZ;
  // Records start 8-aligned inside the ring; BUSY is cleared only by a commit made on this thread.
  if (!(off >= 0 && off < p.size && (off & 7) === 0) || !(p.dataI32[off >>> 2]! & BUSY)) return false;
  ringbufCommit(p, off, flags, discard);
  return true;
}

/**
 * Copy `size` bytes to the 8-aligned byte `at` of the ring: whole words first, then the tail.
 * (Uint8Array, the common source, is tested first: `instanceof ValueView` measured ~15 ns under
 * tsx, more than this copy.)
 */
function copyIn(p: RingbufPriv, at: number, data: ValueSource, size: number): void {
  const d = p.dataU8;
  const d32 = p.dataI32;
  const dw = at >>> 2;
  const words = size >>> 2;
  if (data instanceof Uint8Array) {
    if (size >= 256) {
      d.set(data, at);
      return;
    }
    // Bytes assembled into words: no view of the caller's buffer (which may be unaligned) needed.
    for (let i = 0; i < words; i++) {
      const b = i << 2;
      d32[dw + i] = data[b]! | (data[b + 1]! << 8) | (data[b + 2]! << 16) | (data[b + 3]! << 24);
    }
    for (let i = words << 2; i < size; i++) d[at + i] = data[i]!;
  } else {
    // Map values and records sit 8-aligned in their buffers: a word loop.
    const s = data._mem.i32;
    const sw = data._w;
    for (let i = 0; i < words; i++) d32[dw + i] = s[sw + i]!;
    const sb = data._mem.u8;
    for (let i = words << 2; i < size; i++) d[at + i] = sb[data._off + i]!;
  }
}

/** bpf_ringbuf_output: reserve, copy, commit. 0, -EINVAL for unknown flags, -EAGAIN without room. */
export function ringbufOutput(p: RingbufPriv, data: ValueSource, flags: number): number {
  // flags is a u64: a bit past the low 32 is an unknown flag too.
  if (flags > U32_MAX || (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0) return EINVAL;
  const size = data instanceof Uint8Array ? data.length : data._size;
  const off = ringbufReserve(p, size);
  if (off < 0) return EAGAIN;
  copyIn(p, off + BPF_RINGBUF_HDR_SZ, data, size);
  ringbufCommit(p, off, flags, false);
  return 0;
}

/** bpf_ringbuf_query: a snapshot of one number; 0 for an unknown selector. */
export function ringbufQuery(p: RingbufPriv, flags: number): number {
  const u32 = p.ctlU32;
  if (p.consuming) flushConsumer(p);
  switch (flags) {
    case BPF_RB_AVAIL_DATA:
      return ((Atomics.load(u32, W_PROD_LO) & POS_MASK) - Atomics.load(u32, W_CONS_LO)) >>> 0;
    case BPF_RB_RING_SIZE:
      return p.size;
    case BPF_RB_CONS_POS:
      return read64(u32, W_CONS_LO, W_CONS_HI, W_CONS_SEQ, -1);
    case BPF_RB_PROD_POS:
      return read64(u32, W_PROD_LO, W_PROD_HI, W_PROD_SEQ, POS_MASK);
    default:
      return 0;
  }
}

// ---- the ops table ------------------------------------------------------------------------------

export const ringbufMapOps: BpfMapOps = {
  name: 'ringbuf_map_ops',
  percpu: false,
  spinLockAllowed: false,

  allocCheck() {
    // The kernel has no map_alloc_check for ring buffers: every check is in map_alloc.
    return 0;
  },

  alloc(attr: MapAttr): MapAlloc | number {
    if (attr.flags & ~RINGBUF_CREATE_FLAG_MASK) return EINVAL;
    if (attr.keySize !== 0 || attr.valueSize !== 0 || !isPowerOf2(attr.maxEntries) || attr.maxEntries % PAGE_SIZE !== 0) {
      return EINVAL;
    }
    return { bufferSizes: [CONTROL_BYTES, 2 * attr.maxEntries], meta: { size: attr.maxEntries }, valueBuffers: [1] };
  },

  open(map) {
    const size = map.attr.maxEntries;
    const ctl = map.mems[0]!;
    const p: RingbufPriv = {
      map,
      size,
      mask: size - 1,
      ctl: ctl.i32,
      ctlU32: ctl.u32,
      data: map.mems[1]!,
      dataI32: map.mems[1]!.i32,
      dataU8: map.mems[1]!.u8,
      pools: new Map(),
      lastView: null,
      lastPool: [],
      pendingLag: size >>> 2,
      consuming: false,
      consPos: 0,
      consPublished: 0,
      publishEvery: Math.min(size >>> 4, 4096),
    };
    map.priv = p;
    ringOfData.set(p.data, p);
  },

  // Programs reach a ring buffer through the bpf_ringbuf_* helpers only; every element op fails,
  // from programs and from user space, with the kernel-internal ENOTSUPP.
  lookupElem() {
    return null;
  },
  updateElem() {
    return ENOTSUPP;
  },
  deleteElem() {
    return ENOTSUPP;
  },
  lookupElemSys() {
    return ENOTSUPP;
  },
  getNextKey() {
    return ENOTSUPP;
  },
};

// ---- the consumer (libbpf's ring_buffer__*) -----------------------------------------------------

/**
 * A sample callback: the record (a view valid only during the call; copy `bytes` to keep it) and
 * its size. Returning a negative number stops consuming; consume() then returns that number.
 */
export type RingBufferSampleFn<V extends ValueView = ValueView> = (sample: V, size: number) => number | void;

interface WaitAsyncResult {
  async: boolean;
  value: Promise<'ok' | 'timed-out'> | 'not-equal' | 'timed-out';
}
const noop = (): void => {};
/** setTimeout's longest delay (a longer one fires at once). */
const MAX_TIMER_MS = 0x7fffffff;
const waitAsync = (Atomics as unknown as {
  waitAsync(ta: Int32Array, index: number, value: number, timeout?: number): WaitAsyncResult;
}).waitAsync;

/**
 * The user-space consumer of a ring buffer map (libbpf's struct ring). Use it from one thread at
 * a time: consume() refuses to run while another consume() of the same ring is under way.
 */
export class RingBuffer<V extends ValueView = ValueView> {
  readonly map: BpfMapCore;
  private readonly p: RingbufPriv;
  private readonly sample: ValueView;

  /** `layout`: the record struct; callbacks then get a view of it over each sample. */
  constructor(map: BpfMapCore, layout?: StructLayout<any>) {
    if (map.attr.type !== BPF_MAP_TYPE_RINGBUF || !map.handle) {
      throw new TypeError(`RingBuffer needs a created ring buffer map; '${map.name}' is ${map.handle ? `a map of type ${map.attr.type}` : 'not created yet'}`);
    }
    this.map = map;
    this.p = map.priv as RingbufPriv;
    const View = layout?.View ?? ValueView;
    this.sample = new View(this.p.data, 0, 0, -1);
  }

  /**
   * ring_buffer__consume / ring__consume_n: deliver every committed record (at most n), in
   * reservation order, skipping discarded ones, and stop at the first record still BUSY. Returns
   * the number delivered (capped at INT_MAX), or the callback's negative return value. A record
   * whose callback fails (negative return or exception) counts as consumed, as in libbpf.
   *
   * The callback gets one recycled view, pointed at each record in turn: valid during the call
   * only (copy `bytes` to keep a record). Nothing is allocated per record.
   *
   * libbpf publishes consumer_pos after every record. Here the release store goes out every few
   * KiB of records and when consume() returns: to producers on other CPUs that is a consumer a
   * little behind (the store costs more than the rest of a record, and the cache line would move
   * to the producers on every record). Anything on this thread that reads consumer_pos during a
   * callback first gets libbpf's value published (flushConsumer).
   */
  consume(callback: RingBufferSampleFn<V>, n: number = INT_MAX): number {
    const p = this.p;
    const ctl = p.ctl;
    const u32 = p.ctlU32;
    const mask = p.mask;
    const hdrs = p.dataI32;
    const every = p.publishEvery;
    const sample = this.sample;
    if (Atomics.compareExchange(ctl, W_CONSUMER_BUSY, 0, 1) !== 0) {
      throw new Error(`ring buffer '${this.map.name}': another consume() is running (one consumer at a time)`);
    }
    let cnt = 0;
    let cons = Atomics.load(u32, W_CONS_LO);
    p.consPos = cons;
    p.consPublished = cons;
    p.consuming = true;
    try {
      outer: for (;;) {
        // Acquire: pairs with the producers' unlock, so the BUSY headers are visible.
        const prod = Atomics.load(u32, W_PROD_LO) & POS_MASK;
        if (((prod - cons) | 0) <= 0) break;
        do {
          const off = cons & mask;
          // Acquire: pairs with the committer's exchange, so the payload is visible. Not
          // committed yet: everything after it waits, even records already committed.
          const len = Atomics.load(hdrs, off >>> 2);
          if (len & BUSY) break outer;
          cons = (cons + recordLen(len & LEN_MASK)) >>> 0;
          if (!(len & DISCARD)) {
            sample._retarget(off + BPF_RINGBUF_HDR_SZ, len);
            const err = callback(sample as V, len);
            if (typeof err === 'number' && err < 0) {
              // The record counts as consumed even so, as in libbpf.
              p.consPos = cons;
              return err;
            }
            cnt++;
          }
          p.consPos = cons;
          // A release store: producers may reuse the bytes only after the callbacks are done with them.
          if (((cons - p.consPublished) >>> 0) >= every) flushConsumer(p);
          if (cnt >= n) break outer;
        } while (((prod - cons) | 0) > 0);
      }
      return cnt;
    } catch (e) {
      // A throwing callback is a failing one: its record counts as consumed (never delivered twice).
      p.consPos = cons;
      throw e;
    } finally {
      flushConsumer(p);
      p.consuming = false;
      Atomics.store(ctl, W_CONSUMER_BUSY, 0);
    }
  }

  /**
   * The committed records consume() would deliver next, copied, without moving consumer_pos: from
   * it up to the first record still BUSY, discarded ones skipped (what a reader of the mmap()ed
   * pages sees without being the consumer).
   */
  pending(): Uint8Array[] {
    const p = this.p;
    const out: Uint8Array[] = [];
    let cons = Atomics.load(p.ctlU32, W_CONS_LO);
    const prod = Atomics.load(p.ctlU32, W_PROD_LO) & POS_MASK;
    while (((prod - cons) | 0) > 0) {
      const off = cons & p.mask;
      const len = Atomics.load(p.dataI32, off >>> 2);
      if (len & BUSY) break;
      if (!(len & DISCARD)) out.push(p.dataU8.slice(off + BPF_RINGBUF_HDR_SZ, off + BPF_RINGBUF_HDR_SZ + (len & LEN_MASK)));
      cons = (cons + recordLen(len & LEN_MASK)) >>> 0;
    }
    return out;
  }

  /** True when the record at consumer_pos is committed (so consume() would make progress). */
  private hasCommitted(): boolean {
    const p = this.p;
    const cons = Atomics.load(p.ctlU32, W_CONS_LO);
    if ((((Atomics.load(p.ctlU32, W_PROD_LO) & POS_MASK) - cons) | 0) <= 0) return false;
    return !(Atomics.load(p.data.i32, (cons & p.mask) >>> 2) & BUSY);
  }

  /**
   * Wait, without spinning, until a producer's wakeup says there may be data (or timeoutMs
   * passes). Resolves at once when a committed record is already waiting.
   */
  async waitForData(timeoutMs: number = Infinity): Promise<void> {
    const ctl = this.p.ctl;
    Atomics.add(ctl, W_WAITERS, 1);
    try {
      // Read the wakeup count before looking, so a wakeup between the look and the wait is not lost.
      const seen = Atomics.load(ctl, W_WAKEUPS);
      if (this.hasCommitted()) return;
      const r = waitAsync(ctl, W_WAKEUPS, seen, timeoutMs);
      if (r.async) {
        // A pending waitAsync does not keep Node's event loop alive (the runtime's workers are
        // unref'd too): without a timer, a script awaiting poll() would just exit. An interval
        // that never fires, not a timeout of the same length: that could fire first.
        const keepAlive = setInterval(noop, MAX_TIMER_MS);
        try {
          await r.value;
        } finally {
          clearInterval(keepAlive);
        }
      }
    } finally {
      Atomics.sub(ctl, W_WAITERS, 1);
    }
  }

  /**
   * ring_buffer__poll: wait up to timeoutMs for a wakeup, then consume. Returns a Promise of the
   * count (or of a callback's negative return): await it before polling again. A loop that does
   * not await (`for (;;) rb.poll(cb)`) never lets the wait finish and fills the heap.
   */
  async poll(callback: RingBufferSampleFn<V>, timeoutMs: number = Infinity): Promise<number> {
    await this.waitForData(timeoutMs);
    return this.consume(callback);
  }

  /**
   * Consume while the producers run: drain, sleep on their wakeups, again, until `settled` settles;
   * then drain what is left and return its value (its rejection rejects, without that last drain).
   * Typically `settled` is the run: `const result = await rb.consumeUntil(rt.run(...), cb, 20)`.
   * timeoutMs bounds each sleep only so the loop notices the end: the producers' wakeups end it
   * sooner. waitForData keeps Node's event loop alive while it sleeps. A callback's negative
   * return ends only the drain it was called in.
   */
  async consumeUntil<T>(settled: Promise<T>, callback: RingBufferSampleFn<V>, timeoutMs: number): Promise<T> {
    let done = false;
    const end = (): void => { done = true; };
    void settled.then(end, end);
    while (!done) {
      this.consume(callback);
      await this.waitForData(timeoutMs);
    }
    const value = await settled;
    this.consume(callback);
    return value;
  }

  /**
   * Every record, as a copy of its bytes, waiting for more when the ring is empty. The consumer
   * position moves past a record when it is handed out, so breaking out of the loop loses nothing
   * that was not delivered.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    const box: { rec: Uint8Array | null } = { rec: null };
    const u8 = this.p.data.u8;
    const take = (s: ValueView, len: number): void => {
      box.rec = u8.slice(s._off, s._off + len);
    };
    for (;;) {
      box.rec = null;
      this.consume(take as unknown as RingBufferSampleFn<V>, 1);
      if (box.rec !== null) yield box.rec;
      else await this.waitForData();
    }
  }

  /** ring__avail_data_size: producer_pos - consumer_pos (uncommitted and discarded records included). */
  get availData(): number {
    return ringbufQuery(this.p, BPF_RB_AVAIL_DATA);
  }

  /** ring__size: the data size in bytes. */
  get size(): number {
    return this.p.size;
  }

  /** ring__producer_pos. */
  get producerPos(): number {
    return ringbufQuery(this.p, BPF_RB_PROD_POS);
  }

  /** ring__consumer_pos. */
  get consumerPos(): number {
    return ringbufQuery(this.p, BPF_RB_CONS_POS);
  }

  /**
   * Write consumer_pos directly, as a process may through the writable consumer page of the
   * mmap()ed ring. Records skipped this way are lost; producers stay safe (the pending_pos rule).
   */
  set consumerPos(pos: number) {
    if (!Number.isSafeInteger(pos) || pos < 0) throw new RangeError(`consumer_pos must be a non-negative integer, got ${pos}`);
    // Producers stop trusting their lower bound of consumer_pos: it may have moved backwards.
    Atomics.store(this.p.ctlU32, W_CONS_SET, 1);
    // Inside a callback: libbpf's consumer would have published up to the record being delivered.
    if (this.p.consuming) flushConsumer(this.p);
    set64(this.p.ctlU32, W_CONS_LO, W_CONS_HI, W_CONS_SEQ, pos);
  }

  /** Reservations refused because the ring had no room (bpf_ringbuf_reserve NULL, bpf_ringbuf_output -EAGAIN). */
  get dropped(): number {
    const u32 = this.p.ctlU32;
    for (;;) {
      const hi = Atomics.load(u32, W_DROPPED_HI);
      const lo = Atomics.load(u32, W_DROPPED_LO);
      if (Atomics.load(u32, W_DROPPED_HI) === hi) return hi * TWO_32 + lo;
    }
  }

  /** Wakeups producers sent (the kernel's irq_work_queue calls): adaptive, FORCE_WAKEUP, NO_WAKEUP. */
  get wakeups(): number {
    return Atomics.load(this.p.ctlU32, W_WAKEUPS);
  }
}

/** The ring-buffer state of a map opened in this thread (for the helpers). */
export function ringbufOf(map: BpfMapCore): RingbufPriv {
  return map.priv as RingbufPriv;
}

/**
 * ring_buffer__new(): the user-space consumer of a ring buffer map. With `layout`, callbacks get a
 * view of that struct over each record (`sample.pid`); without, a raw ValueView (`sample.bytes`,
 * `getU32(offset)`). The view is recycled: valid during the callback only (copy `sample.bytes` to
 * keep a record). Read with consume(cb) (what is there now), poll(cb, ms) (wait, then consume),
 * consumeUntil(promise, cb, ms) (while a run goes on), or `for await (const bytes of rb)`.
 */
export function ringBuffer(map: BpfMapCore): RingBuffer<ValueView>;
export function ringBuffer<F extends Record<string, FieldType>>(map: BpfMapCore, layout: StructLayout<F>): RingBuffer<StructView<F>>;
export function ringBuffer(map: BpfMapCore, layout?: StructLayout<any>): RingBuffer<ValueView> {
  return new RingBuffer(map, layout);
}
