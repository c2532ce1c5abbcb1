// Many producers on real threads: two simulated CPUs (worker threads of the runtime) produce into
// one ring buffer while the coordinator consumes; and into one queue. Nothing committed may be
// lost or delivered twice, and each producer's records must arrive in the order it made them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { ringBuffer, type RingBuffer } from '../src/maps/ringbuf.js';
import type { BpfMap } from '../src/maps/syscall.js';
import type { ValueView } from '../src/maps/layout.js';
import { BpfError } from '../src/maps/errno.js';
import { Counts, Rec } from './fixtures/ringbuf-producer.js';

const CPUS = 2;
const fixture = new URL('./fixtures/ringbuf-producer.ts', import.meta.url);

interface Tally {
  /** Sequence numbers delivered, per producing CPU, in delivery order. */
  seqs: number[][];
  bad: string[];
}

function newTally(): Tally {
  return { seqs: Array.from({ length: CPUS }, () => []), bad: [] };
}

function take(t: Tally) {
  return (s: ValueView, size: number): void => {
    if (size !== Rec.size) { t.bad.push(`record of ${size} bytes`); return; }
    const cpu = s.getU32(0);
    const seq = s.getU64(8);
    if (!(cpu < CPUS)) { t.bad.push(`record from cpu ${cpu}`); return; }
    t.seqs[cpu]!.push(seq);
  };
}

/** Consume while `run` is under way, sleeping on the ring's wakeups; then drain what is left. */
async function consumeDuring(rb: RingBuffer, t: Tally, run: Promise<unknown>): Promise<void> {
  let done = false;
  void run.finally(() => { done = true; });
  const cb = take(t);
  while (!done) {
    rb.consume(cb);
    // A timeout only so the loop notices the end of the run; wakeups come from the producers.
    await rb.waitForData(20);
  }
  await run;
  rb.consume(cb);
}

function committedPerCpu(counts: BpfMap, slot: number): { committed: number; refused: number }[] {
  return counts.lookupPerCpu(slot).map((b) => Counts.decode(b) as { committed: number; refused: number });
}

function strictlyIncreasing(xs: number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (!(xs[i]! > xs[i - 1]!)) return false;
  return true;
}

describe('ring buffer, queue and bloom filter with producers on two CPUs', () => {
  let rt: Runtime;
  let maps: Record<string, BpfMap>;
  let unload: () => Promise<void>;

  beforeAll(async () => {
    rt = await Runtime.start({ cpus: CPUS, onWarning: () => {} });
    const prog = await rt.load(fixture);
    maps = prog.maps;
    unload = () => prog.unload();
  });
  afterAll(async () => {
    await unload?.();
    await rt?.close();
  });

  it('delivers every committed record once, in each producer\'s order, and counts the drops (small ring)', async () => {
    const events = 200_000;
    const rb = ringBuffer(maps.small!);
    const t = newTally();
    await consumeDuring(rb, t, rt.run({ probe: 'kprobe/small', events }));
    const counts = committedPerCpu(maps.counts!, 0);
    expect(t.bad).toEqual([]);
    for (let cpu = 0; cpu < CPUS; cpu++) {
      expect(t.seqs[cpu]!.length).toBe(counts[cpu]!.committed);
      expect(strictlyIncreasing(t.seqs[cpu]!)).toBe(true);
    }
    const committed = counts.reduce((n, c) => n + c.committed, 0);
    const refused = counts.reduce((n, c) => n + c.refused, 0);
    expect(committed + refused).toBe(events);
    expect(rb.dropped).toBe(refused);
    expect(rb.availData).toBe(0);
    expect(rb.consumerPos).toBe(committed * 24);
  });

  it('loses nothing when the ring never fills: every CPU\'s records 0..n-1 exactly once (big ring)', async () => {
    const events = 100_000;
    const rb = ringBuffer(maps.big!);
    const t = newTally();
    const run = rt.run({ probe: 'kprobe/big', events });
    await consumeDuring(rb, t, run);
    const perCpu = (await run as { perCpu: { events: number }[] }).perCpu.map((c) => c.events);
    expect(rb.dropped).toBe(0);
    for (let cpu = 0; cpu < CPUS; cpu++) {
      expect(t.seqs[cpu]).toEqual(Array.from({ length: perCpu[cpu]! }, (_, i) => i));
    }
  });

  it('keeps each CPU\'s pushes in order in a shared queue, none lost or duplicated', async () => {
    const events = 40_000;
    await rt.run({ probe: 'kprobe/queue', events });
    const counts = committedPerCpu(maps.counts!, 2);
    const seqs: number[][] = Array.from({ length: CPUS }, () => []);
    const fifo = maps.fifo!;
    for (;;) {
      let v: Uint8Array;
      try {
        v = fifo.lookupAndDelete(null);
      } catch (e) {
        if (e instanceof BpfError && e.errno === 'ENOENT') break;
        throw e;
      }
      const r = Rec.decode(v) as { cpu: number; seq: number };
      seqs[r.cpu]!.push(r.seq);
    }
    expect(counts.map((c) => c.refused)).toEqual([0, 0]);
    for (let cpu = 0; cpu < CPUS; cpu++) {
      expect(seqs[cpu]).toEqual(Array.from({ length: counts[cpu]!.committed }, (_, i) => i));
    }
  });

  it('finds every value any CPU pushed into a shared bloom filter (atomic bit sets, no false negatives)', async () => {
    const events = 20_000;
    const r = await rt.run({ probe: 'kprobe/bloom', events });
    const seen = maps.seen!;
    let missing = 0;
    for (let cpu = 0; cpu < CPUS; cpu++) {
      for (let i = 0; i < r.perCpu[cpu]!.events; i++) {
        const v = new Uint8Array(new Uint32Array([((cpu << 24) | i) >>> 0]).buffer);
        try {
          seen.lookup(null, 0, v);
        } catch (e) {
          if (e instanceof BpfError && e.errno === 'ENOENT') missing++;
          else throw e;
        }
      }
    }
    expect(missing).toBe(0);
  });
});
