// The regression gate on synthetic samples (no timing is measured here): verdicts, stars, the
// threshold, within-run ratios, the machine rule, the result file's validation, and the exit code
// of `percpu-maps bench --input ... --compare ...`.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { benchCommand } from '../src/cli/bench.js';
import { compareRatios, compareRows, gate, ratioDefs, summarize, withinRunRatios } from '../src/bench/compare.js';
import { parseResult, RESULT_FORMAT, RESULT_SCHEMA, validateAgainst, type BenchResult, type Row, type Side } from '../src/bench/schema.js';

/** Samples of 1e6 events at the given rates (events/s). */
function samplesAt(rates: number[]) {
  return rates.map((r) => ({ events: 1e6, ns: Math.round((1e6 / r) * 1e9), lost: 0 }));
}

/** `n` rates around `center`, spread +-spread (fraction), evenly. */
function around(center: number, spread: number, n = 10): number[] {
  return Array.from({ length: n }, (_, i) => center * (1 + spread * (n === 1 ? 0 : (2 * i) / (n - 1) - 1)));
}

function row(side: Side, strategy: string, cpus: number, rates: number[]): Row {
  const samples = samplesAt(rates);
  return {
    id: `counter/${strategy}/cpus=${cpus}`, side, group: 'counter', label: strategy, cpus, oversubscribed: false, unit: 'event',
    status: 'measured', params: { strategy, kernel: `counter/${strategy}/cpus=${cpus}` }, samples, summary: summarize(samples, true),
  };
}

function result(rows: Row[], cpuModel = 'Intel(R) Xeon(R) Processor'): BenchResult {
  return {
    format: RESULT_FORMAT, createdAt: '2026-01-01T00:00:00.000Z', durationSec: 1,
    env: { node: 'v20', v8: '11', platform: 'linux', arch: 'x64', osRelease: '6', cpuModel, cores: 2, commit: 'abc', piscina: '5', tinybench: '6', kernelReference: 'not used' },
    settings: { preset: 'full', samples: 10, sampleMs: 100, warmupMs: 300, cpus: [2], groups: ['counter'] },
    interrupted: null, rows,
  };
}

describe('row verdicts', () => {
  const base = result([row('ours', 'percpu-128', 2, around(100e6, 0.01))]);

  it('a 20% drop with 1% noise regressed with ***, and the gate exits 1', () => {
    const cur = result([row('ours', 'percpu-128', 2, around(80e6, 0.01))]);
    const [c] = compareRows(base, cur);
    expect(c!.changePct).toBeCloseTo(-20, 0);
    expect(c!.stars).toBe('***');
    expect(c!.verdict).toBe('regressed');
    expect(gate(base, cur).exitCode).toBe(1);
  });

  it('a 5% drop whose whole interval lies inside +-10% is unchanged, exit 0', () => {
    const cur = result([row('ours', 'percpu-128', 2, around(95e6, 0.01))]);
    const [c] = compareRows(base, cur);
    expect(c!.verdict).toBe('unchanged');
    expect(gate(base, cur).exitCode).toBe(0);
  });

  it('a 25% gain is improved, exit 0', () => {
    const cur = result([row('ours', 'percpu-128', 2, around(125e6, 0.01))]);
    expect(compareRows(base, cur)[0]!.verdict).toBe('improved');
    expect(gate(base, cur).exitCode).toBe(0);
  });

  it('a 30% drop seen in 2 samples of +-40% noise is inconclusive, exit 0', () => {
    const noisy = result([row('ours', 'percpu-128', 2, around(100e6, 0.4, 2))]);
    const cur = result([row('ours', 'percpu-128', 2, around(70e6, 0.4, 2))]);
    const [c] = compareRows(noisy, cur);
    expect(c!.stars).toBe('');
    expect(c!.verdict).toBe('inconclusive');
    expect(gate(noisy, cur).exitCode).toBe(0);
  });

  it('a 15% drop under a 20% threshold is not a regression', () => {
    const cur = result([row('ours', 'percpu-128', 2, around(85e6, 0.01))]);
    expect(gate(base, cur, { threshold: 0.2 }).exitCode).toBe(0);
    expect(gate(base, cur, { threshold: 0.1 }).exitCode).toBe(1);
  });

  it('compares only rows measured on both sides', () => {
    const cur = result([row('ours', 'atomic', 2, around(20e6, 0.01))]);
    expect(compareRows(base, cur)).toEqual([]);
  });
});

