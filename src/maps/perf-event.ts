// A perf event for BPF output (PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT) opened on one CPU,
// and its ring buffer, laid out as the kernel's (include/uapi/linux/perf_event.h, written as
// kernel/events/ring_buffer.c writes it). bpf_perf_event_output() (bpf-trace.ts) writes records
// into the event of the program's CPU; user space reads them (perf-buffer.ts, libbpf's perf_buffer).
//
// There is no perf_event_open(2) and no file descriptor here: openPerfEvent() makes the event
// (an id in the same id space as maps and programs, idr.ts) with a ring buffer in shared memory,
// which user space reads as the kernel's mmap()ed pages. Placing it in a perf event array
// publishes it to every CPU, as the kernel's array holds a reference to the event's file.
//
// Only the event's own CPU writes its ring (bpf_perf_event_output refuses any other with
// EOPNOTSUPP), so the writer needs no lock, as in the kernel (which only guards against nested
// interrupts on that CPU). The reader owns data_tail.
//
// Buffer layout (one SharedArrayBuffer):
//   offset            size      meaning                                          written by
//   0                 4096      struct perf_event_mmap_page, of which:
//     0               4           version (0)                                    open
//     1024            8           data_head: bytes written (u64)                 the writer, after each record
//     1032            8           data_tail: bytes read (u64)                    the reader
//     1040            8           data_offset: 4096                              open
//     1048            8           data_size: pages x 4096                        open
//   4096              data_size the data pages: records, each 8-byte aligned, that may wrap past the end
//   4096 + data_size  64        the kernel's side (struct perf_buffer and the event), not mapped by the kernel:
//     +0              4           data_head's sequence word (odd while its high half changes)
//     +4              4           rb->lost: records lost since the last PERF_RECORD_LOST
//     +8              4           rb->events: samples since the last wakeup_events wakeup
//     +12, +16        8           rb->wakeup (lo, hi): the position a wakeup last covered
//     +20             4           rb->poll: 1 after a wakeup until a poll reads it
//     +24             4           event->oncpu: the CPU while enabled, -1 while disabled
//     +28, +32        8           event->lost_samples (lo, hi): every record lost
//     +36             4           wakeups: bumped on each wakeup (the word readers wait on)
//     +40             4           readers waiting on it
//     +44             4           rb->paused (PERF_EVENT_IOC_PAUSE_OUTPUT)
//     +48             4           data_tail's sequence word
//
// A record: struct perf_event_header { u32 type; u16 misc; u16 size; } then its body.
//   PERF_RECORD_SAMPLE (9) with PERF_SAMPLE_RAW: u32 size; u8 data[size], where size is the data's
//     length rounded so that the whole record is a multiple of 8 (the kernel skips the padding
//     without writing it: its bytes are whatever the ring held there).
//   PERF_RECORD_LOST (2): u64 id (the event's); u64 lost (records dropped since the last one).

import { idrAdd, idrAlloc } from './idr.js';
import { TWO_32 } from './limits.js';

export const PAGE_SIZE = 4096;
export const PERF_RECORD_LOST = 2;
export const PERF_RECORD_SAMPLE = 9;
export const PERF_RECORD_MISC_KERNEL = 1;
export const PERF_RECORD_MISC_USER = 2;
/** sizeof(struct perf_event_header). */
export const PERF_HEADER_SIZE = 8;
/** A PERF_RECORD_LOST record: header, id, lost. */
export const PERF_LOST_RECORD_SIZE = 24;

// Byte offsets in the user page.
const U_DATA_HEAD = 1024;
const U_DATA_TAIL = 1032;
/** Word indexes of data_head's and data_tail's low halves in the user page (for readers). */
export const DATA_HEAD_W = U_DATA_HEAD >>> 2;
export const DATA_TAIL_W = U_DATA_TAIL >>> 2;
const U_DATA_OFFSET = 1040;
const U_DATA_SIZE = 1048;
// Word offsets (from the start of the kernel-side area, in words).
const K_HEAD_SEQ = 0;
const K_LOST = 1;
const K_EVENTS = 2;
const K_WAKEUP_LO = 3;
const K_WAKEUP_HI = 4;
const K_POLL = 5;
const K_ONCPU = 6;
const K_LOST_SAMPLES_LO = 7;
const K_LOST_SAMPLES_HI = 8;
const K_WAKEUPS = 9;
const K_WAITERS = 10;
const K_PAUSED = 11;
const K_TAIL_SEQ = 12;
const KERNEL_BYTES = 64;

