// Random mutations of the committed objects (test/stress/object-fuzz.ts): openObject must return a
// BpfObject or throw an ObjectError, never anything else, never hang. A few thousand here with a
// fixed seed (so a failure reproduces: npx tsx test/stress/object-fuzz.ts 5000 20240614); many
// more with other seeds in the stress run.
import { describe, expect, it } from 'vitest';
import { fuzzObjects, loadSamples, mutate, prng } from './stress/object-fuzz.js';

const COUNT = 5000;
const SEED = 20240614;
const TIME_CAP_MS = 90_000;

describe('openObject under random mutation', () => {
  it(`${COUNT} mutations (seed ${SEED}): only BpfObjects and ObjectErrors`, () => {
    const r = fuzzObjects(COUNT, SEED, TIME_CAP_MS);
    expect(r.findings).toEqual([]);
    // The time cap only guards a very slow machine; most of the runs must have happened, and both
    // outcomes must occur (a fuzzer that only ever breaks the header tests little).
    expect(r.runs).toBeGreaterThanOrEqual(COUNT / 2);
    expect(r.opened).toBeGreaterThan(r.runs / 10);
    expect(r.refused).toBeGreaterThan(r.runs / 10);
  }, 120_000);

  it('is reproducible: the same seed gives the same mutations', () => {
    const samples = loadSamples();
    const a = prng(5);
    const b = prng(5);
    const m1 = Array.from({ length: 20 }, () => mutate(samples[0]!, samples, a).what);
    const m2 = Array.from({ length: 20 }, () => mutate(samples[0]!, samples, b).what);
    expect(m1).toEqual(m2);
  });
});
