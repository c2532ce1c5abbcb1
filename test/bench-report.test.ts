// The HTML report: a self-contained page whose charts a real browser lays out. The page checks
// itself after layout (every chart has a size and its points) and writes the verdict on
// <html data-rendered>; headless Chromium (Debian package 'chromium') loads it and we read the DOM.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { summarize } from '../src/bench/compare.js';
import { renderHtml } from '../src/bench/report-html.js';
import { RESULT_FORMAT, type BenchResult, type Row, type Side } from '../src/bench/schema.js';

function findChromium(): string | null {
  for (const name of [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter(Boolean) as string[]) {
    if (spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0) return name;
  }
  return null;
}

const chromium = findChromium();
if (!chromium) {
  process.stderr.write('\n*** bench-report.test.ts: NO CHROMIUM FOUND: the headless rendering test is SKIPPED. Install it (Debian: apt-get install chromium) to run it. ***\n\n');
}

function row(side: Side, strategy: string, label: string, cpus: number, rate: number, group: Row['group'] = 'counter'): Row {
  const samples = [0.97, 1, 1.03].map((f) => ({ events: 1e6, ns: Math.round((1e6 / (rate * f)) * 1e9), lost: 0 }));
  return {
    id: group === 'counter' ? `counter/${strategy}/cpus=${cpus}` : `map/${strategy}/cpus=${cpus}`, side, group, label, cpus, oversubscribed: cpus > 2, unit: 'event',
    status: 'measured', params: { strategy, kernel: `counter/${strategy}/cpus=${cpus}` }, samples, summary: summarize(samples, group === 'counter'),
  };
}

function synthetic(): BenchResult {
  const rows: Row[] = [];
  for (const cpus of [1, 2, 4, 8]) {
    rows.push(row('ours', 'percpu-128', 'percpu (stride 128)', cpus, 90e6 * Math.min(cpus, 2)));
    rows.push(row('plain', 'percpu-128', 'percpu (stride 128)', cpus, 800e6 * Math.min(cpus, 2)));
    rows.push(row('ours', 'spinlock', 'spinlock (adaptive)', cpus, 8e6 / cpus));
    rows.push(row('plain', 'spinlock', 'spinlock (adaptive)', cpus, 20e6 / cpus));
    if (cpus <= 2) rows.push(row('kernel', 'spinlock', 'spinlock (bpf_spin_lock)', cpus, 25e6));
  }
  rows.push(row('ours', 'array/lookup', 'array lookup', 1, 100e6, 'map'));
  rows.push({ ...row('ours', 'lru_hash/lookup', 'lru_hash lookup', 1, 1, 'map'), status: 'not-measured', reason: 'not implemented yet', samples: [], summary: undefined });
  return {
    format: RESULT_FORMAT, createdAt: '2026-01-01T00:00:00.000Z', durationSec: 12,
    env: { node: 'v20', v8: '11', platform: 'linux', arch: 'x64', osRelease: '6', cpuModel: 'Test <CPU> & co', cores: 2, commit: 'abc', piscina: '5', tinybench: '6', kernelReference: 'tc programs' },
    settings: { preset: 'full', samples: 3, sampleMs: 100, warmupMs: 300, cpus: [1, 2, 4, 8], groups: ['counter', 'map'] },
    interrupted: null, rows,
  };
}

describe('HTML report', () => {
  it('is one self-contained document: no external scripts, styles or images', () => {
    const html = renderHtml(synthetic());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(html).toContain('Test &lt;CPU&gt; &amp; co');
  });

  it('has the overview, one panel per strategy, the ratio chart and the map chart', () => {
    const html = renderHtml(synthetic());
    expect(html.match(/<svg class="chart"/g)?.length).toBe(5);
    expect(html).toContain('aria-label="percpu (stride 128)"');
    expect(html).toContain('aria-label="spinlock (adaptive)"');
  });

  it.skipIf(!chromium)('renders in headless Chromium: every chart laid out with its points', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(synthetic()));
    const dom = execFileSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=5000', '--dump-dom', pathToFileURL(file).href], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000,
    });
    const html = /<html[^>]*>/.exec(dom)?.[0] ?? '';
    expect(html).toContain('data-rendered="ok"');
    expect(html).toContain('data-charts="5"');
    // Overview 2 strategies x 4 CPU counts; panels add plain JS (8 + 8) and 2 kernel points;
    // ratio bars: ours/plain for 2 strategies at 1 and 2 CPUs, ours/kernel spinlock at 1 and 2; 1 map bar.
    expect(html).toContain('data-points="33"');
  });
});