/** What bpf_perf_event_output accepts: the BPF output event. Others exist to be refused. */
export type PerfEventConfig = 'bpf_output' | 'dummy';

export interface PerfEventOptions {
  /** The CPU the event counts on; only programs on that CPU may write its ring. */
  cpu: number;
  /** Data pages: a power of two (the mmap()ed size is 1 + pages pages). Default 8. */
  pages?: number;
  /**
   * attr.wakeup_events: wake the reader after every this many samples (libbpf's sample_period,
   * default 1). 0: only the byte watermark wakes it.
   */
  wakeupEvents?: number;
  /**
   * attr.watermark with wakeup_watermark: wake the reader each time this many more bytes are
   * written, and never per sample. Without it the watermark is half the ring.
   */
  wakeupWatermark?: number;
  /** The ring was mapped read-only: the kernel then ignores data_tail and overwrites old records. */
  overwrite?: boolean;
  /** The event's config (default 'bpf_output'; 'dummy' is a software event programs cannot write to). */
  config?: PerfEventConfig;
  /** Enabled at once (PERF_EVENT_IOC_ENABLE), as libbpf's perf buffer does. Default true. */
  enabled?: boolean;
  /**
   * A word to bump and notify on every wakeup (an epoll instance: several events, one waiter).
   * Int32Array index 0 counts wakeups, index 1 counts waiters.
   */
  epoll?: SharedArrayBuffer;
}

/** Everything another thread needs to open the same event. */
export interface PerfEventHandle {
  readonly id: number;
  readonly cpu: number;
  readonly pages: number;
  readonly wakeupEvents: number;
  /** Bytes between watermark wakeups (rb->watermark). */
  readonly watermark: number;
  /** attr.watermark: no per-sample wakeups. */
  readonly watermarkMode: boolean;
  readonly overwrite: boolean;
  readonly config: PerfEventConfig;
  readonly buffer: SharedArrayBuffer;
  readonly epoll: SharedArrayBuffer | null;
}

/** A bad perf_event_open()/mmap() argument: the errno the kernel gives and what to do. */
export class PerfEventError extends Error {
  override name = 'PerfEventError';
  readonly errno: 'EINVAL';
  constructor(message: string) {
    super(message);
    this.errno = 'EINVAL';
  }
}

function isPowerOf2(x: number): boolean {
  return Number.isInteger(x) && x > 0 && (x & (x - 1)) === 0;
}

/**
 * One perf event, in the thread that opened it or any other (openPerfEventHandle). The kernel's
 * side writes records (output()), the user's side reads the mmap()ed pages (userPage, data) and
 * owns data_tail.
 */
export class PerfEvent {
  readonly id: number;
  readonly cpu: number;
  readonly handle: PerfEventHandle;
  /** Bytes of ring data (pages x 4096). */
  readonly size: number;
  readonly mask: number;
  /** The mmap()ed user page (struct perf_event_mmap_page). */
  readonly userPage: Uint8Array;
  readonly userU32: Uint32Array;
  /** The data pages, with 8-byte reads as two u32 words. */
  readonly data: Uint8Array;
  readonly dataU32: Uint32Array;
  /** The kernel's side (see the table at the top). */
  readonly k: Int32Array;
  readonly epoll: Int32Array | null;

  constructor(handle: PerfEventHandle) {
    this.handle = handle;
    this.id = handle.id;
    this.cpu = handle.cpu;
    this.size = handle.pages * PAGE_SIZE;
    this.mask = this.size - 1;
    const buf = handle.buffer;
    this.userPage = new Uint8Array(buf, 0, PAGE_SIZE);
    this.userU32 = new Uint32Array(buf, 0, PAGE_SIZE >>> 2);
    this.data = new Uint8Array(buf, PAGE_SIZE, this.size);
    this.dataU32 = new Uint32Array(buf, PAGE_SIZE, this.size >>> 2);
    this.k = new Int32Array(buf, PAGE_SIZE + this.size, KERNEL_BYTES >>> 2);
    this.epoll = handle.epoll === null ? null : new Int32Array(handle.epoll, 0, 2);
    idrAdd(this.id, 'perf_event', this);
  }

  // ---- the user page ----

