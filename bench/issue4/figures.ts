// The issue 4 figures (not a timed test): LRU hash updates with eviction from 2 CPUs and batch
// lookup of a 100,000-entry hash map. Each figure is measured `repeat` times; the best is reported
// (the machine is shared). Run: npx tsx bench/issue4/figures.ts <figure> [repeat]. The ring buffer
// figure has its own command: node dist/bench/ringbuf.js --events 2000000 --reps 5
import { Runtime } from '../../src/cpu/runtime.js';
import { createMap } from '../../src/maps/syscall.js';

const [figure = '', repeatArg = '5'] = process.argv.slice(2);
const repeat = Number(repeatArg);
const best = (xs: number[]) => Math.max(...xs);
const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;

async function lruFigure(rt: Runtime, events: number, probe: string): Promise<number> {
  const prog = await rt.load(new URL('./lru-update.ts', import.meta.url));
  try {
    // Warm up (fill the map, JIT), then measure.
    await rt.run({ probe, events: events / 4 });
    const r = await rt.run({ probe, events });
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

// One figure per process (a fresh runtime each), so one figure's JIT state and garbage do not
// weigh on the next: npx tsx bench/issue4/figures.ts <lru|lru-percpu|batch> [repeat]
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
    if (figure === 'lru' || figure === 'lru-percpu') {
      const lru: number[] = [];
      for (let i = 0; i < repeat; i++) lru.push(await lruFigure(rt, 4_000_000, figure === 'lru' ? 'kprobe/update' : 'kprobe/update_percpu_lists'));
      console.log(`LRU hash updates with eviction, 2 CPUs, ${figure === 'lru' ? 'common LRU' : 'BPF_F_NO_COMMON_LRU'}: best ${fmt(best(lru))}; all: ${lru.map(fmt).join(', ')}`);
    } else {
      throw new Error(`name a figure: lru, lru-percpu or batch (got ${figure})`);
    }
  } finally {
    await rt.close();
  }
}
