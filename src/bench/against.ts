// `bench --against REV`: did a change slow us down? Builds REV in a temporary git worktree, then
// runs REV (A) and this tree (B) one after the other in rounds, A B, B A, A B ... so drift on a
// noisy machine hits both alike, and compares the pooled samples with the gate's statistics.
//
// The benchmark harness itself (src/bench with its programs and kernel sources, the bench command,
// the race programs) is copied from this tree into the worktree before it is built, so the two
// sides run the same workloads and only the code under test differs. A revision whose runtime
// cannot host the current harness fails to build, and the error says so: revisions before the
// layout of issue 10 (src/bench, maps/bpf.ts) cannot; build those by hand and run them in turn.

import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../cpu/module-url.js';
import { resultsDir } from './results-dir.js';
import { guardSignals } from '../cpu/signals.js';
import { gate, summarize, type GateScope } from './compare.js';
import { renderHtml } from './report-html.js';
import { parseResult, type BenchResult, type Row } from './schema.js';
import { renderComparison, renderResult } from './table.js';

/** What is copied from this tree into the worktree (paths relative to the package root). */
export const HARNESS = [
  'src/cli/bench.ts', 'src/cli/bench-child.ts', 'src/bench',
  'src/workloads/race/racy.ts', 'src/workloads/race/atomic.ts', 'src/workloads/race/spinlock.ts', 'src/workloads/race/percpu.ts',
];

export interface AgainstOptions {
  revision: string;
  rounds: number;
  /** Selection options for both sides (preset, cpus, filter, ...). */
  argv: string[];
  thresholdPct: number;
  scope?: GateScope[];
  json: boolean;
  log: (s: string) => void;
  outPath?: string;
  htmlPath?: string;
}

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 900_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

