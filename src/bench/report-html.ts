// The benchmark's HTML report: one self-contained file (inline CSS and SVG, no network) that a
// person opens in a browser. Charts: events/s against CPUs per strategy on a log scale with ours,
// plain JS and the kernel side by side; our rate against the references; map operations. A small
// inline script checks, once the page is laid out, that every chart has a real size and its
// points, and records the verdict on <html data-rendered>, which the headless-browser test reads.

import { withinRunRatios, type GateReport } from './compare.js';
import type { BenchResult, Row, Side } from './schema.js';
import { checkGoals, goalsApply } from './goals.js';
import { fmtM } from './table.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const SIDE_STYLE: Record<Side, { color: string; dash: string; name: string }> = {
  ours: { color: '#1f6feb', dash: '', name: 'ours (runtime)' },
  plain: { color: '#2da44e', dash: '6 3', name: 'plain JS' },
  kernel: { color: '#cf222e', dash: '2 3', name: 'kernel (BPF_PROG_TEST_RUN)' },
  limit: { color: '#8250df', dash: '1 2', name: 'C threads' },
};
const PALETTE = ['#1f6feb', '#cf222e', '#2da44e', '#8250df', '#bf8700', '#0a7a8a', '#d4387e', '#6e7781', '#953800'];

interface Point {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

interface Series {
  name: string;
  color: string;
  dash: string;
  points: Point[];
}

/** 1, 2, 5 x 10^k ticks covering [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
}

function fmtTick(v: number): string {
  if (v >= 1e9) return `${v / 1e9}G`;
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(Math.round(v * 1000) / 1000);
}

/** A line chart with a categorical x axis (CPU counts) and a log y axis. */
function lineChart(title: string, xs: number[], series: Series[], shadeFrom: number | null, yLabel: string, width = 360, height = 240, legendRight = false): string {
  const pts = series.flatMap((s) => s.points);
  if (pts.length === 0) return '';
  const ys = pts.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]).filter((v) => v > 0);
  let lo = Math.min(...ys) / 1.3;
  let hi = Math.max(...ys) * 1.3;
  if (hi / lo < 10) {
    const mid = Math.sqrt(lo * hi);
    lo = mid / Math.sqrt(10);
    hi = mid * Math.sqrt(10);
  }
  const m = { l: 52, r: legendRight ? 200 : 10, t: 28, b: 40 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const X = (x: number) => m.l + (xs.length === 1 ? w / 2 : (xs.indexOf(x) / (xs.length - 1)) * w);
  const Y = (y: number) => m.t + h - ((Math.log(y) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * h;
  const parts: string[] = [`<text x="${width / 2}" y="16" class="title">${esc(title)}</text>`];
  if (shadeFrom !== null) {
    const i = xs.findIndex((x) => x >= shadeFrom);
    if (i >= 0) {
      const x0 = i === 0 ? m.l : (X(xs[i - 1]!) + X(xs[i]!)) / 2;
      parts.push(`<rect x="${x0}" y="${m.t}" width="${m.l + w - x0 + 6}" height="${h}" class="oversub"><title>more simulated CPUs than cores</title></rect>`);
    }
  }
  for (const t of logTicks(lo, hi)) parts.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${Y(t)}" y2="${Y(t)}" class="grid"/><text x="${m.l - 4}" y="${Y(t) + 4}" class="ytick">${fmtTick(t)}</text>`);
  for (const x of xs) parts.push(`<text x="${X(x)}" y="${m.t + h + 16}" class="xtick">${x}</text>`);
  parts.push(`<text x="${m.l + w / 2}" y="${height - 6}" class="axis">simulated CPUs</text>`);
  parts.push(`<text transform="translate(12 ${m.t + h / 2}) rotate(-90)" class="axis">${esc(yLabel)}</text>`);
  for (const s of series) {
    const sorted = [...s.points].sort((a, b) => xs.indexOf(a.x) - xs.indexOf(b.x));
    if (sorted.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}" points="${sorted.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of sorted) {
      if (p.lo !== undefined && p.hi !== undefined && p.lo > 0) parts.push(`<line x1="${X(p.x)}" x2="${X(p.x)}" y1="${Y(p.lo)}" y2="${Y(p.hi)}" stroke="${s.color}" stroke-width="1.5"/>`);
      parts.push(`<circle class="pt" cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(s.name)} @${p.x}: ${fmtM(p.y)} M/s</title></circle>`);
    }
  }
  // Panels share the legend above them; a chart of its own carries one on its right.
  const legend = !legendRight ? [] : series.map((s, i) => `<g transform="translate(${m.l + w + 16} ${m.t + 10 + i * 14})"><line x1="0" x2="18" y1="0" y2="0" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/><text x="22" y="4" class="legend">${esc(s.name)}</text></g>`);
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">${parts.join('')}${legend.join('')}</svg>`;
}

/** Horizontal bars on a log axis; `ref` draws a reference line (1x for ratios). */
function barChart(title: string, bars: { label: string; value: number; lo?: number; hi?: number; color: string }[], unit: string, ref: number | null, width = 760): string {
  const ok = bars.filter((b) => b.value > 0);
  if (ok.length === 0) return '';
  const rowH = 18;
  const m = { l: 300, r: 70, t: 28, b: 30 };
  const height = m.t + m.b + ok.length * rowH;
  const vals = ok.flatMap((b) => [b.value, b.lo ?? b.value, b.hi ?? b.value]).concat(ref !== null ? [ref] : []).filter((v) => v > 0);
  let lo = Math.min(...vals) / 1.5;
  let hi = Math.max(...vals) * 1.5;
  if (hi / lo < 10) { const mid = Math.sqrt(lo * hi); lo = mid / Math.sqrt(10); hi = mid * Math.sqrt(10); }
  const w = width - m.l - m.r;
  const X = (v: number) => m.l + ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * w;
  const parts = [`<text x="${width / 2}" y="16" class="title">${esc(title)}</text>`];
  for (const t of logTicks(lo, hi)) parts.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.t}" y2="${height - m.b}" class="grid"/><text x="${X(t)}" y="${height - m.b + 14}" class="xtick">${fmtTick(t)}</text>`);
  ok.forEach((b, i) => {
    const y = m.t + i * rowH;
    parts.push(`<text x="${m.l - 6}" y="${y + 13}" class="blabel">${esc(b.label)}</text>`);
    parts.push(`<rect class="pt" x="${X(lo)}" y="${y + 3}" width="${Math.max(1, X(b.value) - X(lo)).toFixed(1)}" height="${rowH - 6}" fill="${b.color}"><title>${esc(b.label)}: ${b.value.toPrecision(3)} ${esc(unit)}</title></rect>`);
    if (b.lo !== undefined && b.hi !== undefined && b.lo > 0) parts.push(`<line x1="${X(b.lo)}" x2="${X(b.hi)}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="#222" stroke-width="1.2"/>`);
    parts.push(`<text x="${X(b.value) + 4}" y="${y + 13}" class="bval">${b.value >= 100 ? b.value.toFixed(0) : b.value.toPrecision(3)}</text>`);
  });
  if (ref !== null) parts.push(`<line x1="${X(ref)}" x2="${X(ref)}" y1="${m.t - 4}" y2="${height - m.b}" stroke="#000" stroke-dasharray="4 2"/>`);
  parts.push(`<text x="${m.l + w / 2}" y="${height - 4}" class="axis">${esc(unit)} (log scale)</text>`);
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg>`;
}

function point(r: Row | undefined): Point | null {
  if (!r?.summary || r.status !== 'measured') return null;
  return { x: r.cpus, y: r.summary.rate, lo: r.summary.rateLo, hi: r.summary.rateHi };
}

function counterCharts(result: BenchResult): string {
  const counters = result.rows.filter((r) => r.group === 'counter');
  if (counters.length === 0) return '';
  const xs = [...new Set(counters.map((r) => r.cpus))].sort((a, b) => a - b);
  const cores = result.env.cores;
  const shade = xs.some((x) => x > cores) ? xs.find((x) => x > cores)! : null;
  const strategies = [...new Set(counters.filter((r) => r.side !== 'kernel').map((r) => String(r.params.strategy)))];
  const panels: string[] = [];
  for (const s of strategies) {
    const rows = counters.filter((r) => r.params.strategy === s);
    const label = rows[0]?.label ?? s;
    const series: Series[] = [];
    for (const side of ['ours', 'plain'] as const) {
      const pts = rows.filter((r) => r.side === side).map(point).filter((p): p is Point => p !== null);
      if (pts.length) series.push({ ...SIDE_STYLE[side], points: pts });
    }
    const kernelIds = new Set(rows.map((r) => r.params.kernel));
    const kpts = counters.filter((r) => r.side === 'kernel' && kernelIds.has(r.id)).map(point).filter((p): p is Point => p !== null);
    if (kpts.length) series.push({ ...SIDE_STYLE.kernel, points: kpts });
    panels.push(lineChart(label, xs, series, shade, 'events/s'));
  }
  const all: Series[] = strategies.map((s, i) => ({
    name: counters.find((r) => r.params.strategy === s)?.label ?? s, color: PALETTE[i % PALETTE.length]!, dash: '',
    points: counters.filter((r) => r.side === 'ours' && r.params.strategy === s).map(point).filter((p): p is Point => p !== null),
  })).filter((s) => s.points.length > 0);
  const overview = all.length ? lineChart('ours: every strategy', xs, all, shade, 'events/s', 760, 360, true) : '';
  return `<h2>Counters: events/s against simulated CPUs (log scale)</h2>
<p>Median of the samples with its 95% interval; shaded: more simulated CPUs than the host's ${cores} cores. In the panels: <span style="color:${SIDE_STYLE.ours.color}">&#9473; ours</span>, <span style="color:${SIDE_STYLE.plain.color}">&#9476; plain JS</span> (the same per-event work by hand, no runtime), <span style="color:${SIDE_STYLE.kernel.color}">&#8943; the kernel</span> (the same program as eBPF through BPF_PROG_TEST_RUN, one thread per real CPU).</p>
${overview}
<div class="grid">${panels.join('\n')}</div>`;
}

function ratioChart(result: BenchResult): string {
  const ratios = withinRunRatios(result).filter((r) => r.def.id.startsWith('ours/'));
  if (ratios.length === 0) return '';
  const bars = ratios.map((r) => ({ label: r.def.label, value: r.ratio, ...(Number.isFinite(r.lo) ? { lo: r.lo, hi: r.hi } : {}), color: r.def.id.startsWith('ours/kernel') ? SIDE_STYLE.kernel.color : SIDE_STYLE.plain.color }));
  return `<h2>Our rate against the references</h2><p>Ratio of rates in this run (1x: as fast as the reference; left of the dashed line: slower).</p>${barChart('ours / reference', bars, 'ratio', 1)}`;
}

function groupChart(result: BenchResult, group: 'map' | 'user', title: string, unit: string): string {
  const rows = result.rows.filter((r) => r.group === group && r.summary && r.status === 'measured');
  if (rows.length === 0) return '';
  const bars = rows.map((r, i) => ({ label: `${r.label}${r.cpus ? ` @${r.cpus}` : ''}`, value: r.summary!.rate / 1e6, lo: r.summary!.rateLo / 1e6, hi: r.summary!.rateHi / 1e6, color: PALETTE[(group === 'map' ? r.cpus : i) % PALETTE.length]! }));
  return `<h2>${esc(title)}</h2>${barChart(title, bars, unit, null)}`;
}

function dataTable(result: BenchResult): string {
  const rows = result.rows.map((r) => {
    const s = r.summary;
    return `<tr class="${r.status}"><td>${r.side}</td><td>${esc(r.id)}</td><td>${esc(r.label)}</td><td>${r.cpus || ''}${r.oversubscribed ? '*' : ''}</td>` +
      (s ? `<td>${fmtM(s.rate)}</td><td>${fmtM(s.rateLo)}–${fmtM(s.rateHi)}</td><td>${s.nsPerEvent.toFixed(2)}</td><td>${s.lostPercent === undefined ? '' : s.lostPercent.toFixed(2)}</td><td>${s.n}</td>` : `<td colspan="5">${esc(r.reason ?? '')}</td>`) + '</tr>';
  });
  return `<h2>All rows</h2><table><thead><tr><th>side</th><th>id</th><th>what</th><th>CPUs</th><th>M/s</th><th>95% interval</th><th>ns/event</th><th>lost %</th><th>samples</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function targetsTable(result: BenchResult): string {
  if (!goalsApply(result)) return '';
  const rows = checkGoals(result).map((t) => `<tr class="t-${t.status.replace(' ', '-')}"><td>${esc(t.name)}</td><td>${t.status}</td><td>${esc(t.value)}</td></tr>`);
  return `<h2>Goals (ratios of rows measured in this run)</h2><table><thead><tr><th>goal</th><th>status</th><th>measured</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function comparisonTable(report: GateReport, baseLabel: string): string {
  const line = (c: GateReport['rows'][number]) => `<tr class="v-${c.verdict}"><td>${esc(c.label)}</td><td>${c.kind === 'row' ? fmtM(c.base) : c.base.toFixed(3)}</td><td>${c.kind === 'row' ? fmtM(c.current) : c.current.toFixed(3)}</td><td>${c.changePct >= 0 ? '+' : ''}${c.changePct.toFixed(1)}%</td><td>${c.stars}</td><td>${Number.isFinite(c.loPct) ? `${c.loPct.toFixed(1)} … ${c.hiPct.toFixed(1)}` : ''}</td><td>${c.verdict}</td></tr>`;
  return `<h2>Comparison with ${esc(baseLabel)}</h2><p>${esc(report.scopeNote)}. ${report.regressions.length ? `<strong>${report.regressions.length} regression(s)</strong>` : 'No regression beyond the threshold with ** or more.'}</p>
<table><thead><tr><th></th><th>baseline</th><th>current</th><th>change</th><th></th><th>95% interval (%)</th><th>verdict</th></tr></thead><tbody>${[...report.rows, ...report.ratios].map(line).join('')}</tbody></table>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1f2328;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
.grid{display:flex;flex-wrap:wrap;gap:8px}
svg.chart{background:#fff;border:1px solid #d0d7de;border-radius:6px}
svg .title{font-size:13px;font-weight:600;text-anchor:middle}
svg .ytick{font-size:10px;text-anchor:end;fill:#57606a}svg .xtick{font-size:10px;text-anchor:middle;fill:#57606a}
svg .axis{font-size:11px;text-anchor:middle;fill:#57606a}svg .legend{font-size:10px}
svg .blabel{font-size:11px;text-anchor:end}svg .bval{font-size:10px;fill:#57606a}
svg .grid{stroke:#eaeef2}svg .oversub{fill:#fff8c5;opacity:.7}
table{border-collapse:collapse;font-size:12px;margin-top:8px}td,th{border:1px solid #d0d7de;padding:3px 6px;text-align:right}
td:nth-child(-n+3),th{text-align:left}tr.not-measured{color:#6e7781}
tr.v-regressed td,tr.t-missed td{background:#ffebe9}tr.v-improved td,tr.t-met td{background:#dafbe1}
pre{background:#f6f8fa;padding:8px;font-size:12px;overflow:auto}`;

const CHECK = `addEventListener('load',function(){var s=[].slice.call(document.querySelectorAll('svg.chart'));var n=0;
var ok=s.length>0&&s.every(function(c){var b=c.getBoundingClientRect();var p=c.querySelectorAll('.pt').length;n+=p;return b.width>0&&b.height>0&&p>0&&c.getBBox().width>0;});
var d=document.documentElement.dataset;d.rendered=ok?'ok':'failed';d.charts=String(s.length);d.points=String(n);});`;

/** The report as one HTML document. */
export function renderHtml(result: BenchResult, comparison?: { report: GateReport; baseLabel: string }): string {
  const e = result.env;
  const env = [
    ['commit', e.commit], ['created', result.createdAt], ['node', `${e.node} (V8 ${e.v8})`], ['CPU', `${e.cpuModel}, ${e.cores} cores`],
    ['OS', `${e.platform} ${e.osRelease} ${e.arch}`], ['piscina / tinybench', `${e.piscina} / ${e.tinybench}`], ['BPF JIT', e.bpfJit ?? 'unknown'],
    ['kernel reference', e.kernelReference],
    ['settings', `preset ${result.settings.preset}, ${result.settings.samples} samples of ~${result.settings.sampleMs} ms per row, ~${result.settings.warmupMs} ms warm-up in every thread`],
    ['run took', `${result.durationSec.toFixed(1)} s${result.interrupted ? `, interrupted by ${result.interrupted}` : ''}`],
  ].map(([k, v]) => `<tr><th>${esc(k!)}</th><td style="text-align:left">${esc(v!)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>percpu-maps bench ${esc(e.commit.slice(0, 12))}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${CSS}</style></head>
<body><h1>percpu-maps benchmark</h1>
<table>${env}</table>
${comparison ? comparisonTable(comparison.report, comparison.baseLabel) : ''}
${targetsTable(result)}
${counterCharts(result)}
${ratioChart(result)}
${groupChart(result, 'map', 'Map operations from handlers (million events/s)', 'M events/s')}
${groupChart(result, 'user', 'User space in the coordinator (million ops/s; dump: million entries/s)', 'M ops/s')}
${dataTable(result)}
<script>${CHECK}</script>
</body></html>
`;
}