  /** data_head: every byte written so far (u64, read consistently). */
  get dataHead(): number {
    const u = this.userU32;
    for (;;) {
      const s = Atomics.load(this.k, K_HEAD_SEQ);
      if (s & 1) continue;
      const v = Atomics.load(u, (U_DATA_HEAD >>> 2) + 1) * TWO_32 + Atomics.load(u, U_DATA_HEAD >>> 2);
      if (Atomics.load(this.k, K_HEAD_SEQ) === s) return v;
    }
  }

  /** data_tail: every byte the reader is done with. */
  get dataTail(): number {
    const u = this.userU32;
    for (;;) {
      const s = Atomics.load(this.k, K_TAIL_SEQ);
      if (s & 1) continue;
      const v = Atomics.load(u, (U_DATA_TAIL >>> 2) + 1) * TWO_32 + Atomics.load(u, U_DATA_TAIL >>> 2);
      if (Atomics.load(this.k, K_TAIL_SEQ) === s) return v;
    }
  }

  /** The reader gives bytes back (a release store: the writer may reuse them only after the reads). */
  set dataTail(pos: number) {
    if (!Number.isSafeInteger(pos) || pos < 0) throw new RangeError(`data_tail must be a non-negative integer, got ${pos}`);
    const u = this.userU32;
    const hi = Math.floor(pos / TWO_32) >>> 0;
    if (u[(U_DATA_TAIL >>> 2) + 1] === hi) {
      Atomics.store(u, U_DATA_TAIL >>> 2, pos >>> 0);
      return;
    }
    Atomics.add(this.k, K_TAIL_SEQ, 1);
    Atomics.store(u, (U_DATA_TAIL >>> 2) + 1, hi);
    Atomics.store(u, U_DATA_TAIL >>> 2, pos >>> 0);
    Atomics.add(this.k, K_TAIL_SEQ, 1);
  }

  // ---- the event's state ----

  get enabled(): boolean {
    return Atomics.load(this.k, K_ONCPU) === this.cpu;
  }

  /** event->oncpu: the CPU while enabled, -1 while disabled. */
  get oncpu(): number {
    return Atomics.load(this.k, K_ONCPU);
  }

  /** PERF_EVENT_IOC_ENABLE: the event is on its CPU again (programs can write to it). */
  enable(): void {
    Atomics.store(this.k, K_ONCPU, this.cpu);
  }

  /** PERF_EVENT_IOC_DISABLE: off its CPU; bpf_perf_event_output then fails with EOPNOTSUPP. */
  disable(): void {
    Atomics.store(this.k, K_ONCPU, -1);
  }

  /** PERF_EVENT_IOC_PAUSE_OUTPUT: records are lost (and counted) while paused. */
  pauseOutput(paused: boolean): void {
    Atomics.store(this.k, K_PAUSED, paused ? 1 : 0);
  }

  /** event->lost_samples: every record the ring had no room for. */
  get lostSamples(): number {
    return (Atomics.load(this.k, K_LOST_SAMPLES_HI) >>> 0) * TWO_32 + (Atomics.load(this.k, K_LOST_SAMPLES_LO) >>> 0);
  }

  /** Wakeups so far (the word readers wait on). */
  get wakeups(): number {
    return Atomics.load(this.k, K_WAKEUPS) >>> 0;
  }

  /**
   * poll(2) with no wait: true when a wakeup came since the last poll, which it consumes (the
   * kernel's perf_poll exchanges rb->poll with 0).
   */
  poll(): boolean {
    return Atomics.exchange(this.k, K_POLL, 0) !== 0;
  }

  /** Wait, without spinning, until this event's next wakeup or timeoutMs. */
  async waitForWakeup(seen: number, timeoutMs: number): Promise<void> {
    await waitOn(this.k, K_WAKEUPS, K_WAITERS, seen, timeoutMs);
  }

  // ---- the kernel's side: one record ----

