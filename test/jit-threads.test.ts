// Two simulated CPUs (worker threads) run the same translated module over one shared memory: every
// event's loads and stores reach memory, so a plain cnt += 1 loses updates as on real CPUs, while
// the BPF atomic add, the spin-locked update and per-CPU slots are exact.

import { describe, expect, it } from 'vitest';
import { COUNTER_MAPS, COUNTER_VALUE, PERCPU_STRIDE, PERCPU_VALUES, type Strategy, counter } from './jit/programs.js';
import { newMemory, translate } from './jit/harness.js';
import { runOnCpus } from './jit/threads.js';

const EVENTS = 4_000_000;

async function count(strategy: Strategy, events = EVENTS): Promise<{ total: bigint; slots: bigint[]; done: number[] }> {
  const memory = newMemory();
  const prog = translate(counter(strategy), { maps: COUNTER_MAPS });
  const results = await runOnCpus(prog, memory, 2, events);
  const dv = new DataView(memory.buffer);
  const slots = [0, 1].map((c) => dv.getBigUint64(PERCPU_VALUES + c * PERCPU_STRIDE, true));
  return { total: dv.getBigUint64(COUNTER_VALUE, true), slots, done: results.map((r) => r.done) };
}

describe('two CPUs over one shared memory', () => {
  it('racy cnt += 1 loses some updates, not all', async () => {
    // Losses need the two CPUs to overlap; on a busy machine one round may not: up to 5 rounds.
    let lost = 0n;
    let total = 0n;
    for (let round = 0; round < 5 && lost === 0n; round++) {
      const r = await count('racy', EVENTS * (round + 1));
      expect(r.done).toEqual([EVENTS * (round + 1), EVENTS * (round + 1)]);
      total = r.total;
      lost = BigInt(2 * EVENTS * (round + 1)) - total;
    }
    expect(lost).toBeGreaterThan(0n);
    expect(total).toBeGreaterThan(0n);
    expect(total).toBeLessThanOrEqual(BigInt(2 * EVENTS * 5));
  });

  it('BPF atomic add (lock xadd) is exact', async () => {
    const r = await count('atomic');
    expect(r.total).toBe(BigInt(2 * EVENTS));
  });

  it('bpf_spin_lock around cnt += 1 is exact', async () => {
    const r = await count('spinlock', 1_000_000);
    expect(r.total).toBe(2_000_000n);
  });

  it('per-CPU slots are exact, one per CPU', async () => {
    const r = await count('percpu');
    expect(r.slots).toEqual([BigInt(EVENTS), BigInt(EVENTS)]);
    expect(r.total).toBe(0n);
  });
});
