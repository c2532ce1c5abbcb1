// The cost of the bpf_spin_lock fast path and of the helpers' held-lock check: uncontended
// lock/unlock pairs in this thread, and the race lab's spinlock and percpu strategies on one
// simulated CPU (lookup + lock + cnt++ + unlock per event; lookup + add per event).
// Run: node --import tsx test/stress/lock-cost.ts   (prints medians of 5 repeats)

import { bpf_spin_lock, struct, u32 } from '../../src/maps/layout.js';
import { bpf_map_lookup_elem } from '../../src/maps/helpers.js';
import { createMap } from '../../src/maps/syscall.js';
import { bpf_spin_unlock } from '../../src/sync/spinlock.js';
import { Runtime } from '../../src/cpu/runtime.js';
import { runRace } from '../../src/workloads/race/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const Elem = struct({ cnt: u32, lock: bpf_spin_lock });
const map = createMap({ type: 'array', keySize: 4, valueSize: Elem.size, maxEntries: 1, name: 'cost', value: Elem }, { cpus: 1 });
const v = bpf_map_lookup_elem(map, 0)!;

function pairs(n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    bpf_spin_lock(v.lock);
    v.cnt++;
    bpf_spin_unlock(v.lock);
  }
  return performance.now() - t0;
}

const N = 10_000_000;
pairs(N); // warm up
const pairNs: number[] = [];
for (let r = 0; r < 5; r++) pairNs.push((pairs(N) * 1e6) / N);

const rt = await Runtime.start({ cpus: 1, onWarning: () => {} });
const rates: Record<string, number[]> = { spinlock: [], percpu: [] };
for (let r = 0; r < 5; r++) {
  for (const s of ['spinlock', 'percpu'] as const) {
    const [row] = await runRace({ cpus: 1, events: s === 'spinlock' ? 10_000_000 : 30_000_000, strategies: [s], runtime: rt, warmup: 2_000_000 });
    rates[s]!.push((row!.seconds * 1e9) / row!.expected);
  }
}
await rt.close();

console.log(JSON.stringify({
  node: process.version,
  mainThreadLockUnlockPairNs: +median(pairNs).toFixed(2),
  workerSpinlockEventNs: +median(rates.spinlock!).toFixed(2),
  workerPercpuEventNs: +median(rates.percpu!).toFixed(2),
  samples: { pairNs: pairNs.map((x) => +x.toFixed(2)), spinlock: rates.spinlock!.map((x) => +x.toFixed(2)), percpu: rates.percpu!.map((x) => +x.toFixed(2)) },
}, null, 1));
