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
// Buffer 0, control (one writer per line; lines 128 bytes apart so CPUs do not false-share):
//   offset  size  meaning                                                written by
//   0       4     producer lock (src/sync spin lock word)                producers
//   128     4     consumer_pos, low 32 bits                              the consumer
//   132     4     consumer_pos, high 32 bits                             the consumer
//   136     4     consumer_pos sequence (odd while high+low change)      the consumer
//   256     4     producer_pos, low 32 bits (store = release)            producers, under the lock
//   260     4     producer_pos, high 32 bits                             producers, under the lock
//   264     4     producer_pos sequence                                  producers, under the lock
//   268     4     pending_pos, low 32 bits: oldest record maybe BUSY     producers, under the lock
//   384     4     wakeups: bumped on each kernel wakeup (waitAsync word) committers
//   388     4     waiters: consumers parked on the wakeups word          consumers
//   512     4     dropped, low 32 bits: reservations refused for space   producers
//   516     4     dropped, high 32 bits                                  producers
//   640     4     consumer busy: 1 while a consume() runs                the consumer
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
import type { BpfMapOps, MapAlloc, ValueSource } from './ops.js';
import type { BpfMap, MapAttr } from './syscall.js';
import { spinLockAcquire, spinLockRelease } from '../sync/spinlock.js';
import { BPF_F_NUMA_NODE, BPF_MAP_TYPE_RINGBUF } from './uapi.js';

// ---- uapi --------------------------------------------------------------------------------------

export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;
export const BPF_RINGBUF_BUSY_BIT = 0x80000000;
export const BPF_RINGBUF_DISCARD_BIT = 0x40000000;
export const BPF_RINGBUF_HDR_SZ = 8;
/** RINGBUF_MAX_RECORD_SZ (UINT_MAX / 4): the largest size a reservation may ask for. */
export const RINGBUF_MAX_RECORD_SZ = 0x3fffffff;

const PAGE_SIZE = 4096;
const PAGE_SHIFT = 12;
/** Pages in front of the data in the kernel's struct bpf_ringbuf: the header page, consumer page, producer page. */
const RINGBUF_DATA_PGOFF = 3;
const RINGBUF_CREATE_FLAG_MASK = BPF_F_NUMA_NODE;
const LEN_MASK = 0x3fffffff;
const BUSY = 1 << 31;
const DISCARD = 1 << 30;
const INT_MAX = 0x7fffffff;
const TWO_32 = 4294967296;

// Word indexes into the control buffer.
const W_LOCK = 0;
const W_CONS_LO = 32;
const W_CONS_HI = 33;
const W_CONS_SEQ = 34;
const W_PROD_LO = 64;
const W_PROD_HI = 65;
const W_PROD_SEQ = 66;
const W_PEND_LO = 67;
const W_WAKEUPS = 96;
const W_WAITERS = 97;
const W_DROPPED_LO = 128;
const W_DROPPED_HI = 129;
const W_CONSUMER_BUSY = 160;
const CONTROL_BYTES = 1024;

export interface RingbufPriv {
  readonly map: BpfMap;
  readonly size: number;
  readonly mask: number;
  readonly ctl: Int32Array;
  readonly ctlU32: Uint32Array;
  readonly data: SharedMemory;
  /** Record views that are not lent out, per view class: reserve takes one, commit gives it back. */
  readonly pools: Map<ViewClass, ValueView[]>;
}

/** The ring a record's memory belongs to (the kernel finds it from the header's pg_off). */
const ringOfBuffer = new WeakMap<SharedArrayBuffer, RingbufPriv>();

function isPowerOf2(x: number): boolean {
  return x > 0 && (x & (x - 1)) === 0;
}

const roundUp8 = (x: number): number => (x + 7) & ~7;

// ---- 64-bit positions ----------------------------------------------------------------------------

/** A consistent 64-bit read of a position whose low word may be moving. */
function read64(u32: Uint32Array, lo: number, hi: number, seq: number): number {
  for (;;) {
    const s = Atomics.load(u32, seq);
    if (s & 1) continue;
    const h = Atomics.load(u32, hi);
    const l = Atomics.load(u32, lo);
    if (Atomics.load(u32, seq) === s) return h * TWO_32 + l;
  }
}

