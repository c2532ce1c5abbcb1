// The user-space reader of a perf event array (libbpf's perf_buffer, in libbpf.c): one perf event
// per CPU, each with its own ring, placed in the array at the CPU's index as perf_buffer__new()
// places them; records read as perf_event_read_simple() reads them, lost records counted per CPU.
// Shaped like RingBuffer (ringbuf.ts): consume() drains, poll() waits for a wakeup first.
//
// Where the two lose records differs: a ring buffer is one ring shared by every CPU, and a full
// ring refuses the reservation; here each CPU has a ring of its own, a full one refuses that CPU's
// sample, and the next sample that fits on that CPU is preceded by a PERF_RECORD_LOST saying how
// many were lost. Wakeups come every wakeupEvents samples (libbpf's sample_period, default 1) or
// whenever half a ring more was written, per CPU.

import { BpfError, EINVAL } from './errno.js';
import { SharedMemory, ValueView, type FieldType, type StructLayout, type StructView, type ViewClass } from './layout.js';
import type { BpfMapCore } from './bpf.js';
import {
  DATA_HEAD_W, DATA_TAIL_W, openPerfEvent, PAGE_SIZE, PERF_RECORD_LOST, PERF_RECORD_SAMPLE, waitOnEpoll, type PerfEvent,
} from './perf-event.js';
import { TWO_32 } from './limits.js';
import { BPF_MAP_TYPE_PERF_EVENT_ARRAY } from './uapi.js';

/**
 * A sample callback: the raw data (a view valid during the call only; copy `bytes` to keep it),
 * its size as the record gives it (the data's length rounded so the record ends 8-aligned, as
 * libbpf passes it), and the CPU. A negative return stops the drain it was called in.
 */
export type PerfSampleFn<V extends ValueView = ValueView> = (sample: V, size: number, cpu: number) => number | void;
/** A lost-records callback: the CPU and how many of its samples were lost (one PERF_RECORD_LOST). */
export type PerfLostFn = (cpu: number, lost: number) => void;

export interface PerfBufferOptions {
  /** Data pages per CPU ring: a power of two (libbpf's page_cnt). Default 8. */
  pageCount?: number;
  /** Wake the reader every this many samples (libbpf's sample_period). Default 1. */
  wakeupEvents?: number;
  /** Wake the reader every this many bytes instead (attr.watermark); no per-sample wakeups. */
  wakeupWatermark?: number;
}

/** One CPU's ring of a perf buffer. */
export interface PerfCpuBuffer {
  readonly cpu: number;
  /** Its index in the perf event array. */
  readonly key: number;
  readonly event: PerfEvent;
}

/** The largest record: its size is a u16. */
const MAX_RECORD = 0xffff;

/** The user-space reader of a perf event array: a perf event and ring per CPU. */
export class PerfBuffer<V extends ValueView = ValueView> {
  readonly map: BpfMapCore;
  readonly buffers: readonly PerfCpuBuffer[];
  /** Records lost per CPU, as the PERF_RECORD_LOST records read so far say. */
  readonly lost: number[];
  private readonly epoll: Int32Array;
  private readonly rings: SharedMemory[];
  private readonly scratch: SharedMemory;
  /** A recycled sample view per ring, and one over the scratch copy of a record that wraps. */
  private readonly samples: ValueView[];
  private readonly scratchSample: ValueView;
  private closed = false;

  constructor(map: BpfMapCore, options: PerfBufferOptions = {}, layout?: StructLayout<any>) {
    if (map.handle === null || map.attr.type !== BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
      throw new BpfError(map.name, 'perf_buffer__new', EINVAL, `map '${map.name}' should be BPF_MAP_TYPE_PERF_EVENT_ARRAY${map.handle === null ? ' (and created)' : ''}`);
    }
    const pages = options.pageCount ?? 8;
    if (!Number.isInteger(pages) || pages <= 0 || (pages & (pages - 1)) !== 0) {
      throw new BpfError(map.name, 'perf_buffer__new', EINVAL, `page count should be power of two, but is ${String(pages)}`);
    }
    this.map = map;
    const epoll = new SharedArrayBuffer(8);
    this.epoll = new Int32Array(epoll);
    // One ring per possible CPU, no more than the array has slots for.
    const cpus = Math.min(map.cpus, map.attr.maxEntries);
    const buffers: PerfCpuBuffer[] = [];
    try {
      for (let cpu = 0; cpu < cpus; cpu++) {
        const event = openPerfEvent({
          cpu, pages, epoll,
          ...(options.wakeupWatermark !== undefined ? { wakeupWatermark: options.wakeupWatermark } : { wakeupEvents: options.wakeupEvents ?? 1 }),
        });
        buffers.push({ cpu, key: cpu, event });
        (map as unknown as { update(k: number, v: { id: number }): void }).update(cpu, event);
      }
    } catch (e) {
      for (const b of buffers) b.event.disable();
      throw e;
    }
    this.buffers = buffers;
    this.lost = new Array<number>(cpus).fill(0);
    this.rings = buffers.map((b) => new SharedMemory(b.event.handle.buffer, PAGE_SIZE, b.event.size));
    this.scratch = new SharedMemory(new SharedArrayBuffer(MAX_RECORD + 1));
    const View: ViewClass = layout?.View ?? ValueView;
    this.samples = this.rings.map((r) => new View(r, 0, 0, -1));
    this.scratchSample = new View(this.scratch, 0, 0, -1);
  }

