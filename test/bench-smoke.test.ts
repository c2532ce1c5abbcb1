// The CI smoke of the benchmark: `percpu-maps bench --smoke` runs end to end in seconds, writes a
// result that validates against its schema and an HTML report, and keeps the counters' invariants
// (exact counts for atomic, spinlock and percpu in every sample). Timings are never asserted.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { benchCommand } from '../src/cli/bench.js';
import { parseResult, RESULT_SCHEMA, validateAgainst, type BenchResult } from '../src/bench/schema.js';
import { buildKernelReference, KernelLoader } from '../src/bench/kernel.js';

/** The live kernel's loader, or why it cannot start here: then the kernel rows must say why instead. */
const live: null | string = await buildKernelReference().then((b) => KernelLoader.start(b)).then((l) => l.close()).then(() => null, (e: Error) => e.message);

describe('percpu-maps bench --smoke', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const out = join(dir, 'result.json');
  const html = join(dir, 'report.html');
  let code = -1;
  let result: BenchResult;
  let printed = '';

  beforeAll(async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { printed += String(chunk); return true; });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      code = await benchCommand(['--smoke', '--out', out, '--html', html]);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    result = parseResult(out, readFileSync(out, 'utf8'));
  }, 180_000); // ~80 s on a loaded 2-core machine with every side of every map row

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

  it('measures ours, plain JS doing the same work and the JS floor for every counter cell, with raw samples', () => {
    for (const side of ['ours', 'plain'] as const) {
      for (const s of ['atomic', 'spinlock', 'percpu-128']) {
        for (const id of side === 'plain' ? [`counter/${s}/cpus=2`, `counter/${s}/cpus=2/floor`] : [`counter/${s}/cpus=2`]) {
          const row = result.rows.find((r) => r.side === side && r.id === id);
          expect(row?.status, `${side} ${id}`).toBe('measured');
          expect(row!.samples).toHaveLength(2);
        }
      }
    }
  });

  it('has a row of every side for every counter cell, measured or saying why not', () => {
    for (const side of ['kernel', 'limit'] as const) {
      const rows = result.rows.filter((r) => r.side === side && r.group === 'counter');
      expect(rows.map((r) => r.id).sort(), side).toEqual(['counter/atomic/cpus=2', 'counter/percpu-128/cpus=2', 'counter/spinlock/cpus=2']);
      for (const r of rows) {
        if (r.status === 'measured') expect(r.samples.length).toBe(2);
        else expect(r.reason).toMatch(/\S/);
      }
    }
  });

  it('has a kernel row beside every map operation and user-space call of ours', () => {
    for (const group of ['map', 'user'] as const) {
      const ours = result.rows.filter((r) => r.side === 'ours' && r.group === group).map((r) => r.id).sort();
      expect(ours.length, group).toBeGreaterThan(5);
      expect(result.rows.filter((r) => r.side === 'kernel' && r.group === group).map((r) => r.id).sort(), group).toEqual(ours);
    }
  });

  it('measures every map row in the kernel where the kernel is there (root, clang, libbpf), the LPM trie, prog array, perf event array and maps of maps included', () => {
    const ours = result.rows.filter((r) => r.side === 'ours' && r.group === 'map').map((r) => r.id).sort();
    for (const t of ['lpm_trie/lookup', 'lpm_trie/update', 'prog_array/tailcall', 'perf_event_array/output', 'array_of_maps/lookup', 'hash_of_maps/lookup']) expect(ours).toContain(`map/${t}/cpus=1`);
    const kernel = result.rows.filter((r) => r.side === 'kernel' && r.group === 'map');
    if (typeof live === 'string') {
      for (const r of kernel) expect([r.id, r.status, r.reason]).toEqual([r.id, 'not-measured', expect.stringMatching(/\S/)]);
      return;
    }
    expect(kernel.filter((r) => r.status === 'measured').map((r) => r.id).sort()).toEqual(ours);
    for (const r of kernel) {
      expect(r.samples.length, r.id).toBe(2);
      expect(r.params.kernelNsPerRun, r.id).toBeGreaterThan(0);
    }
  });

  it('runs the same objects on our CPUs: every map row, issue 16\'s types included', () => {
    const object = result.rows.filter((r) => r.side === 'object' && r.group === 'map');
    if (typeof live === 'string') {
      // No clang or kernel headers: the object side cannot build the kernel column's objects, and says so per row.
      for (const r of object) expect([r.id, r.status, r.reason]).toEqual([r.id, 'not-measured', expect.stringMatching(/\S/)]);
      return;
    }
    const ours = result.rows.filter((r) => r.side === 'ours' && r.group === 'map').map((r) => r.id).sort();
    expect(object.filter((r) => r.status === 'measured').map((r) => r.id).sort()).toEqual(ours);
  });

  it('shows no goals for the smoke preset: its samples are too short to judge them', () => {
    expect(printed).not.toMatch(/goals/);
    expect(printed).toMatch(/counters: million events\/s/);
  });

  it('loses no update with atomic, spinlock or percpu, in any sample', () => {
    const exact = result.rows.filter((r) => r.group === 'counter' && r.status === 'measured' && r.params.strategy !== 'racy' && r.params.program !== 'racy');
    expect(exact.length).toBeGreaterThanOrEqual(6);
    for (const r of exact) for (const s of r.samples) expect(s.lost, `${r.side} ${r.id}`).toBe(0);
  });

  it('gives every row that was not measured a reason', () => {
    for (const r of result.rows.filter((x) => x.status === 'not-measured')) expect(r.reason, r.id).toMatch(/\S/);
  });

  it('writes the HTML report with its charts', () => {
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<h2>Counters: events/s');
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
    // The first cell (atomic: plain JS doing the same work, and the floor) ran to its end; no row after it started.
    expect(started).toEqual(['counter/atomic/cpus=1', 'counter/atomic/cpus=1/floor']);
    expect(rows.map((r) => [r.id, r.status, r.samples.length])).toEqual([['counter/atomic/cpus=1', 'measured', 2], ['counter/atomic/cpus=1/floor', 'measured', 2]]);
  });
});