  /**
   * perf_event_output() for a PERF_SAMPLE_RAW sample of `size` bytes of `src` (bytes, or the
   * 4-aligned memory of a view): 0, or -ENOSPC when the ring has no room (counted as lost) or
   * the output is paused. `misc` is PERF_RECORD_MISC_KERNEL or _USER.
   */
  outputRaw(src: Uint8Array, srcOff: number, size: number, misc: number): number {
    const k = this.k;
    if (Atomics.load(k, K_PAUSED) !== 0) return this.lose();
    // The raw data's u32 size counts its padding: the record ends 8-aligned.
    const rawSize = ((size + 4 + 7) & ~7) - 4;
    const sampleLen = PERF_HEADER_SIZE + 4 + rawSize;
    const lost = k[K_LOST]!;
    const len = lost !== 0 ? sampleLen + PERF_LOST_RECORD_SIZE : sampleLen;
    const u = this.userU32;
    const headLo = u[U_DATA_HEAD >>> 2]!;
    const headHi = u[(U_DATA_HEAD >>> 2) + 1]!;
    if (!this.handle.overwrite) {
      // ring_buffer_has_space(): CIRC_SPACE keeps one byte free, so a full ring holds size - 8.
      const tail = Atomics.load(u, U_DATA_TAIL >>> 2);
      if (((tail - headLo - 1) & this.mask) < len) return this.lose();
    }
    // handle->wakeup is taken before the watermark moves it.
    const wakeLo = k[K_WAKEUP_LO]! >>> 0;
    const wakeHi = k[K_WAKEUP_HI]! >>> 0;
    const newLo = headLo + len;
    const newHead = headHi * TWO_32 + newLo;
    if (newHead - (wakeHi * TWO_32 + wakeLo) > this.handle.watermark) this.addWakeup(this.handle.watermark);
    let at = headLo;
    if (lost !== 0) {
      this.put32(at, PERF_RECORD_LOST);
      this.put32(at + 4, PERF_LOST_RECORD_SIZE << 16);
      this.put32(at + 8, this.id >>> 0);
      this.put32(at + 12, Math.floor(this.id / TWO_32) >>> 0);
      this.put32(at + 16, lost >>> 0);
      this.put32(at + 20, 0);
      k[K_LOST] = 0;
      at += PERF_LOST_RECORD_SIZE;
    }
    this.put32(at, PERF_RECORD_SAMPLE);
    this.put32(at + 4, misc | (sampleLen << 16));
    this.put32(at + 8, rawSize);
    this.putBytes(at + 12, src, srcOff, size);
    // perf_output_sample(): without attr.watermark, every wakeup_events samples wake the reader.
    if (!this.handle.watermarkMode && this.handle.wakeupEvents !== 0) {
      const events = k[K_EVENTS]! + 1;
      if (events >= this.handle.wakeupEvents) {
        k[K_EVENTS] = events - this.handle.wakeupEvents;
        this.addWakeup(1);
      } else {
        k[K_EVENTS] = events;
      }
    }
    // perf_output_put_handle(): publish data_head after the record's bytes (a release store).
    const hw = U_DATA_HEAD >>> 2;
    if (newLo < TWO_32) {
      Atomics.store(u, hw, newLo);
    } else {
      Atomics.add(k, K_HEAD_SEQ, 1);
      Atomics.store(u, hw + 1, headHi + 1);
      Atomics.store(u, hw, newLo - TWO_32);
      Atomics.add(k, K_HEAD_SEQ, 1);
    }
    if ((k[K_WAKEUP_LO]! >>> 0) !== wakeLo || (k[K_WAKEUP_HI]! >>> 0) !== wakeHi) this.wakeUp();
    return 0;
  }

  private lose(): number {
    const k = this.k;
    k[K_LOST] = k[K_LOST]! + 1;
    if (Atomics.add(k, K_LOST_SAMPLES_LO, 1) === -1) Atomics.add(k, K_LOST_SAMPLES_HI, 1);
    return -28; // -ENOSPC
  }

  /** rb->wakeup += n (a byte position that per-sample wakeups also bump by one, as the kernel's). */
  private addWakeup(n: number): void {
    const k = this.k;
    const lo = (k[K_WAKEUP_LO]! >>> 0) + n;
    if (lo >= TWO_32) k[K_WAKEUP_HI] = k[K_WAKEUP_HI]! + 1;
    k[K_WAKEUP_LO] = lo >>> 0;
  }

  /** perf_output_wakeup(): the poll flag, then the waiters (and the epoll instance's). */
  private wakeUp(): void {
    const k = this.k;
    Atomics.store(k, K_POLL, 1);
    Atomics.add(k, K_WAKEUPS, 1);
    if (Atomics.load(k, K_WAITERS) !== 0) Atomics.notify(k, K_WAKEUPS);
    const e = this.epoll;
    if (e !== null) {
      Atomics.add(e, 0, 1);
      if (Atomics.load(e, 1) !== 0) Atomics.notify(e, 0);
    }
  }

  /** A u32 at ring position `pos` (8-byte records never straddle the end inside a word). */
  private put32(pos: number, v: number): void {
    this.dataU32[(pos & this.mask) >>> 2] = v;
  }

