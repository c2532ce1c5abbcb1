// The HTML report: a self-contained page whose charts (Observable Plot, inlined) a real browser
// draws. The page checks itself after drawing (every chart has a size, its marks and a legend) and
// writes the verdict on <html data-rendered>; headless Chromium (Debian package 'chromium') loads
// it, we read the DOM, and take a screenshot (kept at $BENCH_REPORT_PNG when set, to look at).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
    if (cpus <= 2) rows.push(row('kernel', 'spinlock', 'spinlock (adaptive)', cpus, 25e6));
    rows.push(row('limit', 'spinlock', 'spinlock (adaptive)', cpus, 40e6 / cpus));
  }
  rows.push(row('ours', 'array/lookup', 'array lookup', 1, 100e6, 'map'));
  rows.push(row('kernel', 'array/lookup', 'array lookup', 1, 50e6, 'map'));
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

  it('inlines the chart library and the data, and names every side it shows', () => {
    const html = renderHtml(synthetic());
    expect(html).toContain('<script type="application/json" id="bench-data">');
    expect(html).toMatch(/observablehq|Plot/);
    for (const side of ['<b>ours</b>', '<b>plain JS</b>', '<b>kernel</b>', '<b>C threads</b>']) expect(html).toContain(side);
    expect(html).not.toContain('<b>JS floor</b>');
  });

  it.skipIf(!chromium)('renders in headless Chromium: every chart drawn with its marks and a legend', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(synthetic()));
    const dom = execFileSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=5000', '--dump-dom', pathToFileURL(file).href], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000,
    });
    const html = /<html[^>]*>/.exec(dom)?.[0] ?? '';
    expect(html).toContain('data-rendered="ok"');
    // The overview, a panel per strategy (2), ours / reference for the counters and the map rows, the map chart.
    expect(html).toContain('data-charts="6"');
    // Dots: overview 2 x 4; panels 4 + 4 (percpu: ours, plain) and 4 + 4 + 2 + 4 (spinlock: ours, plain,
    // kernel, C threads). Bars: counter ratios (ours/plain x 2 strategies x 2 CPUs, ours/kernel x 2,
    // ours/limit x 2) 8, map ratio 1, map rates 2.
    expect(html).toContain(`data-points="41"`);
    const png = process.env.BENCH_REPORT_PNG ?? join(dir, 'report.png');
    execFileSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--virtual-time-budget=5000', '--window-size=1350,2400', `--screenshot=${png}`, pathToFileURL(file).href], {
      stdio: 'ignore', timeout: 60_000,
    });
    // A PNG of the page: the signature, and more than a blank page's bytes.
    const bytes = readFileSync(png);
    expect([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(50_000);
  });
});