/** Publish a new low word (a release store); when it wrapped, carry into the high word under the sequence. */
function store64(u32: Uint32Array, lo: number, hi: number, seq: number, oldLo: number, newLo: number): void {
  if (newLo >= oldLo) {
    Atomics.store(u32, lo, newLo);
    return;
  }
  Atomics.add(u32, seq, 1);
  Atomics.add(u32, hi, 1);
  Atomics.store(u32, lo, newLo);
  Atomics.add(u32, seq, 1);
}

/** Set a full 64-bit position (user space writing the consumer page). */
function set64(u32: Uint32Array, lo: number, hi: number, seq: number, value: number): void {
  Atomics.add(u32, seq, 1);
  Atomics.store(u32, hi, Math.floor(value / TWO_32) >>> 0);
  Atomics.store(u32, lo, value >>> 0);
  Atomics.add(u32, seq, 1);
}

// ---- the producer side ---------------------------------------------------------------------------

type MutableView = { _off: number; _w: number; _size: number; _bytes: Uint8Array | null; _arrays: ArrayBufferView[] | null };

/** Point a recycled view at another record (views are lent out, never allocated in steady state). */
function retarget(view: ValueView, off: number, size: number): void {
  const v = view as unknown as MutableView;
  v._off = off;
  v._w = off >>> 2;
  v._size = size;
  v._bytes = null;
  v._arrays = null;
}

function countDrop(ctl: Int32Array): void {
  if (Atomics.add(ctl, W_DROPPED_LO, 1) === -1) Atomics.add(ctl, W_DROPPED_HI, 1);
}

/**
 * __bpf_ringbuf_reserve: the offset of the record's header in the data buffer, or -1. Sizes past
 * RINGBUF_MAX_RECORD_SZ or whose record exceeds the ring fail at once; a ring without room fails
 * and counts a drop.
 */
export function ringbufReserve(p: RingbufPriv, size: number): number {
  if (!(size <= RINGBUF_MAX_RECORD_SZ)) return -1;
  const len = roundUp8(size + BPF_RINGBUF_HDR_SZ);
  if (len > p.size) return -1;
  const { ctl, ctlU32, mask } = p;
  const dataI32 = p.data.i32;
  // Read before the lock, as the kernel does: a stale value only makes the check stricter.
  const cons = Atomics.load(ctlU32, W_CONS_LO);
  spinLockAcquire(ctl, W_LOCK);
  let pend = ctlU32[W_PEND_LO]!;
  const prod = ctlU32[W_PROD_LO]!;
  const newProd = (prod + len) >>> 0;
  // Move pending_pos over records already committed; it stops at the oldest one still BUSY.
  while (((prod - pend) | 0) > 0) {
    const hdr = Atomics.load(dataI32, (pend & mask) >>> 2);
    if (hdr & BUSY) break;
    pend = (pend + roundUp8((hdr & LEN_MASK) + BPF_RINGBUF_HDR_SZ)) >>> 0;
  }
  ctlU32[W_PEND_LO] = pend;
  // No more than size - 1 bytes ahead of the consumer, nor of the oldest uncommitted record (a
  // consumer_pos moved by user space must not let a producer overwrite a record being written).
  if (((newProd - cons) >>> 0) > mask || ((newProd - pend) >>> 0) > mask) {
    spinLockRelease(ctl, W_LOCK);
    countDrop(ctl);
    return -1;
  }
  const off = prod & mask;
  dataI32[off >>> 2] = size | BUSY;
  dataI32[(off >>> 2) + 1] = RINGBUF_DATA_PGOFF + (off >>> PAGE_SHIFT);
  // The release store that makes the BUSY header visible to the consumer and other producers.
  store64(ctlU32, W_PROD_LO, W_PROD_HI, W_PROD_SEQ, prod, newProd);
  spinLockRelease(ctl, W_LOCK);
  return off;
}

