// The benchmark's terminal output: the counter matrix, map operations and user-space calls, each
// with its references side by side, within-run ratios, the goals, and a comparison.

import { fmtFixed, table } from './format.js';
import { rateRatio, withinRunRatios, type Comparison, type GateReport } from './compare.js';
import { SIDES, type BenchResult, type Row, type RowGroup, type Side } from './schema.js';
import { checkGoals, goalsApply } from './goals.js';
import { styleOf } from './series.js';

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

/** ours / a reference: round by round within a cell (see rateRatio). */
function ratio(a: Row | undefined, b: Row | undefined): string {
  if (!a?.summary || !b?.summary) return '';
  return `${fmtFixed(rateRatio(a, b), 2)}x`;
}

function find(result: BenchResult, side: Side, id: string): Row | undefined {
  return result.rows.find((r) => r.side === side && r.id === id);
}

/** The reference columns a group has rows for: [series key, side, id suffix]. */
function references(result: BenchResult, group: RowGroup): { title: string; side: Side; suffix: string; ratio: boolean }[] {
  const rows = result.rows.filter((r) => r.group === group);
  const out: { title: string; side: Side; suffix: string; ratio: boolean }[] = [];
  for (const side of SIDES) {
    if (side === 'ours') continue;
    if (rows.some((r) => r.side === side && r.params.variant === undefined)) out.push({ title: styleOf(side).title, side, suffix: '', ratio: true });
    if (side === 'plain' && rows.some((r) => r.side === side && r.params.variant === 'floor')) out.push({ title: styleOf('plain-floor').title, side, suffix: '/floor', ratio: false });
  }
  return out;
}

/** One group's table: ours with its interval and ns per event, each reference's rate, and ours / each reference. */
function renderGroup(result: BenchResult, group: RowGroup, title: string): string {
  const ours = result.rows.filter((r) => r.group === group && r.side === 'ours');
  const refs = references(result, group);
  // Cells measured only by references (ours not selected) still get a line.
  const ids = [...new Set([...ours.map((r) => r.id), ...result.rows.filter((r) => r.group === group && r.side !== 'ours' && r.params.variant === undefined).map((r) => r.id)])];
  if (ids.length === 0) return '';
  const lostCol = group === 'counter' || result.rows.some((r) => r.group === group && r.samples.some((x) => (x.lost ?? 0) > 0));
  const ownCol = kernelOwnColumn(result, group);
  const body = ids.map((id) => {
    const o = find(result, 'ours', id);
    const any = o ?? result.rows.find((r) => r.id === id)!;
    const lost = o?.summary?.lostPercent ?? (o && lostCol ? lostPercent(o) : undefined);
    return [
      any.label + (o?.samples.some((s) => s.capped) ? ' (capped)' : ''),
      any.cpus ? `${any.cpus}${any.oversubscribed ? '*' : ''}` : '',
      cell(o, true),
      o?.summary ? fmtFixed(o.summary.nsPerEvent, 1) : '',
      ...(lostCol ? [lost === undefined ? '' : fmtFixed(lost, 2)] : []),
      ...refs.map((ref) => cell(find(result, ref.side, id + ref.suffix), false)),
      ...(ownCol ? [kernelOwn(find(result, 'kernel', id))] : []),
      ...refs.filter((ref) => ref.ratio).map((ref) => ratio(o, find(result, ref.side, id))),
    ];
  });
  const unit = group === 'counter' || group === 'map' ? 'event' : 'op';
  const head = ['what', 'CPUs', `ours M/s`, `ns/${unit}`, ...(lostCol ? ['lost %'] : []), ...refs.map((r) => r.title), ...(ownCol ? [KERNEL_OWN] : []), ...refs.filter((r) => r.ratio).map((r) => `ours/${r.title}`)];
  const note = ownCol ? `\n${KERNEL_OWN}: BPF_PROG_TEST_RUN's own mean per run, which leaves out the time its thread was scheduled away; on a busy machine it is far below the kernel's wall time per event (the kernel column), which is what ours is compared with` : '';
  return [title, table(head, body, [0]) + note].join('\n');
}

const KERNEL_OWN = 'kernel ns/run';

/** Whether a group's kernel rows carry the kernel's own ns per run. */
function kernelOwnColumn(result: BenchResult, group: RowGroup): boolean {
  return result.rows.some((r) => r.group === group && r.side === 'kernel' && typeof r.params.kernelNsPerRun === 'number');
}

function kernelOwn(r: Row | undefined): string {
  return typeof r?.params.kernelNsPerRun === 'number' ? fmtFixed(r.params.kernelNsPerRun, 0) : '';
}

function lostPercent(r: Row): number | undefined {
  const events = r.samples.reduce((a, s) => a + s.events, 0);
  if (!r.samples.some((s) => s.lost !== undefined) || events === 0) return undefined;
  return (100 * r.samples.reduce((a, s) => a + (s.lost ?? 0), 0)) / events;
}

