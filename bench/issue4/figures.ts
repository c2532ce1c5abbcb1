// The issue 4 figures (not a timed test): ring buffer throughput with 2 producing CPUs and the
// coordinator consuming, LRU hash updates with eviction from 2 CPUs, and batch lookup of a
// 100,000-entry hash map. Each figure is measured `repeat` times; the best is reported (the
// machine is shared). Run: npx tsx bench/issue4/figures.ts <figure> [repeat]
import { Runtime } from '../../src/cpu/runtime.js';
import { ringBuffer } from '../../src/maps/ringbuf.js';
import { createMap } from '../../src/maps/syscall.js';
import type { ValueView } from '../../src/maps/layout.js';

const [figure = '', repeatArg = '5'] = process.argv.slice(2);
const repeat = Number(repeatArg);
const best = (xs: number[]) => Math.max(...xs);
const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;

async function ringbufFigure(rt: Runtime, events: number): Promise<{ rate: number; lost: number; received: number }> {
  const prog = await rt.load(new URL('./ringbuf16.ts', import.meta.url));
  try {
    const ring = ringBuffer(prog.maps.ring!);
    let received = 0;
    const cb = (_s: ValueView, _n: number): void => { received++; };
    const keepAlive = setInterval(() => {}, 1000);
    const t0 = performance.now();
    let done = false;
    const run = rt.run({ probe: 'kprobe/produce', events }).finally(() => { done = true; });
    while (!done) {
      ring.consume(cb);
      await ring.waitForData(5);
    }
    await run;
    ring.consume(cb);
    const t1 = performance.now();
    clearInterval(keepAlive);
    return { rate: received / ((t1 - t0) / 1000), lost: ring.dropped, received };
  } finally {
    await prog.unload();
  }
}

async function lruFigure(rt: Runtime, events: number, module: string): Promise<number> {
  const prog = await rt.load(new URL(module, import.meta.url));
  try {
    // Warm up (fill the map, JIT), then measure.
    await rt.run({ probe: 'kprobe/update', events: events / 4 });
    const r = await rt.run({ probe: 'kprobe/update', events });
    return r.eventsPerSec;
  } finally {
    await prog.unload();
  }
}

function batchFigure(entries: number, count: number): number {
  const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: entries }, { cpus: 2 });
  const keys = new Uint8Array(4 * entries);
  const dv = new DataView(keys.buffer);
  for (let i = 0; i < entries; i++) dv.setUint32(4 * i, i * 7 + 1, true);
  m.updateBatch(keys, new Uint8Array(8 * entries));
  let rate = 0;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    let n = 0;
    let cursor: Uint8Array | null = null;
    for (;;) {
      const r: ReturnType<typeof m.lookupBatch> = m.lookupBatch(cursor, count);
      n += r.count;
      if (r.end) break;
      cursor = r.outBatch;
    }
    const t1 = performance.now();
    if (n !== entries) throw new Error(`batch lookup saw ${n} of ${entries}`);
    rate = Math.max(rate, n / ((t1 - t0) / 1000));
  }
  return rate;
}

/** Producers alone (the ring holds every record), then the consumer alone: where the time goes. */
async function ringbufParts(rt: Runtime, events: number): Promise<{ produce: number; consume: number }> {
  const prog = await rt.load(new URL('./ringbuf16.ts', import.meta.url));
  try {
    const ring = ringBuffer(prog.maps.ring!);
    const r = await rt.run({ probe: 'kprobe/produce', events });
    let n = 0;
    const t0 = performance.now();
    ring.consume(() => { n++; });
    const t1 = performance.now();
    return { produce: r.eventsPerSec, consume: n / ((t1 - t0) / 1000) };
  } finally {
    await prog.unload();
  }
}

// One figure per process (a fresh runtime each), so one figure's JIT state and garbage do not
// weigh on the next: npx tsx bench/issue4/figures.ts <ringbuf|lru|lru-percpu|batch> [repeat]
const cpus = 2;
if (figure === 'batch') {
  const all: number[] = [];
  const chunked: number[] = [];
  for (let i = 0; i < repeat; i++) {
    all.push(batchFigure(100_000, 100_000));
    chunked.push(batchFigure(100_000, 4096));
  }
  console.log(`batch lookup, 100,000-entry hash, one call: best ${fmt(best(all))}; all: ${all.map(fmt).join(', ')}`);
  console.log(`batch lookup, 100,000-entry hash, 4096 a call: best ${fmt(best(chunked))}; all: ${chunked.map(fmt).join(', ')}`);
} else {
  const rt = await Runtime.start({ cpus, onWarning: () => {} });
  try {
    if (figure === 'ringbuf') {
      const rb: { rate: number; lost: number; received: number }[] = [];
      const parts: { produce: number; consume: number }[] = [];
      for (let i = 0; i < repeat; i++) {
        rb.push(await ringbufFigure(rt, 2_000_000));
        parts.push(await ringbufParts(rt, 2_000_000));
      }
      const b = rb.reduce((x, y) => (y.rate > x.rate ? y : x));
      console.log(`ringbuf, 2 CPUs producing 16-byte records, coordinator consuming at the same time: best ${fmt(b.rate)} (${b.received} received, ${b.lost} lost); all: ${rb.map((r) => `${fmt(r.rate)}/${r.lost} lost`).join(', ')}`);
      console.log(`  producers alone: best ${fmt(best(parts.map((x) => x.produce)))}; consumer alone: best ${fmt(best(parts.map((x) => x.consume)))}`);
    } else if (figure === 'lru' || figure === 'lru-percpu') {
      const lru: number[] = [];
      for (let i = 0; i < repeat; i++) lru.push(await lruFigure(rt, 4_000_000, figure === 'lru' ? './lru-update.ts' : './lru-update-percpu.ts'));
      console.log(`LRU hash updates with eviction, 2 CPUs, ${figure === 'lru' ? 'common LRU' : 'BPF_F_NO_COMMON_LRU'}: best ${fmt(best(lru))}; all: ${lru.map(fmt).join(', ')}`);
    } else {
      throw new Error(`name a figure: ringbuf, lru, lru-percpu or batch (got ${figure})`);
    }
  } finally {
    await rt.close();
  }
}