/** bpf_ringbuf_commit: clear BUSY (and set DISCARD), lock-free; then the kernel's wakeup rule. */
export function ringbufCommit(p: RingbufPriv, off: number, flags: number, discard: boolean): void {
  const dataI32 = p.data.i32;
  const w = off >>> 2;
  const hdr = dataI32[w]!;
  const end = off + BPF_RINGBUF_HDR_SZ + (hdr & LEN_MASK);
  if (end > p.size) {
    // The second mapping's bytes go where the kernel's are, before the record is published.
    p.data.u8.copyWithin(0, p.size, end);
  }
  let newLen = hdr ^ BUSY;
  if (discard) newLen |= DISCARD;
  Atomics.exchange(dataI32, w, newLen);
  // Wake the consumer only when it waits for exactly this record, unless told otherwise.
  if (flags & BPF_RB_FORCE_WAKEUP) {
    wakeUp(p.ctl);
  } else if (!(flags & BPF_RB_NO_WAKEUP) && (Atomics.load(p.ctlU32, W_CONS_LO) & p.mask) === off) {
    wakeUp(p.ctl);
  }
}

/** irq_work_queue -> wake_up_all: bump the word consumers wait on; notify only when one is parked. */
function wakeUp(ctl: Int32Array): void {
  Atomics.add(ctl, W_WAKEUPS, 1);
  if (Atomics.load(ctl, W_WAITERS) !== 0) Atomics.notify(ctl, W_WAKEUPS);
}

/** A record view for the program: from this thread's pool, pointed at the payload. */
export function lendRecordView(p: RingbufPriv, off: number, size: number, View: ViewClass): ValueView {
  let pool = p.pools.get(View);
  if (pool === undefined) {
    pool = [];
    p.pools.set(View, pool);
  }
  const view = pool.pop();
  if (view === undefined) return new View(p.data, off + BPF_RINGBUF_HDR_SZ, size, -1);
  retarget(view, off + BPF_RINGBUF_HDR_SZ, size);
  return view;
}

/** The ring a record view points into, or undefined for a view that is not a reserved record. */
export function ringOfRecord(view: ValueView): RingbufPriv | undefined {
  return ringOfBuffer.get(view._mem.buffer);
}

/** Commit a lent view's record and take the view back. Throws for a record already committed. */
export function commitRecordView(p: RingbufPriv, view: ValueView, flags: number, discard: boolean): boolean {
  const off = view._off - BPF_RINGBUF_HDR_SZ;
  if (view._size < 0 || !(Atomics.load(p.data.i32, off >>> 2) & BUSY)) return false;
  ringbufCommit(p, off, flags, discard);
  // A view used after its commit fails its bounds checks instead of writing into a new record.
  retarget(view, view._off, -1);
  p.pools.get(view.constructor as ViewClass)?.push(view);
  return true;
}

/** bpf_ringbuf_output: reserve, copy, commit. 0, -EINVAL for unknown flags, -EAGAIN without room. */
export function ringbufOutput(p: RingbufPriv, data: ValueSource, flags: number): number {
  if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return EINVAL;
  const size = data instanceof ValueView ? data._size : data.length;
  const off = ringbufReserve(p, size);
  if (off < 0) return EAGAIN;
  const d = p.data.u8;
  const at = off + BPF_RINGBUF_HDR_SZ;
  if (data instanceof ValueView) {
    const s = data._mem.u8;
    const from = data._off;
    for (let i = 0; i < size; i++) d[at + i] = s[from + i]!;
  } else {
    for (let i = 0; i < size; i++) d[at + i] = data[i]!;
  }
  ringbufCommit(p, off, flags, false);
  return 0;
}

/** bpf_ringbuf_query: a snapshot of one number; 0 for an unknown selector. */
export function ringbufQuery(p: RingbufPriv, flags: number): number {
  const u32 = p.ctlU32;
  switch (flags) {
    case BPF_RB_AVAIL_DATA:
      return (Atomics.load(u32, W_PROD_LO) - Atomics.load(u32, W_CONS_LO)) >>> 0;
    case BPF_RB_RING_SIZE:
      return p.size;
    case BPF_RB_CONS_POS:
      return read64(u32, W_CONS_LO, W_CONS_HI, W_CONS_SEQ);
    case BPF_RB_PROD_POS:
      return read64(u32, W_PROD_LO, W_PROD_HI, W_PROD_SEQ);
    default:
      return 0;
  }
}

// ---- the ops table ------------------------------------------------------------------------------

