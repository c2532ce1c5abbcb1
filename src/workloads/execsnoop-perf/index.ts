// The perf-buffer execsnoop beside the ring-buffer one: the same execs, the same skewed load (one
// busy CPU) and the same memory for records, read both ways while the CPUs run. Where each loses
// records differs: a perf buffer gives every CPU a ring of its own, so the busy CPU's ring fills
// and loses while the others have room; a ring buffer is one ring every CPU shares.

import { siblingModule } from '../../cpu/module-url.js';
import type { Runtime, RunResult } from '../../cpu/runtime.js';
import { perfBuffer } from '../../maps/perf-buffer.js';
import { ringBuffer } from '../../maps/ringbuf.js';
import type { ValueView } from '../../maps/layout.js';
import { withProgram, type Workload, type WorkloadOptions, type WorkloadResult } from '../workload.js';
import { Event, RING_BYTES } from '../execsnoop/program.js';

/** The busy CPU (CPU 0) takes this share of the execs; the others share the rest. */
export const BUSY_SHARE = 0.8;

export interface StreamTally {
  received: number[];
  /** Records the producers had no room for (perf: per CPU; ring buffer: all CPUs, in [0]). */
  lost: number[];
  /** Records a CPU delivered out of its own order (must stay 0). */
  outOfOrder: number;
  /** Consecutive records whose timestamps went backwards: the stream's global order. */
  inversions: number;
}

/** Events per CPU: BUSY_SHARE on CPU 0, the rest evenly. */
export function skewedSplit(events: number, cpus: number): number[] {
  if (cpus === 1) return [events];
  const busy = Math.round(events * BUSY_SHARE);
  const rest = events - busy;
  const each = Math.floor(rest / (cpus - 1));
  return Array.from({ length: cpus }, (_, c) => (c === 0 ? busy : each + (c - 1 < rest - each * (cpus - 1) ? 1 : 0)));
}

/** Data pages per CPU so that every CPU's ring together holds what the ring buffer holds (a power of two). */
export function pagesPerCpu(cpus: number): number {
  const pages = Math.max(1, Math.floor(RING_BYTES / 4096 / cpus));
  return 2 ** Math.floor(Math.log2(pages));
}

function tally(cpus: number): { t: StreamTally; take: (s: ValueView) => void } {
  const t: StreamTally = { received: new Array<number>(cpus).fill(0), lost: new Array<number>(cpus).fill(0), outOfOrder: 0, inversions: 0 };
  const last = new Array<number>(cpus).fill(-1);
  let lastTs = -1;
  const take = (s: ValueView): void => {
    const cpu = s.getU32(Event.fields.cpu.offset);
    const seq = s.getU32(Event.fields.seq.offset);
    const ts = s.getU64(Event.fields.ts.offset);
    t.received[cpu] = (t.received[cpu] ?? 0) + 1;
    if (seq <= last[cpu]!) t.outOfOrder++;
    last[cpu] = seq;
    if (ts < lastTs) t.inversions++;
    lastTs = ts;
  };
  return { t, take };
}

async function perfRun(rt: Runtime, perCpu: number[]): Promise<{ run: RunResult; t: StreamTally; pages: number }> {
  return withProgram(rt, siblingModule(import.meta.url, 'program'), async (prog) => {
    const pages = pagesPerCpu(rt.cpus);
    const pb = perfBuffer(prog.maps.events!, { pageCount: pages });
    const { t, take } = tally(rt.cpus);
    try {
      const run = await pb.consumeUntil(rt.run({ probe: 'tracepoint/syscalls/sys_exit_execve', perCpu, source: { pidBase: 4000, pids: 500, comm: 'bash' } }),
        take, undefined, 20);
      // The kernel's count: every sample a CPU's ring refused (the PERF_RECORD_LOST records say the same, once read).
      t.lost = pb.lostSamples;
      return { run, t, pages };
    } finally {
      pb.close();
    }
  });
}

