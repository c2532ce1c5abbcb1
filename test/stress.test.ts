// The stress suite's short form (the long form: npm run stress). All CPUs hammer one map at once;
// afterwards nothing may be lost, duplicated, torn or leaked (see test/stress/suite.ts).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/cpu/runtime.js';
import { hashStress, memoryStress, ringbufStress, spinLockStress, type HashType } from './stress/suite.js';

// A gc() to measure the heap with (vitest does not start node with --expose-gc).
setFlagsFromString('--expose-gc');
(globalThis as { gc?: () => void }).gc ??= runInNewContext('gc') as () => void;

describe.each([2, 4, 8])('stress on %i CPUs', (cpus) => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it.each<HashType>(['hash', 'percpu_hash', 'lru_hash'])('%s: 200,000 random operations match the sequential model, nothing leaked', async (type) => {
    const f = await hashStress(rt, type, 200_000);
    expect(f.problems).toEqual([]);
    expect(f.ops).toBe(Math.floor(200_000 / cpus) * cpus);
  });
});

describe('stress on 8 CPUs sharing 2 cores', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.start({ cpus: 8, onWarning: () => {} }); });
  afterAll(async () => { await rt.close(); });

  it('bpf_spin_lock: 200,000 lock/unlock pairs keep a + b constant for every locked read', async () => {
    const f = await spinLockStress(rt, 200_000);
    expect(f.problems).toEqual([]);
    expect(f.detail.lockedReads).toBeGreaterThan(0);
  });

  it('ring buffer: 400,000 records from 8 producers that wait for room all arrive, once each, in order, whole', async () => {
    const f = await ringbufStress(rt, 400_000, 'retry');
    expect(f.problems).toEqual([]);
    expect([f.detail.delivered, f.detail.refusedRingFull]).toEqual([400_000, 0]);
  });

  it('ring buffer: with discards and drops when full, every committed record arrives once, in order, whole', async () => {
    const f = await ringbufStress(rt, 400_000, 'drop');
    expect(f.problems).toEqual([]);
    expect(f.detail.delivered).toBe(f.detail.committed);
  });
});

describe('memory', () => {
  it('20 load/run/unload and map create cycles and 3 runtime start/close cycles: the heap stays flat, no worker is left', async () => {
    const f = await memoryStress(20, 3);
    expect(f.problems).toEqual([]);
  });
});