  /**
   * perf_buffer__consume_buffer: deliver every record of buffer `i` from data_tail to data_head,
   * copying one that wraps past the ring's end, then give the bytes back (data_tail). Returns the
   * samples delivered, or a callback's negative return (its record counts as consumed, as libbpf's).
   */
  consumeBuffer(i: number, sample: PerfSampleFn<V>, lost?: PerfLostFn): number {
    const b = this.buffers[i];
    if (b === undefined) throw new RangeError(`perf buffer of map '${this.map.name}' has ${this.buffers.length} buffers, not ${i + 1}`);
    const ev = b.event;
    const ring = this.rings[i]!;
    const u32 = ev.userU32;
    const d32 = ev.dataU32;
    const mask = ev.mask;
    const size = ev.size;
    // Acquire: pairs with the writer's store of data_head, so the records before it are visible.
    const head = Atomics.load(u32, DATA_HEAD_W);
    const start = u32[DATA_TAIL_W]!;
    let tail = start;
    let cnt = 0;
    let ret = 0;
    try {
      while (tail !== head) {
        const off = tail & mask;
        const type = d32[off >>> 2]!;
        const len = d32[(off >>> 2) + 1]! >>> 16;
        let mem = ring;
        let v = this.samples[i]!;
        let at = off;
        if (off + len > size) {
          // The record runs past the end: copied whole into the scratch buffer, as libbpf does.
          const first = size - off;
          this.scratch.u8.set(ring.u8.subarray(off, size), 0);
          this.scratch.u8.set(ring.u8.subarray(0, len - first), first);
          mem = this.scratch;
          v = this.scratchSample;
          at = 0;
        }
        tail = (tail + len) >>> 0;
        if (type === PERF_RECORD_SAMPLE) {
          const raw = mem.u32[(at >>> 2) + 2]!;
          v._retarget(at + 12, raw);
          const r = sample(v as V, raw, b.cpu);
          if (typeof r === 'number' && r < 0) {
            ret = r;
            break;
          }
          cnt++;
        } else if (type === PERF_RECORD_LOST) {
          const n = mem.u32[(at >>> 2) + 4]! + mem.u32[(at >>> 2) + 5]! * TWO_32;
          this.lost[b.cpu] = (this.lost[b.cpu] ?? 0) + n;
          lost?.(b.cpu, n);
        } else {
          throw new Error(`perf buffer of map '${this.map.name}', CPU ${b.cpu}: unknown perf record type ${type} at ${off}`);
        }
      }
    } finally {
      // ring_buffer_write_tail(): a release store once the records are read.
      ev.dataTail = ev.dataTail + ((tail - start) >>> 0);
    }
    return ret < 0 ? ret : cnt;
  }

  /** perf_buffer__consume: every buffer, without waiting. Returns the samples delivered (or a callback's negative return). */
  consume(sample: PerfSampleFn<V>, lost?: PerfLostFn): number {
    let total = 0;
    for (let i = 0; i < this.buffers.length; i++) {
      const r = this.consumeBuffer(i, sample, lost);
      if (r < 0) return r;
      total += r;
    }
    return total;
  }

  /**
   * perf_buffer__poll: wait up to timeoutMs for a wakeup on any CPU's event, then consume the
   * buffers that were woken (a buffer with samples but no wakeup yet waits for its next wakeup,
   * as with epoll). Returns the samples delivered.
   */
  async poll(sample: PerfSampleFn<V>, lost?: PerfLostFn, timeoutMs: number = Infinity): Promise<number> {
    this.checkOpen();
    const seen = Atomics.load(this.epoll, 0);
    let ready = this.ready();
    if (ready.length === 0) {
      await waitOnEpoll(this.epoll, seen, timeoutMs);
      ready = this.ready();
    }
    let total = 0;
    for (const i of ready) {
      const r = this.consumeBuffer(i, sample, lost);
      if (r < 0) return r;
      total += r;
    }
    return total;
  }

  /** Consume while producers run: poll (bounded by timeoutMs) until `settled` settles, then drain every buffer. */
  async consumeUntil<T>(settled: Promise<T>, sample: PerfSampleFn<V>, lost: PerfLostFn | undefined, timeoutMs: number): Promise<T> {
    let done = false;
    const end = (): void => { done = true; };
    void settled.then(end, end);
    while (!done) await this.poll(sample, lost, timeoutMs);
    const value = await settled;
    this.consume(sample, lost);
    return value;
  }

  /** The buffers whose event had a wakeup since the last look (epoll's ready list). */
  private ready(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.buffers.length; i++) if (this.buffers[i]!.event.poll()) out.push(i);
    return out;
  }

  /** Records each CPU's ring had no room for (the kernel's count, whether or not a PERF_RECORD_LOST was read yet). */
  get lostSamples(): number[] {
    return this.buffers.map((b) => b.event.lostSamples);
  }

  /** perf_buffer__free: take the events out of the array and disable them. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const b of this.buffers) {
      try {
        (this.map as unknown as { delete(k: number): void }).delete(b.key);
      } catch {
        // Already emptied by someone else: nothing to give back.
      }
      b.event.disable();
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`perf buffer of map '${this.map.name}' is closed`);
  }
}

/** perf_buffer__new(): a perf event and ring per CPU in `map`, samples read as views of `layout` when given. */
export function perfBuffer(map: BpfMapCore, options?: PerfBufferOptions): PerfBuffer<ValueView>;
export function perfBuffer<F extends Record<string, FieldType>>(map: BpfMapCore, options: PerfBufferOptions, layout: StructLayout<F>): PerfBuffer<StructView<F>>;
export function perfBuffer(map: BpfMapCore, options: PerfBufferOptions = {}, layout?: StructLayout<any>): PerfBuffer<ValueView> {
  return new PerfBuffer(map, options, layout);
}