function tail(text: string, lines = 6): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Resolve REV, make (or reuse) its worktree with the current harness, install and build it. */
export async function prepareWorktree(revision: string, log: (s: string) => void): Promise<{ dir: string; sha: string }> {
  const rev = await sh('git', ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`], PACKAGE_ROOT);
  if (rev.code !== 0) throw new Error(`'${revision}' is not a commit of the repository at ${PACKAGE_ROOT} (git rev-parse found nothing)`);
  const sha = rev.out.trim();
  const dir = join(tmpdir(), 'percpu-maps-against', sha.slice(0, 12));
  if (!existsSync(join(dir, '.git'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(tmpdir(), 'percpu-maps-against'), { recursive: true });
    await sh('git', ['worktree', 'prune'], PACKAGE_ROOT);
    log(`against: git worktree add ${dir} ${sha.slice(0, 12)}`);
    const add = await sh('git', ['worktree', 'add', '--detach', '--force', dir, sha], PACKAGE_ROOT);
    if (add.code !== 0) throw new Error(`git worktree add failed: ${tail(add.out, 3)}`);
  }
  // The same harness on both sides; the code under test is REV's.
  for (const rel of HARNESS) {
    const from = join(PACKAGE_ROOT, rel);
    if (existsSync(from)) cpSync(from, join(dir, rel), { recursive: true, force: true });
  }
  if (!existsSync(join(dir, 'node_modules'))) {
    log('against: npm ci in the worktree');
    // No scripts: 'prepare' would build before we can say why a build fails.
    const ci = await sh('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], dir);
    if (ci.code !== 0) throw new Error(`npm ci failed in ${dir}:\n${tail(ci.out)}`);
  }
  log('against: building the worktree');
  const build = await sh('npm', ['run', 'build', '--silent'], dir);
  if (build.code !== 0) throw new Error(`${revision} (${sha.slice(0, 12)}) does not build with the current bench harness copied in; its runtime may predate the APIs the harness uses:\n${tail(build.out)}`);
  return { dir, sha };
}

/** How to start the bench child of a tree: its built dist, or this process's own sources under tsx. */
function childCommand(root: string, fromSource: boolean): string[] {
  return fromSource ? ['--import', 'tsx', join(root, 'src', 'cli', 'bench-child.ts')] : [join(root, 'dist', 'cli', 'bench-child.js')];
}

function runChild(args: string[], label: string, log: (s: string) => void, onSpawn: (kill: () => void) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    onSpawn(() => child.kill('SIGINT'));
    let buf = '';
    child.stderr.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.search(/[\n\r]/)) >= 0) {
        const line = buf.slice(0, i).replace(/\x1b\[K/g, '');
        buf = buf.slice(i + 1);
        if (line.trim()) log(`  ${label} ${line}`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve(code ?? (sig === 'SIGINT' ? 130 : 1)));
  });
}

/** Pool the samples of several results of one side, row by row. */
export function pool(results: BenchResult[]): BenchResult {
  const first = results[0]!;
  const rows = new Map<string, Row>();
  for (const r of results) {
    for (const row of r.rows) {
      const key = `${row.side}:${row.id}`;
      const have = rows.get(key);
      if (!have) rows.set(key, { ...row, samples: [...row.samples] });
      else if (row.status === 'measured') {
        have.samples.push(...row.samples);
        if (have.status !== 'measured') { have.status = 'measured'; delete have.reason; }
      }
    }
  }
  for (const row of rows.values()) {
    if (row.status === 'measured') row.summary = summarize(row.samples, row.group === 'counter');
  }
  return {
    ...first,
    durationSec: results.reduce((a, r) => a + r.durationSec, 0),
    settings: { ...first.settings, samples: results.reduce((a, r) => a + r.settings.samples, 0) },
    interrupted: results.find((r) => r.interrupted)?.interrupted ?? null,
    rows: [...rows.values()],
  };
}

export async function runAgainst(o: AgainstOptions): Promise<number> {
  const fromSource = import.meta.url.endsWith('.ts');
  const { dir, sha } = await prepareWorktree(o.revision, o.log);
  if (!fromSource) {
    // B is this tree as it is now: build it so dist matches the sources.
    o.log('against: building this tree');
    const build = await sh('npm', ['run', 'build', '--silent'], PACKAGE_ROOT);
    if (build.code !== 0) throw new Error(`this tree does not build:\n${tail(build.out)}`);
  }
  const sides = { A: childCommand(dir, fromSource), B: childCommand(PACKAGE_ROOT, fromSource) };
  // Split the preset's samples over the rounds unless --samples was given.
  const perRound = o.argv.includes('--samples') ? [] : ['--samples', String(Math.max(2, Math.ceil((o.argv.includes('--smoke') ? 2 : o.argv.includes('--quick') ? 5 : 10) / o.rounds)))];
  const work = join(tmpdir(), 'percpu-maps-against', `run-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const results: Record<'A' | 'B', BenchResult[]> = { A: [], B: [] };
  let kill: (() => void) | null = null;
  const guard = guardSignals(() => ({ stop: () => kill?.() }));
  try {
    for (let r = 0; r < o.rounds && !guard.received; r++) {
      for (const side of (r % 2 === 0 ? ['A', 'B'] : ['B', 'A']) as ('A' | 'B')[]) {
        if (guard.received) break;
        const out = join(work, `${side}-${r}.json`);
        o.log(`against: round ${r + 1}/${o.rounds}, ${side} = ${side === 'A' ? `${o.revision} (${sha.slice(0, 12)})` : 'this tree'}`);
        const code = await runChild([...sides[side], ...o.argv, ...perRound, '--out', out, '--no-html'], side, o.log, (k) => { kill = k; });
        kill = null;
        if (!existsSync(out)) throw new Error(`the ${side} side exited with ${code} and wrote no result`);
        results[side].push(parseResult(out, readFileSync(out, 'utf8')));
      }
    }
  } finally {
    guard.dispose();
  }
  if (results.A.length === 0 || results.B.length === 0) throw new Error('interrupted before both sides ran once; nothing to compare');
  const a = pool(results.A);
  const b = pool(results.B);
  const report = gate(a, b, { threshold: o.thresholdPct / 100, scope: o.scope ?? ['rows', 'ratios'] });
  const baseLabel = `${o.revision} (${sha.slice(0, 12)}), interleaved in ${results.B.length} round(s)`;
  const stamp = new Date(b.createdAt).toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  const outPath = o.outPath ?? join(resultsDir(), `${stamp}-against-${sha.slice(0, 12)}.json`);
  mkdirSync(join(outPath, '..'), { recursive: true });
  writeFileSync(outPath, JSON.stringify(b, null, 1) + '\n');
  writeFileSync(outPath.replace(/\.json$/, '') + '.base.json', JSON.stringify(a, null, 1) + '\n');
  const htmlPath = o.htmlPath ?? outPath.replace(/\.json$/, '') + '.html';
  writeFileSync(htmlPath, renderHtml(b, { report, baseLabel }));
  if (o.json) process.stdout.write(JSON.stringify({ current: b, base: a, comparison: report }, null, 1) + '\n');
  else {
    process.stdout.write(renderResult(b) + '\n\n' + renderComparison(report, baseLabel, o.thresholdPct) + '\n');
    process.stdout.write(`\nwrote ${outPath} (this tree), ${outPath.replace(/\.json$/, '')}.base.json (${o.revision}), ${htmlPath}\n`);
  }
  rmSync(work, { recursive: true, force: true });
  return guard.exitCode(report.exitCode);
}