async function ringRun(rt: Runtime, perCpu: number[]): Promise<{ run: RunResult; t: StreamTally }> {
  return withProgram(rt, siblingModule(import.meta.url, '../execsnoop/program'), async (prog) => {
    const ring = ringBuffer(prog.maps.events!);
    const { t, take } = tally(rt.cpus);
    const run = await ring.consumeUntil(rt.run({ probe: 'tracepoint/syscalls/sys_exit_execve', perCpu, source: { pidBase: 4000, pids: 500, comm: 'bash' } }), take, 20);
    t.lost = [ring.dropped];
    return { run, t };
  });
}

export const execsnoopPerf: Workload = {
  name: 'execsnoop-perf',
  title: 'execsnoop through per-CPU perf buffers, beside the ring buffer: where each loses records',
  explain: `CPU 0 makes ${BUSY_SHARE * 100}% of the execs. First every exec is a bpf_perf_event_output sample into its CPU's perf ring ` +
    `(${RING_BYTES / 1024} KiB split over the CPUs, as libbpf's perf_buffer maps one ring per CPU), read by the coordinator as ` +
    'perf_buffer__poll does; then the same execs go through execsnoop\'s one shared RINGBUF of the same size. When the reader ' +
    'falls behind, a perf buffer loses where a CPU outruns its own ring: the busy CPU first, even while the other rings have room, ' +
    'and the next sample that fits says how many in a PERF_RECORD_LOST. The ring buffer loses only when the one ring is full, ' +
    'from whichever CPU asks then, the quiet CPU as well. (How much each loses depends on how fast the reader drains while the ' +
    'CPUs run: with the default burst the perf buffer\'s losses tend to fall on the busy CPU alone; with far more execs than the ' +
    'reader keeps up with, every ring is full most of the time and both lose everywhere.) Each CPU\'s records ' +
    'arrive in its own order either way; across CPUs only the ring buffer keeps one order (reservation order), while perf rings ' +
    'are read one CPU after another, so timestamps go backwards between them (inversions).',
  defaultEvents: 20_000,
  probe: 'tracepoint/syscalls/sys_exit_execve',
  async run(options: WorkloadOptions): Promise<WorkloadResult> {
    const rt = options.runtime;
    const perCpu = skewedSplit(options.events, rt.cpus);
    const perf = await perfRun(rt, perCpu);
    const ring = await ringRun(rt, perCpu);
    // Lost per CPU: what each CPU made and the reader did not get (the perf rings also count it themselves).
    const lostPerCpu = (t: StreamTally): number[] => perCpu.map((n, c) => n - (t.received[c] ?? 0));
    const lines = [`execs per CPU: ${perCpu.map((n, c) => `CPU ${c} ${n}`).join(', ')}; records of ${Event.size} bytes`, ''];
    lines.push(`${'READER'.padEnd(12)} ${'CPU'.padStart(4)} ${'EXECS'.padStart(9)} ${'RECEIVED'.padStart(9)} ${'LOST'.padStart(9)}`);
    for (const [name, t] of [['perf buffer', perf.t], ['ring buffer', ring.t]] as const) {
      const lost = lostPerCpu(t);
      perCpu.forEach((n, c) => lines.push(`${(c === 0 ? name : '').padEnd(12)} ${String(c).padStart(4)} ${String(n).padStart(9)} ${String(t.received[c] ?? 0).padStart(9)} ${String(lost[c]).padStart(9)}`));
    }
    lines.push('', `perf buffer: ${perf.pages} pages (${perf.pages * 4} KiB) per CPU, lost samples counted by the rings: ${perf.t.lost.join(', ')}; ` +
      `ring buffer: ${RING_BYTES / 1024} KiB shared, ${ring.t.lost[0]} reservations refused`);
    lines.push(`records out of their CPU's order: perf ${perf.t.outOfOrder}, ring ${ring.t.outOfOrder}; timestamps going backwards in the stream: perf ${perf.t.inversions}, ring ${ring.t.inversions}`);
    const text = lines.join('\n');
    return {
      run: perf.run,
      text,
      data: { perCpu, perf: { ...perf.t, lostPerCpu: lostPerCpu(perf.t), pagesPerCpu: perf.pages }, ring: { ...ring.t, lostPerCpu: lostPerCpu(ring.t) } },
    };
  },
};
