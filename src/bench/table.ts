// The benchmark's terminal output: the counter matrix with its references side by side, map
// operations, user-space rows, within-run ratios, the issue's targets, and a comparison.

import { fmtFixed, table } from './format.js';
import { withinRunRatios, type Comparison, type GateReport } from './compare.js';
import type { BenchResult, Row, Side } from './schema.js';
import { checkTargets } from './targets.js';

/** Millions per second with 3 significant digits. */
export function fmtM(rate: number): string {
  const m = rate / 1e6;
  return m >= 100 ? m.toFixed(0) : m >= 10 ? m.toFixed(1) : m >= 1 ? m.toFixed(2) : m.toFixed(3);
}

function cell(r: Row | undefined, withCi: boolean): string {
  if (!r) return '';
  if (r.status !== 'measured' || !r.summary) return '—';
  const s = r.summary;
  return withCi ? `${fmtM(s.rate)} [${fmtM(s.rateLo)}–${fmtM(s.rateHi)}]` : fmtM(s.rate);
}

function ratio(a: Row | undefined, b: Row | undefined): string {
  if (!a?.summary || !b?.summary) return '';
  return `${fmtFixed(a.summary.rate / b.summary.rate, 2)}x`;
}

function find(result: BenchResult, side: Side, id: string): Row | undefined {
  return result.rows.find((r) => r.side === side && r.id === id);
}

export function renderCounters(result: BenchResult): string {
  const ours = result.rows.filter((r) => r.group === 'counter' && r.side === 'ours');
  const plainOnly = ours.length === 0 ? result.rows.filter((r) => r.group === 'counter' && r.side === 'plain') : [];
  const body: string[][] = [];
  for (const r of ours.length ? ours : plainOnly) {
    const plain = find(result, 'plain', r.id);
    const kernel = typeof r.params.kernel === 'string' ? find(result, 'kernel', r.params.kernel) : undefined;
    const o = r.side === 'ours' ? r : undefined;
    const lost = o?.summary?.lostPercent;
    body.push([
      r.label + (o?.samples.some((s) => s.capped) ? ' (capped)' : ''),
      `${r.cpus}${r.oversubscribed ? '*' : ''}`,
      cell(o, true),
      o?.summary ? fmtFixed(o.summary.nsPerEvent, 1) : '',
      lost === undefined ? '' : fmtFixed(lost, 2),
      cell(plain, false),
      cell(kernel, false),
      ratio(o, plain),
      ratio(o, kernel),
    ]);
  }
  const kernelOnly = result.rows.filter((r) => r.side === 'kernel' && r.group === 'counter' && !ours.some((o) => o.params.kernel === r.id));
  for (const k of kernelOnly) body.push([`${k.label} (kernel only)`, String(k.cpus), '', '', '', '', cell(k, false), '', '']);
  if (body.length === 0) return '';
  const own = result.rows.filter((r) => r.side === 'kernel' && typeof r.params.kernelNsPerRun === 'number')
    .map((r) => `${r.label} @${r.cpus} ${fmtFixed(r.params.kernelNsPerRun as number, 0)}`);
  return [
    'counters: million events/s (median [95% interval]); * = more simulated CPUs than cores',
    table(['strategy', 'CPUs', 'ours M/s', 'ns/event', 'lost %', 'plain JS', 'kernel', 'ours/plain', 'ours/kernel'], body, [0]),
    ...(own.length ? [`kernel's own ns per run (BPF_PROG_TEST_RUN duration, ${String(result.rows.find((r) => r.side === 'kernel')?.params.hook ?? 'tc')} programs): ${own.join(', ')}`] : []),
  ].join('\n');
}

function renderGroup(result: BenchResult, group: 'map' | 'user', title: string): string {
  const rows = result.rows.filter((r) => r.group === group && r.status === 'measured');
  if (rows.length === 0) return '';
  const lost = rows.some((r) => r.samples.some((s) => (s.lost ?? 0) > 0));
  const body = rows.map((r) => [
    r.label, r.cpus ? `${r.cpus}${r.oversubscribed ? '*' : ''}` : '', cell(r, true), r.summary ? fmtFixed(r.summary.nsPerEvent, 1) : '',
    ...(lost ? [String(r.samples.reduce((a, s) => a + (s.lost ?? 0), 0))] : []),
  ]);
  const unit = rows[0]!.unit === 'event' ? 'event' : 'op';
  return [title, table(['what', 'CPUs', `M ${unit}s/s`, `ns/${unit}`, ...(lost ? ['lost'] : [])], body, [0])].join('\n');
}

