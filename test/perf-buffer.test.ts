import { describe, expect, it } from 'vitest';
import { createMap, BpfError, type BpfMap } from '../src/index.js';
import { bpf_perf_event_output } from '../src/maps/bpf-trace.js';
import { perfBuffer } from '../src/maps/perf-buffer.js';
import { openPerfEvent, PerfEventError } from '../src/maps/perf-event.js';
import { struct, u32 } from '../src/maps/layout.js';
import { setSmpProcessorId } from '../src/smp/smp.js';
import { BPF_F_CURRENT_CPU } from '../src/maps/uapi.js';

// Program helpers run on a CPU: this thread plays CPU 0.
setSmpProcessorId(0);

// bpf_perf_event_output into per-CPU perf rings, and libbpf's perf_buffer reading them.

const perfArray = (maxEntries = 2): BpfMap => createMap({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries, name: 'events' }, { cpus: 2 });
const ctx = {};
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const d5 = Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x55]);
const d16 = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

function onCpu<T>(cpu: number, fn: () => T): T {
  setSmpProcessorId(cpu);
  try {
    return fn();
  } finally {
    setSmpProcessorId(0);
  }
}

describe('perf rings, byte for byte as the kernel writes them', () => {
  it('writes a PERF_RECORD_SAMPLE: header (type 9, misc KERNEL, size), raw size with padding, data; publishes data_head', () => {
    const m = perfArray();
    const pb = perfBuffer(m, { pageCount: 1 });
    expect(bpf_perf_event_output(ctx, m, BPF_F_CURRENT_CPU, d5)).toBe(0);
    const ev = pb.buffers[0]!.event;
    expect(ev.dataHead).toBe(24);
    // Recorded from kernel 6.18: 09000000 0100 1800 | 0c000000 | 1122334455 and 7 bytes of padding never written.
    expect(hexOf(ev.data.subarray(0, 24))).toBe('09000000010018000c000000112233445500000000000000');
  });

  it('marks a sample from a uprobe program PERF_RECORD_MISC_USER', () => {
    const m = perfArray();
    const pb = perfBuffer(m, { pageCount: 1 });
    bpf_perf_event_output({ userMode: true }, m, BPF_F_CURRENT_CPU, d5);
    expect(pb.buffers[0]!.event.data[4]).toBe(2);
  });

  it('returns the kernel\'s errors: empty slot, index, other CPU, bad flags, disabled event', () => {
    const m = perfArray(3);
    const pb = perfBuffer(m, { pageCount: 1 });
    expect(bpf_perf_event_output(ctx, m, 2, d5)).toBe(-2);
    expect(bpf_perf_event_output(ctx, m, 3, d5)).toBe(-7);
    expect(bpf_perf_event_output(ctx, m, 1, d5)).toBe(-95);
    expect(onCpu(1, () => bpf_perf_event_output(ctx, m, BPF_F_CURRENT_CPU, d5))).toBe(0);
    expect(bpf_perf_event_output(ctx, m, 2 ** 32, d5)).toBe(-22);
    expect(bpf_perf_event_output(ctx, m, -1, d5)).toBe(-22);
    pb.buffers[0]!.event.disable();
    expect(bpf_perf_event_output(ctx, m, BPF_F_CURRENT_CPU, d5)).toBe(-95);
  });

  it('refuses a dummy event in the slot with EINVAL', () => {
    const m = perfArray();
    m.update(0, openPerfEvent({ cpu: 0, pages: 1, config: 'dummy' }));
    expect(bpf_perf_event_output(ctx, m, 0, d5)).toBe(-22);
  });

  it('fills a one-page ring with 127 samples of 32 bytes (it keeps one byte free), loses the rest, then reports them in a PERF_RECORD_LOST', () => {
    const m = perfArray();
    const pb = perfBuffer(m, { pageCount: 1 });
    const ev = pb.buffers[0]!.event;
    let ok = 0;
    for (let i = 0; i < 300; i++) if (bpf_perf_event_output(ctx, m, BPF_F_CURRENT_CPU, d16) === 0) ok++;
    expect(ok).toBe(127);
    expect(ev.dataHead).toBe(4064);
    expect(ev.lostSamples).toBe(173);
    const lost: number[] = [];
    let samples = 0;
    pb.consumeBuffer(0, () => { samples++; }, (cpu, n) => lost.push(cpu, n));
    expect(samples).toBe(127);
    expect(lost).toEqual([]);
    bpf_perf_event_output(ctx, m, BPF_F_CURRENT_CPU, d5);
    const got: string[] = [];
    pb.consume((s, size, cpu) => { got.push(`${cpu}:${size}:${hexOf(s.bytes)}`); }, (cpu, n) => got.push(`lost ${cpu} ${n}`));
    // The sample wraps past the ring's end (its header at 4088, its data at 4): it arrives whole,
    // its padding the stale bytes of the first record there (the rest of its raw size, then data).
    expect(got).toEqual(['lost 0 173', '0:12:112233445500000001020304']);
    expect(pb.lost).toEqual([173, 0]);
  });

  it('wakes the reader every wakeupEvents samples; poll(2) takes the wakeup', () => {
    const m = perfArray();
    const pb = perfBuffer(m, { pageCount: 1, wakeupEvents: 3 });
    const ev = pb.buffers[0]!.event;
    const polls: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      bpf_perf_event_output(ctx, m, BPF_F_CURRENT_CPU, d5);
      polls.push(ev.poll());
    }
    expect(polls).toEqual([false, false, true, false]);
  });

  it('with a byte watermark, wakes each time that many more bytes are written', () => {
    const m = perfArray();
    const ev = openPerfEvent({ cpu: 0, pages: 1, wakeupWatermark: 100 });
    m.update(0, ev);
    const polls: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      bpf_perf_event_output(ctx, m, 0, d16);
      polls.push(ev.poll());
    }
    // As the kernel's rb->wakeup moves by the watermark: after 128, 224, ... bytes (recorded on 6.18).
    expect(polls).toEqual([false, false, false, true, false, false, true, false]);
  });

  it('in overwrite mode (mapped read-only) never loses: old records are overwritten', () => {
    const m = perfArray();
    const ev = openPerfEvent({ cpu: 0, pages: 1, overwrite: true });
    m.update(0, ev);
    for (let i = 0; i < 300; i++) expect(bpf_perf_event_output(ctx, m, 0, d16)).toBe(0);
    expect(ev.dataHead).toBe(300 * 32);
    expect(ev.lostSamples).toBe(0);
  });

  it('loses samples while the output is paused', () => {
    const m = perfArray();
    const pb = perfBuffer(m, { pageCount: 1 });
    pb.buffers[0]!.event.pauseOutput(true);
    expect(bpf_perf_event_output(ctx, m, 0, d5)).toBe(-28);
    pb.buffers[0]!.event.pauseOutput(false);
    expect(bpf_perf_event_output(ctx, m, 0, d5)).toBe(0);
    expect(pb.buffers[0]!.event.lostSamples).toBe(1);
  });
});