describe('ratios within a run', () => {
  it('are defined for ours / plain JS, ours / kernel, ours / C threads and spinlock / atomic; only ours / plain JS is portable', () => {
    const r = result([
      row('ours', 'spinlock', 2, around(8e6, 0.01)), row('ours', 'atomic', 2, around(16e6, 0.01)),
      row('plain', 'spinlock', 2, around(10e6, 0.01)), row('kernel', 'spinlock', 2, around(5e6, 0.01)), row('limit', 'spinlock', 2, around(40e6, 0.01)),
    ]);
    expect(ratioDefs(r).map((d) => [d.id, d.portable]).sort()).toEqual([
      ['ours/kernel counter/spinlock/cpus=2', false], ['ours/limit counter/spinlock/cpus=2', false], ['ours/plain counter/spinlock/cpus=2', true], ['spinlock/atomic cpus=2', false],
    ]);
  });

  it('pair a map row of ours with the kernel row of the same id', () => {
    const map = (side: Side, rate: number): Row => ({ ...row(side, 'x', 2, around(rate, 0.01)), id: 'map/hash/lookup/cpus=2', group: 'map', label: 'hash lookup', params: { map: 'hash', op: 'lookup' } });
    const r = result([map('ours', 20e6), map('kernel', 40e6)]);
    expect(ratioDefs(r).map((d) => d.id)).toEqual(['ours/kernel map/hash/lookup/cpus=2']);
  });

  it('catch our slowdown on another machine where absolute rows are not gated', () => {
    const base = result([row('ours', 'percpu-128', 2, around(100e6, 0.01)), row('plain', 'percpu-128', 2, around(200e6, 0.01))]);
    // A machine half as fast where ours also lost a quarter against plain JS.
    const cur = result([row('ours', 'percpu-128', 2, around(37.5e6, 0.01)), row('plain', 'percpu-128', 2, around(100e6, 0.01))], 'Other CPU');
    const report = gate(base, cur);
    expect(report.scope).toEqual(['ratios']);
    const [ratio] = compareRatios(base, cur);
    expect(ratio!.changePct).toBeCloseTo(-25, 0);
    expect(ratio!.verdict).toBe('regressed');
    expect(report.exitCode).toBe(1);
  });

  it('stay unchanged when another machine is slower for ours and plain JS alike, exit 0', () => {
    const base = result([row('ours', 'percpu-128', 2, around(100e6, 0.01)), row('plain', 'percpu-128', 2, around(200e6, 0.01))]);
    const cur = result([row('ours', 'percpu-128', 2, around(50e6, 0.01)), row('plain', 'percpu-128', 2, around(100e6, 0.01))], 'Other CPU');
    const report = gate(base, cur);
    expect(report.rows[0]!.verdict).toBe('regressed');
    expect(report.ratios[0]!.verdict).toBe('unchanged');
    expect(report.exitCode).toBe(0);
  });
});

describe('the gate on another kind of machine (issue 12.10)', () => {
  // The baseline from an Intel Xeon; the run on an AMD EPYC, where a locked add costs 2.5x as much,
  // so ours / kernel and ours / C threads drop while ours / plain JS (the runtime's overhead) holds.
  const xeon = result([
    row('ours', 'atomic', 2, around(20e6, 0.01)), row('plain', 'atomic', 2, around(25e6, 0.01)),
    row('kernel', 'atomic', 2, around(22e6, 0.01)), row('limit', 'atomic', 2, around(28e6, 0.01)),
  ]);
  const epyc = (oursRate: number) => result([
    row('ours', 'atomic', 2, around(oursRate, 0.01)), row('plain', 'atomic', 2, around(10e6, 0.01)),
    row('kernel', 'atomic', 2, around(20e6, 0.01)), row('limit', 'atomic', 2, around(70e6, 0.01)),
  ], 'AMD EPYC');

  it('gates only ours / plain JS: the kernel and C-thread ratios moved with the CPU, shown but not gated, exit 0', () => {
    const report = gate(xeon, epyc(8e6));
    const byKey = new Map(report.ratios.map((c) => [c.key, c]));
    expect(byKey.get('ours/kernel counter/atomic/cpus=2')!.verdict).toBe('regressed');
    expect(byKey.get('ours/kernel counter/atomic/cpus=2')!.gated).toBe(false);
    expect(byKey.get('ours/limit counter/atomic/cpus=2')!.gated).toBe(false);
    expect(byKey.get('ours/plain counter/atomic/cpus=2')!.gated).toBe(true);
    expect(byKey.get('ours/plain counter/atomic/cpus=2')!.verdict).toBe('unchanged');
    expect(report.rows.every((c) => !c.gated)).toBe(true);
    expect(report.exitCode).toBe(0);
  });

  it('still fails when the runtime itself got slower against plain JS, exit 1', () => {
    const report = gate(xeon, epyc(6e6));
    expect(report.regressions.map((c) => c.key)).toEqual(['ours/plain counter/atomic/cpus=2']);
    expect(report.exitCode).toBe(1);
  });

  it('gates every ratio and our rows against a baseline from the same kind of machine', () => {
    const slower = result([
      row('ours', 'atomic', 2, around(20e6, 0.01)), row('plain', 'atomic', 2, around(25e6, 0.01)),
      row('kernel', 'atomic', 2, around(44e6, 0.01)), row('limit', 'atomic', 2, around(28e6, 0.01)),
    ]);
    const report = gate(xeon, slower);
    expect(report.ratios.every((c) => c.gated)).toBe(true);
    expect(report.regressions.map((c) => c.key)).toEqual(['ours/kernel counter/atomic/cpus=2']);
    expect(report.exitCode).toBe(1);
  });
});