  private putBytes(pos: number, src: Uint8Array, srcOff: number, n: number): void {
    const d = this.data;
    const at = pos & this.mask;
    const first = Math.min(n, this.size - at);
    for (let i = 0; i < first; i++) d[at + i] = src[srcOff + i]!;
    for (let i = first; i < n; i++) d[i - first] = src[srcOff + i]!;
  }
}

/** Wait on a futex-style word until it moves past `seen` or timeoutMs (keeping Node's event loop alive). */
async function waitOn(words: Int32Array, index: number, waiters: number, seen: number, timeoutMs: number): Promise<void> {
  Atomics.add(words, waiters, 1);
  try {
    const r = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t?: number): { async: boolean; value: Promise<string> | string } })
      .waitAsync(words, index, seen, timeoutMs);
    if (r.async) {
      // A pending waitAsync does not keep Node alive; an interval that never fires does.
      const keepAlive = setInterval(() => {}, 0x7fffffff);
      try {
        await r.value;
      } finally {
        clearInterval(keepAlive);
      }
    }
  } finally {
    Atomics.sub(words, waiters, 1);
  }
}

/** Wait on an epoll word (index 0: wakeups, 1: waiters). */
export function waitOnEpoll(epoll: Int32Array, seen: number, timeoutMs: number): Promise<void> {
  return waitOn(epoll, 0, 1, seen, timeoutMs);
}

/**
 * perf_event_open() of a PERF_COUNT_SW_BPF_OUTPUT event on one CPU with a ring of `pages` data
 * pages, as libbpf's perf buffer opens one per CPU (attr.sample_type = PERF_SAMPLE_RAW). Bad
 * arguments throw a PerfEventError (the kernel's EINVAL).
 */
export function openPerfEvent(options: PerfEventOptions): PerfEvent {
  const o = options ?? ({} as PerfEventOptions);
  if (!Number.isInteger(o.cpu) || o.cpu < 0) throw new PerfEventError(`perf event: cpu must be a CPU number (an integer >= 0), got ${String(o.cpu)}`);
  const pages = o.pages ?? 8;
  if (!isPowerOf2(pages) || pages > 1 << 18) {
    throw new PerfEventError(`perf event: the ring must be a power-of-two number of pages (as mmap() of 1 + 2^n pages requires), got ${String(pages)}`);
  }
  const wakeupEvents = o.wakeupEvents ?? 1;
  if (!Number.isInteger(wakeupEvents) || wakeupEvents < 0 || wakeupEvents > 0xffffffff) {
    throw new PerfEventError(`perf event: wakeupEvents must be a u32, got ${String(o.wakeupEvents)}`);
  }
  const size = pages * PAGE_SIZE;
  const watermarkMode = o.wakeupWatermark !== undefined;
  if (watermarkMode && (!Number.isInteger(o.wakeupWatermark) || o.wakeupWatermark! < 0 || o.wakeupWatermark! > 0xffffffff)) {
    throw new PerfEventError(`perf event: wakeupWatermark must be a u32 number of bytes, got ${String(o.wakeupWatermark)}`);
  }
  // ring_buffer_init(): min(data size, wakeup_watermark), or half the ring when there is none.
  const watermark = watermarkMode && o.wakeupWatermark! > 0 ? Math.min(size, o.wakeupWatermark!) : size / 2;
  const config = o.config ?? 'bpf_output';
  if (config !== 'bpf_output' && config !== 'dummy') throw new PerfEventError(`perf event: config must be 'bpf_output' or 'dummy', got ${String(config)}`);
  const buffer = new SharedArrayBuffer(PAGE_SIZE + size + KERNEL_BYTES);
  const handle: PerfEventHandle = {
    id: idrAlloc(), cpu: o.cpu, pages, wakeupEvents: watermarkMode ? 0 : wakeupEvents, watermark, watermarkMode,
    overwrite: o.overwrite === true, config, buffer, epoll: o.epoll ?? null,
  };
  const ev = new PerfEvent(handle);
  const u = new DataView(buffer, 0, PAGE_SIZE);
  u.setUint32(U_DATA_OFFSET, PAGE_SIZE, true);
  u.setUint32(U_DATA_SIZE, size, true);
  if (o.enabled === false) ev.disable();
  else ev.enable();
  return ev;
}

/** The same event, in this thread, from a handle made in another (a CPU placing records). */
export function openPerfEventHandle(handle: PerfEventHandle): PerfEvent {
  return new PerfEvent(handle);
}