describe('the perf buffer reader', () => {
  it('opens one event per CPU, in the array at the CPU\'s index, and takes them out on close', () => {
    const m = perfArray(4);
    const pb = perfBuffer(m, { pageCount: 2 });
    expect(pb.buffers.map((b) => [b.cpu, b.key, b.event.size])).toEqual([[0, 0, 8192], [1, 1, 8192]]);
    pb.close();
    expect(() => m.delete(0)).toThrow(BpfError);
    expect(pb.buffers[0]!.event.enabled).toBe(false);
  });

  it('refuses a page count that is no power of two, and a map that is no perf event array', () => {
    expect(() => perfBuffer(perfArray(), { pageCount: 3 })).toThrow(/page count should be power of two/);
    const arr = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 2 });
    expect(() => perfBuffer(arr)).toThrow(/should be BPF_MAP_TYPE_PERF_EVENT_ARRAY/);
    expect(() => openPerfEvent({ cpu: 0, pages: 5 })).toThrow(PerfEventError);
  });

  it('reads samples as views of a struct, and stops a drain on a negative callback return', () => {
    const Rec = struct({ a: u32, b: u32 });
    const m = perfArray();
    const pb = perfBuffer(m, {}, Rec);
    for (let i = 0; i < 3; i++) bpf_perf_event_output(ctx, m, 0, Rec.encode({ a: i, b: 10 * i }));
    const seen: number[] = [];
    expect(pb.consume((s) => { seen.push(s.a, s.b); if (s.a === 1) return -5; })).toBe(-5);
    expect(seen).toEqual([0, 0, 1, 10]);
    expect(pb.consume((s) => { seen.push(s.a); })).toBe(1);
    expect(seen).toEqual([0, 0, 1, 10, 2]);
  });
});

describe('bpf_perf_event_output\'s argument checks (what the verifier would refuse)', () => {
  it('refuses a map that is no perf event array, data that is no bytes, and a size past the data', () => {
    const arr = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 2 });
    expect(() => bpf_perf_event_output(ctx, arr, 0, d5)).toThrow(/cannot pass map_type 2 into func bpf_perf_event_output#25/);
    const m = perfArray();
    expect(() => bpf_perf_event_output(ctx, m, 0, 'abc' as never)).toThrow(/data must be a Uint8Array or a view/);
    expect(() => bpf_perf_event_output(ctx, m, 0, d5, 6)).toThrow(/the size 6 is not within the 5 bytes of data/);
    expect(() => bpf_perf_event_output(ctx, m, 0, new Uint8Array(70_000))).toThrow(/does not fit a perf record/);
  });
});

describe('perf output from a translated program\'s memory', () => {
  it('writes the same record from an address and a size as the helper does from bytes', async () => {
    const { perfEventOutputRaw } = await import('../src/maps/bpf-trace.js');
    const m = perfArray();
    const pb = perfBuffer(m, { pageCount: 1 });
    const memory = new Uint8Array(64);
    memory.set(d5, 40);
    expect(perfEventOutputRaw(m, BPF_F_CURRENT_CPU, memory, 40, 5, false)).toBe(0);
    expect(hexOf(pb.buffers[0]!.event.data.subarray(0, 24))).toBe('09000000010018000c000000112233445500000000000000');
    expect(perfEventOutputRaw(m, 1, memory, 40, 5, false)).toBe(-95);
  });
});