describe('result files', () => {
  it('a synthetic result validates against the schema', () => {
    const r = result([row('ours', 'atomic', 2, around(20e6, 0.01))]);
    expect(validateAgainst(RESULT_SCHEMA, JSON.parse(JSON.stringify(r)))).toEqual([]);
  });

  it('a bad sample is refused with the path of the field', () => {
    const r = JSON.parse(JSON.stringify(result([row('ours', 'atomic', 2, around(20e6, 0.01))])));
    r.rows[0].samples[3].ns = -5;
    expect(() => parseResult('base.json', JSON.stringify(r))).toThrow(/\/rows\/0\/samples\/3\/ns must be >= 1, got -5/);
  });

  it('a file of another format is refused', () => {
    expect(() => parseResult('x.json', '{"format":"other"}')).toThrow(/x\.json is not a percpu-maps bench result/);
  });
});

describe('percpu-maps bench --input --compare', () => {
  let dir = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-gate-'));
    writeFileSync(join(dir, 'base.json'), JSON.stringify(result([row('ours', 'percpu-128', 2, around(100e6, 0.01))])));
    writeFileSync(join(dir, 'slower.json'), JSON.stringify(result([row('ours', 'percpu-128', 2, around(70e6, 0.01))])));
    writeFileSync(join(dir, 'same.json'), JSON.stringify(result([row('ours', 'percpu-128', 2, around(100e6, 0.012))])));
  });
  afterAll(() => out.mockRestore());

  it('exits 1 on a regression and prints REGRESSED', async () => {
    out.mockClear();
    expect(await benchCommand(['--input', join(dir, 'slower.json'), '--compare', join(dir, 'base.json'), '--no-html'])).toBe(1);
    expect(out.mock.calls.map((c) => String(c[0])).join('')).toMatch(/REGRESSED \(1\): ours percpu-128 @2 -30\.0% \*\*\*/);
  });

  it('exits 0 when nothing regressed', async () => {
    expect(await benchCommand(['--input', join(dir, 'same.json'), '--compare', join(dir, 'base.json'), '--no-html'])).toBe(0);
  });
});

describe('controls', () => {
  it('a plain-JS or kernel row that slowed down is shown but does not fail the gate', () => {
    const base = result([row('kernel', 'percpu', 2, around(100e6, 0.01))]);
    const cur = result([row('kernel', 'percpu', 2, around(60e6, 0.01))]);
    const report = gate(base, cur);
    expect(report.rows[0]!.verdict).toBe('regressed');
    expect(report.exitCode).toBe(0);
  });
});

describe('percpu-maps bench --schema', () => {
  it('prints the JSON Schema that result files are validated against', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await benchCommand(['--schema'])).toBe(0);
      expect(JSON.parse(out.mock.calls.map((c) => String(c[0])).join(''))).toEqual(RESULT_SCHEMA);
    } finally {
      out.mockRestore();
    }
  });
});

describe('result files of the first format', () => {
  it('are refused with why and what to do: their plain-JS and kernel rows mean something else', () => {
    expect(() => parseResult('old.json', JSON.stringify({ format: 'percpu-maps-bench/1', rows: [] })))
      .toThrow(/old\.json was written by an older bench \(format percpu-maps-bench\/1\).*measure a new one \(percpu-maps bench --update-baseline/);
  });
});

describe('ratios paired by round', () => {
  // The machine's load drifts from round to round by up to +-40%; ours and plain JS, sampled back
  // to back in each round, drift together, and ours is always 0.8x plain JS.
  const drift = [1, 0.6, 1.4, 0.8, 1.2, 0.7, 1.3, 0.9, 1.1, 1];
  const cell = (oursShare: number, cpuModel?: string) => result([
    row('ours', 'percpu-128', 2, drift.map((d) => d * 100e6 * oursShare)),
    row('plain', 'percpu-128', 2, drift.map((d) => d * 100e6)),
  ], cpuModel);

  it('give the ratio a narrow interval though every rate swings by 40%', () => {
    const [r] = withinRunRatios(cell(0.8)).filter((v) => v.def.id.startsWith('ours/plain'));
    expect(r!.ratio).toBeCloseTo(0.8, 6);
    expect(r!.lo).toBeCloseTo(0.8, 6);
    expect(r!.hi).toBeCloseTo(0.8, 6);
  });

  it('catch a 20% drop of ours / plain JS that unpaired samples this noisy could not', () => {
    const [c] = compareRatios(cell(1), cell(0.8, 'Other CPU'));
    expect(c!.changePct).toBeCloseTo(-20, 1);
    expect(c!.verdict).toBe('regressed');
    const [rows] = compareRows(cell(1), cell(0.8));
    expect(rows!.verdict).not.toBe('regressed');
  });
});