export const ringbufMapOps: BpfMapOps = {
  name: 'ringbuf_map_ops',
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
    return { bufferSizes: [CONTROL_BYTES, 2 * attr.maxEntries], meta: { size: attr.maxEntries } };
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
      pools: new Map(),
    };
    map.priv = p;
    ringOfBuffer.set(p.data.buffer, p);
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
const waitAsync = (Atomics as unknown as {
  waitAsync(ta: Int32Array, index: number, value: number, timeout?: number): WaitAsyncResult;
}).waitAsync;

/**
 * The user-space consumer of a ring buffer map (libbpf's struct ring). Use it from one thread at
 * a time: consume() refuses to run while another consume() of the same ring is under way.
 */
export class RingBuffer<V extends ValueView = ValueView> {
  readonly map: BpfMap;
  private readonly p: RingbufPriv;
  private readonly sample: ValueView;

  /** `layout`: the record struct; callbacks then get a view of it over each sample. */
  constructor(map: BpfMap, layout?: StructLayout<any>) {
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
   */
  consume(callback: RingBufferSampleFn<V>, n: number = INT_MAX): number {
    const p = this.p;
    const { ctl, ctlU32, mask } = p;
    const dataI32 = p.data.i32;
    if (Atomics.compareExchange(ctl, W_CONSUMER_BUSY, 0, 1) !== 0) {
      throw new Error(`ring buffer '${this.map.name}': another consume() is running (one consumer at a time)`);
    }
    let cnt = 0;
    try {
      let cons = Atomics.load(ctlU32, W_CONS_LO);
      let gotNewData: boolean;
      do {
        gotNewData = false;
        const prod = Atomics.load(ctlU32, W_PROD_LO);
        while (((prod - cons) | 0) > 0) {
          const off = cons & mask;
          const len = Atomics.load(dataI32, off >>> 2);
          // Not committed yet: everything after it waits, even records already committed.
          if (len & BUSY) return cnt;
          gotNewData = true;
          const oldCons = cons;
          cons = (cons + roundUp8((len & LEN_MASK) + BPF_RINGBUF_HDR_SZ)) >>> 0;
          if (!(len & DISCARD)) {
            retarget(this.sample, off + BPF_RINGBUF_HDR_SZ, len);
            let err: number | void;
            try {
              err = callback(this.sample as V, len);
            } catch (e) {
              // A throwing callback is a failing one: the record counts as consumed (never delivered twice).
              store64(ctlU32, W_CONS_LO, W_CONS_HI, W_CONS_SEQ, oldCons, cons);
              throw e;
            }
            if (typeof err === 'number' && err < 0) {
              // The record counts as consumed even so, as in libbpf.
              store64(ctlU32, W_CONS_LO, W_CONS_HI, W_CONS_SEQ, oldCons, cons);
              return err;
            }
            cnt++;
          }
          store64(ctlU32, W_CONS_LO, W_CONS_HI, W_CONS_SEQ, oldCons, cons);
          if (cnt >= n) return cnt;
        }
      } while (gotNewData);
      return cnt;
    } finally {
      Atomics.store(ctl, W_CONSUMER_BUSY, 0);
    }
  }

  /** True when the record at consumer_pos is committed (so consume() would make progress). */
  private hasCommitted(): boolean {
    const p = this.p;
    const cons = Atomics.load(p.ctlU32, W_CONS_LO);
    if (((Atomics.load(p.ctlU32, W_PROD_LO) - cons) | 0) <= 0) return false;
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
      if (r.async) await r.value;
    } finally {
      Atomics.sub(ctl, W_WAITERS, 1);
    }
  }

  /** ring_buffer__poll: wait up to timeoutMs for a wakeup, then consume. Returns the count (or a callback error). */
  async poll(callback: RingBufferSampleFn<V>, timeoutMs: number = Infinity): Promise<number> {
    await this.waitForData(timeoutMs);
    return this.consume(callback);
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
export function ringbufOf(map: BpfMap): RingbufPriv {
  return map.priv as RingbufPriv;
}

/** ring_buffer__new(): the consumer of a ring buffer map, with sample views of `layout` when given. */
export function ringBuffer(map: BpfMap): RingBuffer<ValueView>;
export function ringBuffer<F extends Record<string, FieldType>>(map: BpfMap, layout: StructLayout<F>): RingBuffer<StructView<F>>;
export function ringBuffer(map: BpfMap, layout?: StructLayout<any>): RingBuffer<ValueView> {
  return new RingBuffer(map, layout);
}