export function renderCounters(result: BenchResult): string {
  return renderGroup(result, 'counter', 'counters: million events/s (ours: median [95% interval]); * = more simulated CPUs than cores');
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
  const body = ratios.map((r) => [r.def.label, `${fmtFixed(r.ratio, 3)}`, Number.isFinite(r.lo) ? `[${fmtFixed(r.lo, 3)}–${fmtFixed(r.hi, 3)}]` : '', r.def.portable ? 'any machine' : 'same machine']);
  return ['ratios within this run (rate / rate, geometric means, 95% interval; gated against a baseline from):', table(['ratio', 'value', '95% interval', 'gated vs'], body, [0, 3])].join('\n');
}

export function renderGoals(result: BenchResult, cpus = 2): string {
  const body = checkGoals(result, cpus).map((t) => [t.name, t.status, t.value]);
  return [`goals (ratios of rows measured in this run):`, table(['goal', 'status', 'measured'], body, [0, 1, 2])].join('\n');
}

function fmtValue(c: Comparison): string {
  return c.kind === 'row' ? fmtM(c.base) : fmtFixed(c.base, 3);
}

export function renderComparison(report: GateReport, baseLabel: string, thresholdPct: number): string {
  const line = (c: Comparison) => [
    c.label, fmtValue(c), c.kind === 'row' ? fmtM(c.current) : fmtFixed(c.current, 3),
    `${c.changePct >= 0 ? '+' : ''}${fmtFixed(c.changePct, 1)}%`, c.stars,
    Number.isFinite(c.loPct) ? `[${fmtFixed(c.loPct, 1)}, ${fmtFixed(c.hiPct, 1)}]` : '',
    c.gated ? c.verdict : `${c.verdict} (not gated)`,
  ];
  const head = ['', 'baseline', 'current', 'change', '', '95% interval (%)', 'verdict'];
  const out = [`comparison with ${baseLabel} (change: + is faster; * p<0.05, ** p<0.01, *** p<0.001, Welch t-test on log times; threshold ${thresholdPct}%)`];
  if (report.rows.length) out.push('rows (M events/s, geometric means; plain JS, kernel and C-thread rows are controls, never gated):', table(head, report.rows.map(line), [0, 4, 6]));
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
    `percpu-maps bench: ${e.cpuModel}, ${e.cores} cores, node ${e.node} (V8 ${e.v8}), ${e.platform} ${e.osRelease}, commit ${e.commit.slice(0, 12)}${e.commit.endsWith('+dirty') ? '+dirty' : ''}` +
      (e.loadAverage ? `; load average ${e.loadAverage.join(' -> ')} (other work on the machine${e.loadAverage.some((l) => l > e.cores / 2) ? ': absolute rates are not comparable, ratios within the run are' : ''})` : ''),
    `preset ${result.settings.preset}: ${result.settings.samples} samples of ~${result.settings.sampleMs} ms per row after ~${result.settings.warmupMs} ms of warm-up in every thread; kernel reference: ${e.kernelReference}`,
    renderCounters(result),
    renderGroup(result, 'map', 'map operations from handlers: million events/s (one event = the ops named; kernel: eBPF programs through BPF_PROG_TEST_RUN)'),
    renderGroup(result, 'user', 'user-space calls, in the coordinator: million calls/s (batch and dump: entries/s; kernel: bpf(2))'),
    renderRatios(result),
    goalsApply(result) ? renderGoals(result) : '',
    renderNotMeasured(result),
  ];
  if (result.interrupted) parts.push(`interrupted by ${result.interrupted}: the tables show the rows measured until then.`);
  return parts.filter((p) => p !== '').join('\n\n');
}

/** The README's figure tables (Markdown), from a result: every cell's rates and ours / each reference. */
export function renderMarkdown(result: BenchResult): string {
  const out: string[] = [];
  const rate = (r: Row | undefined) => (r?.status === 'measured' && r.summary ? fmtM(r.summary.rate) : r ? '—' : '');
  const md = (head: string[], rows: string[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  for (const group of ['counter', 'map', 'user'] as const) {
    const refs = references(result, group);
    const ids = [...new Set(result.rows.filter((r) => r.group === group && r.side === 'ours' && !r.oversubscribed).map((r) => r.id))];
    if (ids.length === 0) continue;
    const ownCol = kernelOwnColumn(result, group);
    const body = ids.map((id) => {
      const o = find(result, 'ours', id)!;
      return [
        `${o.label}${o.cpus ? ` @${o.cpus}` : ''}`, rate(o),
        ...refs.map((ref) => rate(find(result, ref.side, id + ref.suffix))),
        ...(ownCol ? [kernelOwn(find(result, 'kernel', id))] : []),
        ...refs.filter((ref) => ref.ratio).map((ref) => ratio(o, find(result, ref.side, id))),
      ];
    });
    const unit = group === 'user' ? 'M calls/s' : 'M events/s';
    out.push(md([group === 'counter' ? 'counter' : group === 'map' ? 'map operation from handlers' : 'user-space call', `ours ${unit}`, ...refs.map((r) => r.title), ...(ownCol ? [KERNEL_OWN] : []), ...refs.filter((r) => r.ratio).map((r) => `ours / ${r.title}`)], body));
  }
  return out.join('\n\n');
}
