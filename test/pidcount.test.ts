import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { createMap } from '../src/maps/syscall.js';
import { pidcount, readCounts } from '../src/workloads/pidcount/index.js';
import { HOT_TASKS, MAX_PIDS, processOfEvent } from '../src/workloads/pidcount/program.js';

interface Data {
  maxEntries: number;
  tracked: number;
  counted: number;
  lost: number;
  busyKept: number;
  top: { pid: number; count: number }[];
}

it('takes every other syscall from the busy tasks, the rest from the generated ones', () => {
  expect([0, 1, 2, 3, 32, 33].map((i) => processOfEvent(i, { tgid: 5000 }))).toEqual([100, 5000, 101, 5000, 100, 5000]);
});

it('reads every element of a map exactly once with batch lookups', () => {
  const m = createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 600 }, { cpus: 2 });
  const pids = Array.from({ length: 300 }, (_, i) => 7 + 3 * i);
  for (const p of pids) m.update(p, new Uint8Array([p & 0xff, p >>> 8, 0, 0]));
  const rows = readCounts(m);
  expect(rows.map((r) => r.pid).sort((a, b) => a - b)).toEqual(pids);
  expect(rows.every((r) => r.count === r.pid)).toBe(true);
});

describe('the pidcount workload', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 2, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('tracks at most max_entries pids; what it counted plus what eviction lost is every syscall', async () => {
    const r = await pidcount.run({ runtime: rt, events: 200_000 });
    const d = r.data as Data;
    expect(d.maxEntries).toBe(MAX_PIDS);
    expect(d.tracked).toBeGreaterThan(0);
    expect(d.tracked).toBeLessThanOrEqual(MAX_PIDS);
    expect(d.counted + d.lost).toBe(200_000);
    expect(d.lost).toBeGreaterThan(0);
    expect(r.text).toContain('PID        COUNT');
  });
});

describe('on one CPU (a deterministic run)', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 1, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('keeps every busy pid, each with its exact count, while one-off pids churn', async () => {
    const r = await pidcount.run({ runtime: rt, events: 64_000 });
    const d = r.data as Data;
    expect(d.busyKept).toBe(HOT_TASKS);
    expect(d.top.slice(0, HOT_TASKS).map((t) => t.count)).toEqual(new Array(HOT_TASKS).fill(64_000 / 2 / HOT_TASKS));
  });
});