export function renderNotMeasured(result: BenchResult): string {
  const byReason = new Map<string, string[]>();
  for (const r of result.rows) {
    if (r.status !== 'not-measured') continue;
    const list = byReason.get(r.reason ?? '') ?? [];
    list.push(`${r.side} ${r.label}${r.cpus ? ` @${r.cpus}` : ''}`);
    byReason.set(r.reason ?? '', list);
  }
  if (byReason.size === 0) return '';
  const out = ['not measured:'];
  for (const [reason, rows] of byReason) out.push(`  - ${reason}: ${rows.length > 4 ? `${rows.slice(0, 3).join(', ')} and ${rows.length - 3} more` : rows.join(', ')}`);
  return out.join('\n');
}

export function renderRatios(result: BenchResult): string {
  const ratios = withinRunRatios(result);
  if (ratios.length === 0) return '';
  const body = ratios.map((r) => [r.def.label, `${fmtFixed(r.ratio, 3)}`, Number.isFinite(r.lo) ? `[${fmtFixed(r.lo, 3)}–${fmtFixed(r.hi, 3)}]` : '']);
  return ['ratios within this run (rate / rate, geometric means, 95% interval):', table(['ratio', 'value', '95% interval'], body, [0])].join('\n');
}

export function renderTargets(result: BenchResult, cpus = 2): string {
  const body = checkTargets(result, cpus).map((t) => [t.name, t.status, t.value]);
  return [`issue 5 targets (this run, ${cpus} simulated CPUs):`, table(['target', 'status', 'measured'], body, [0, 1, 2])].join('\n');
}

function fmtValue(c: Comparison): string {
  return c.kind === 'row' ? fmtM(c.base) : fmtFixed(c.base, 3);
}

export function renderComparison(report: GateReport, baseLabel: string, thresholdPct: number): string {
  const line = (c: Comparison) => [
    c.label, fmtValue(c), c.kind === 'row' ? fmtM(c.current) : fmtFixed(c.current, 3),
    `${c.changePct >= 0 ? '+' : ''}${fmtFixed(c.changePct, 1)}%`, c.stars,
    Number.isFinite(c.loPct) ? `[${fmtFixed(c.loPct, 1)}, ${fmtFixed(c.hiPct, 1)}]` : '',
    c.verdict,
  ];
  const head = ['', 'baseline', 'current', 'change', '', '95% interval (%)', 'verdict'];
  const out = [`comparison with ${baseLabel} (change: + is faster; * p<0.05, ** p<0.01, *** p<0.001, Welch t-test on log times; threshold ${thresholdPct}%)`];
  if (report.rows.length) out.push('rows (M events/s, geometric means; plain JS and kernel rows are controls, never gated):', table(head, report.rows.map(line), [0, 4, 6]));
  if (report.ratios.length) out.push('', 'ratios within each run:', table(head, report.ratios.map(line), [0, 4, 6]));
  out.push('', report.scopeNote);
  out.push(report.regressions.length
    ? `REGRESSED (${report.regressions.length}): ${report.regressions.map((c) => `${c.label} ${fmtFixed(c.changePct, 1)}% ${c.stars}`).join('; ')}`
    : 'no regression beyond the threshold with ** or more');
  return out.join('\n');
}

/** The whole terminal report of a run. */
export function renderResult(result: BenchResult): string {
  const e = result.env;
  const parts = [
    `percpu-maps bench: ${e.cpuModel}, ${e.cores} cores, node ${e.node} (V8 ${e.v8}), ${e.platform} ${e.osRelease}, commit ${e.commit.slice(0, 12)}${e.commit.endsWith('+dirty') ? '+dirty' : ''}`,
    `preset ${result.settings.preset}: ${result.settings.samples} samples of ~${result.settings.sampleMs} ms per row after ~${result.settings.warmupMs} ms of warm-up in every thread; kernel reference: ${e.kernelReference}`,
    renderCounters(result),
    renderGroup(result, 'map', 'map operations from handlers: million events/s (one event = the ops named)'),
    renderGroup(result, 'user', 'user space, in the coordinator: million ops/s (dump: entries/s)'),
    renderRatios(result),
    result.rows.some((r) => r.group === 'counter') ? renderTargets(result) : '',
    renderNotMeasured(result),
  ];
  if (result.interrupted) parts.push(`interrupted by ${result.interrupted}: the tables show the rows measured until then.`);
  return parts.filter((p) => p !== '').join('\n\n');
}
