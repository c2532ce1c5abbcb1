// Mutated objects through the whole pipeline (test/stress/pipeline-fuzz.ts): loader, map creation,
// translation, a few checked events on one CPU. Only the pipeline's own refusals and faults may
// come out, never another error or a hang. A few hundred here with a fixed seed (a failure
// reproduces with npx tsx test/stress/pipeline-fuzz.ts 600 20261202); many more in npm run stress.
import { describe, expect, it } from 'vitest';
import { fuzzPipeline } from './stress/pipeline-fuzz.js';

const COUNT = 600;
const SEED = 20261202;

describe('mutated objects loaded, translated and run', () => {
  it(`${COUNT} mutations (seed ${SEED}): only ObjectError, ProgramLoadError, faults and traps`, () => {
    const r = fuzzPipeline(COUNT, SEED, 90_000);
    expect(r.findings).toEqual([]);
    expect(r.runs).toBeGreaterThanOrEqual(COUNT / 2);
    // Every outcome occurs: objects the loader refuses, ones refused at load, programs that run and ones that fault.
    expect([r.refusedByLoader > 0, r.refusedAtLoad > 0, r.ran > 0, r.faulted > 0]).toEqual([true, true, true, true]);
  }, 120_000);
});
