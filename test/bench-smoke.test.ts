// The CI smoke of the benchmark: `percpu-maps bench --smoke` runs end to end in seconds, writes a
// result that validates against its schema and an HTML report, and keeps the counters' invariants
// (exact counts for atomic, spinlock and percpu in every sample). Timings are never asserted.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { benchCommand } from '../src/cli/bench.js';
import { parseResult, RESULT_SCHEMA, validateAgainst, type BenchResult } from '../src/bench/schema.js';

describe('percpu-maps bench --smoke', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const out = join(dir, 'result.json');
  const html = join(dir, 'report.html');
  let code = -1;
  let result: BenchResult;

  beforeAll(async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      code = await benchCommand(['--smoke', '--out', out, '--html', html]);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    result = parseResult(out, readFileSync(out, 'utf8'));
  }, 120_000);

  it('exits 0', () => {
    expect(code).toBe(0);
  });

  it('writes JSON that validates against the result schema', () => {
    expect(validateAgainst(RESULT_SCHEMA, JSON.parse(readFileSync(out, 'utf8')))).toEqual([]);
  });

  it('records the environment: node, V8, CPU model, cores, commit', () => {
    expect(result.env.node).toBe(process.version);
    expect(result.env.v8).toBe(process.versions.v8);
    expect(result.env.cores).toBeGreaterThan(0);
    expect(result.env.commit).toMatch(/^([0-9a-f]{40}(\+dirty)?|unknown)$/);
    expect(result.settings.preset).toBe('smoke');
  });

  it('measures ours and plain JS for every counter cell, with raw samples', () => {
    for (const side of ['ours', 'plain'] as const) {
      for (const s of ['atomic', 'spinlock', 'percpu-128']) {
        const row = result.rows.find((r) => r.side === side && r.id === `counter/${s}/cpus=2`);
        expect(row?.status, `${side} ${s}`).toBe('measured');
        expect(row!.samples).toHaveLength(2);
      }
    }
  });

  it('loses no update with atomic, spinlock or percpu, in any sample', () => {
    const exact = result.rows.filter((r) => r.group === 'counter' && r.status === 'measured' && r.params.strategy !== 'racy' && r.params.program !== 'racy');
    expect(exact.length).toBeGreaterThanOrEqual(6);
    for (const r of exact) for (const s of r.samples) expect(s.lost, `${r.side} ${r.id}`).toBe(0);
  });

  it('has kernel rows that are either measured or say why not', () => {
    const kernel = result.rows.filter((r) => r.side === 'kernel');
    expect(kernel.map((r) => r.id).sort()).toEqual(['counter/atomic/cpus=2', 'counter/percpu/cpus=2', 'counter/spinlock/cpus=2']);
    for (const r of kernel) {
      if (r.status === 'measured') expect(r.samples.length).toBe(2);
      else expect(r.reason).toMatch(/\S/);
    }
  });

  it('gives every row that was not measured a reason', () => {
    for (const r of result.rows.filter((x) => x.status === 'not-measured')) expect(r.reason, r.id).toMatch(/\S/);
  });

  it('writes the HTML report with its charts', () => {
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg class="chart"');
    expect(page).toContain('counter/percpu-128/cpus=2');
  });
});

describe('stopping a run (Ctrl-C)', () => {
  it('keeps the rows measured before the stop and runs no row after it', async () => {
    const { Suite } = await import('../src/bench/suite.js');
    const suite = new Suite({
      cpus: [1], mapCpus: [1], userCpus: [1], groups: ['counter'], sides: ['plain'], strategies: ['atomic', 'percpu-128', 'racy'],
      samples: 2, sampleMs: 2, warmupMs: 2, dumpEntries: 10,
    });
    const started: string[] = [];
    const rows = await suite.run({
      onRowStart: (row) => started.push(row.id),
      onRowEnd: (row, i) => { if (i === 0) suite.stop(); },
    });
    expect(suite.interrupted).toBe(true);
    expect(started).toEqual(['counter/atomic/cpus=1']);
    expect(rows.map((r) => [r.id, r.status, r.samples.length])).toEqual([['counter/atomic/cpus=1', 'measured', 2]]);
  });
});
