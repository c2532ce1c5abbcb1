// The benchmark's HTML report: one self-contained file (inline CSS, data and scripts, no network)
// that a person opens in a browser. The charts are drawn in the page by Observable Plot (ISC
// licence, with d3, ISC), whose minified bundles are inlined from node_modules when the report is
// written (~490 KB): a maintained library gives every chart axes with readable ticks, a legend and
// tooltips, which the hand-built SVG before it did not. Charts: counters against CPUs per strategy
// (every side), ours for every strategy, ours / each reference per cell, and the map operations and
// user-space calls beside the kernel's. Once drawn, the page checks that every chart has a size and
// its marks, and records the verdict on <html data-rendered>, which the headless-browser test reads.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { withinRunRatios, type GateReport } from './compare.js';
import { checkGoals, goalsApply } from './goals.js';
import type { BenchResult, Row, RowGroup } from './schema.js';
import { SERIES_STYLES, seriesOf, styleOf } from './series.js';
import { fmtM } from './table.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A package's directory, from where Node resolves its entry (the bundles are not in its exports). */
function packageDir(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === name) return dir;
    } catch {
      // no package.json here: keep going up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the ${name} package's directory`);
    dir = up;
  }
}

let bundles: string | null = null;

/** d3 and Observable Plot's minified UMD bundles, read once; '</script' cannot end the inline script early. */
function chartLibrary(): string {
  bundles ??= [join(packageDir('d3'), 'dist', 'd3.min.js'), join(packageDir('@observablehq/plot'), 'dist', 'plot.umd.min.js')]
    .map((f) => readFileSync(f, 'utf8').replace(/<\/script/gi, '<\\/script'))
    .join('\n;\n');
  return bundles;
}

interface Point {
  /** Strategy id (counters) or row label (map, user). */
  key: string;
  label: string;
  cpus: number;
  series: string;
  rate: number;
  lo: number;
  hi: number;
}

function point(r: Row): Point | null {
  if (r.status !== 'measured' || !r.summary) return null;
  return {
    key: typeof r.params.strategy === 'string' ? r.params.strategy : r.id, label: r.label, cpus: r.cpus, series: styleOf(seriesOf(r)).title,
    rate: r.summary.rate, lo: r.summary.rateLo, hi: r.summary.rateHi,
  };
}

interface RatioPoint {
  group: RowGroup;
  cell: string;
  ref: string;
  value: number;
  lo: number;
  hi: number;
}

/** The data the page draws, as JSON. */
function chartData(result: BenchResult) {
  const measured = result.rows.map((r) => ({ r, p: point(r) })).filter((x): x is { r: Row; p: Point } => x.p !== null);
  const counters = measured.filter((x) => x.r.group === 'counter').map((x) => x.p);
  const strategies = [...new Map(result.rows.filter((r) => r.group === 'counter' && typeof r.params.strategy === 'string').map((r) => [String(r.params.strategy), r.label])).entries()]
    .map(([id, label]) => ({ id, label }));
  const cpus = [...new Set(result.rows.filter((r) => r.group === 'counter').map((r) => r.cpus))].sort((a, b) => a - b);
  const groupRows = (g: RowGroup) => measured.filter((x) => x.r.group === g).map((x) => ({ ...x.p, key: `${x.r.label}${x.r.cpus ? ` @${x.r.cpus}` : ''}` }));
  const byId = new Map(result.rows.map((r) => [`${r.side}:${r.id}`, r]));
  const ratios: RatioPoint[] = withinRunRatios(result).filter((v) => v.def.id.startsWith('ours/')).map((v) => {
    const num = byId.get(v.def.num)!;
    const den = byId.get(v.def.den)!;
    return { group: num.group, cell: `${num.label}${num.cpus ? ` @${num.cpus}` : ''}`, ref: styleOf(seriesOf(den)).title, value: v.ratio, lo: v.lo, hi: v.hi };
  });
  const series = Object.values(SERIES_STYLES).map((s) => ({ title: s.title, color: s.color }));
  return { counters, strategies, cpus, cores: result.env.cores, map: groupRows('map'), user: groupRows('user'), ratios, series };
}

/** The page's drawing code (runs in the browser, with d3 and Plot loaded before it). */
const DRAW = String.raw`
(function () {
  var D = JSON.parse(document.getElementById('bench-data').textContent);
  var color = {}; D.series.forEach(function (s) { color[s.title] = s.color; });
  var fmt = function (v) { return v >= 1e9 ? v / 1e9 + 'G' : v >= 1e6 ? v / 1e6 + 'M' : v >= 1e3 ? v / 1e3 + 'k' : String(+v.toPrecision(3)); };
  var fmtVal = function (v) { return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2); };
  var present = function (rows, key) { var out = []; rows.forEach(function (r) { if (out.indexOf(r[key]) < 0) out.push(r[key]); }); return out; };
  var order = D.series.map(function (s) { return s.title; });
  var colorScale = function (titles) {
    titles = order.filter(function (t) { return titles.indexOf(t) >= 0; });
    return { domain: titles, range: titles.map(function (t) { return color[t]; }), legend: true };
  };
  var mount = function (id, node) { var el = document.getElementById(id); if (el) { node.classList.add('chart'); el.append(node); } };
  var span = function (rows) {
    var lo = d3.min(rows, function (r) { return Math.min(r.rate, r.lo || r.rate); });
    var hi = d3.max(rows, function (r) { return Math.max(r.rate, r.hi || r.rate); });
    if (hi / lo < 10) { var mid = Math.sqrt(lo * hi); lo = mid / Math.sqrt(10); hi = mid * Math.sqrt(10); }
    return [lo / 1.4, hi * 1.4];
  };

  // Rates against CPUs on a log scale; the series of a CPU count sit side by side so whiskers never overlap.
  function cpuChart(title, rows, titles, colorOpt, width) {
    var n = titles.length, step = Math.min(0.12, 0.7 / Math.max(1, n));
    var data = rows.map(function (r) { return Object.assign({}, r, { xi: D.cpus.indexOf(r.cpus) + (titles.indexOf(r.series) - (n - 1) / 2) * step }); });
    var over = D.cpus.findIndex(function (c) { return c > D.cores; });
    var marks = [];
    if (over >= 0) marks.push(Plot.rect([{ x1: over - 0.5, x2: D.cpus.length - 0.5 }], { x1: 'x1', x2: 'x2', fill: '#fff3c4', title: function () { return 'more simulated CPUs than the host has cores'; } }));
    marks.push(
      Plot.gridY({ stroke: '#d0d7de', strokeOpacity: 0.7 }),
      Plot.ruleX(data, { x: 'xi', y1: 'lo', y2: 'hi', stroke: 'series', strokeWidth: 1.5 }),
      Plot.line(data, { x: 'xi', y: 'rate', z: 'series', stroke: 'series', strokeWidth: 1.5, sort: 'xi' }),
      Plot.dot(data, { x: 'xi', y: 'rate', fill: 'series', r: 3.5, title: function (d) { return d.series + ' @' + d.cpus + ': ' + fmtVal(d.rate / 1e6) + ' M/s [' + fmtVal(d.lo / 1e6) + '-' + fmtVal(d.hi / 1e6) + ']'; } })
    );
    return Plot.plot({
      title: title, width: width, height: 270, marginLeft: 50, marginRight: 12,
      x: { domain: [-0.5, D.cpus.length - 0.5], ticks: D.cpus.map(function (_, i) { return i; }), tickFormat: function (i) { return D.cpus[i]; }, label: 'simulated CPUs', labelAnchor: 'center', labelArrow: 'none' },
      y: { type: 'log', domain: span(rows), label: 'events/s', tickFormat: fmt, ticks: 5 },
      color: colorOpt,
      marks: marks,
    });
  }

  // Horizontal bars on a log axis for each key (one facet row each), one bar per series; the value sits past the whisker.
  function barChart(title, rows, unit, ref) {
    var keys = present(rows, 'key'), series = present(rows, 'series');
    var dom = span(rows), base = ref || dom[0];
    if (ref) { dom = [Math.min(dom[0], ref / 1.5), Math.max(dom[1], ref * 1.5)]; }
    var data = rows.map(function (r) {
      var right = r.rate >= base;
      return Object.assign({}, r, { right: right, end: right ? Math.max(r.rate, r.hi || r.rate) : Math.min(r.rate, r.lo || r.rate), text: fmtVal(r.rate / (ref ? 1 : 1e6)) + (ref ? 'x' : '') });
    });
    var marks = [
      Plot.gridX({ stroke: '#d0d7de', strokeOpacity: 0.7 }),
      Plot.barX(data, { x1: function () { return base; }, x2: 'rate', y: 'series', fy: 'key', fill: 'series', title: function (d) { return d.key + ', ' + d.series + ': ' + d.text; } }),
      Plot.ruleY(data, { x1: 'lo', x2: 'hi', y: 'series', fy: 'key', stroke: '#24292f', strokeWidth: 1, filter: function (d) { return d.lo > 0 && d.hi > 0; } }),
      // The value past the whisker's far end, so no whisker crosses it.
      Plot.text(data, { x: 'end', y: 'series', fy: 'key', text: 'text', textAnchor: 'start', dx: 4, fill: '#57606a', fontSize: 10, filter: function (d) { return d.right; } }),
      Plot.text(data, { x: 'end', y: 'series', fy: 'key', text: 'text', textAnchor: 'end', dx: -4, fill: '#57606a', fontSize: 10, filter: function (d) { return !d.right; } }),
    ];
    if (ref) marks.push(Plot.ruleX([ref], { stroke: '#24292f', strokeDasharray: '4,3' }));
    return Plot.plot({
      title: title, width: 900, marginLeft: 290, marginRight: 60, marginBottom: 40,
      height: 50 + keys.length * series.length * 15 + keys.length * 4,
      x: { type: 'log', domain: dom, label: unit, tickFormat: ref ? function (v) { return +v.toPrecision(2) + 'x'; } : fmt, ticks: 6, labelAnchor: 'center', labelArrow: 'none' },
      y: { axis: null, domain: series, padding: 0.12 },
      fy: { domain: keys, label: null, padding: 0.15 },
      facet: { marginLeft: 290 },
      color: colorScale(series),
      marks: marks,
    });
  }

  try {
    var all = present(D.counters, 'series');
    D.strategies.forEach(function (s, i) {
      var rows = D.counters.filter(function (r) { return r.key === s.id; });
      if (!rows.length) return;
      var titles = order.filter(function (t) { return present(rows, 'series').indexOf(t) >= 0; });
      mount('counter-panels', cpuChart(s.label, rows, titles, colorScale(titles), 375));
    });
    var ours = D.counters.filter(function (r) { return r.series === 'ours'; }).map(function (r) {
      var s = D.strategies.find(function (x) { return x.id === r.key; });
      return Object.assign({}, r, { series: s ? s.label : r.key });
    });
    if (ours.length) {
      var labels = D.strategies.map(function (s) { return s.label; }).filter(function (l) { return ours.some(function (r) { return r.series === l; }); });
      mount('counter-overview', cpuChart('ours: every strategy', ours, labels, { domain: labels, scheme: 'tableau10', legend: true }, 860));
    }
    ['counter', 'map', 'user'].forEach(function (g) {
      var rows = D.ratios.filter(function (r) { return r.group === g; }).map(function (r) { return { key: r.cell, series: r.ref, rate: r.value, lo: r.lo, hi: r.hi }; });
      if (rows.length) mount('ratios-' + g, barChart({ counter: 'counters', map: 'map operations from handlers', user: 'user-space calls' }[g] + ': ours / reference', rows, 'ours / reference (log scale; right of the dashed line: ours is faster)', 1));
    });
    if (D.map.length) mount('map-chart', barChart('map operations from handlers', D.map, 'events/s (log scale)', null));
    if (D.user.length) mount('user-chart', barChart('user-space calls', D.user, 'calls/s; batch and dump: entries/s (log scale)', null));
    var figs = [].slice.call(document.querySelectorAll('.chart'));
    var points = 0;
    var ok = figs.length > 0 && figs.every(function (f) {
      var svg = f.querySelector('svg:not(.legend) , svg');
      var svgs = [].slice.call(f.querySelectorAll('svg')).filter(function (s) { return s.querySelector('[aria-label]'); });
      var marks = 0;
      svgs.forEach(function (s) { marks += s.querySelectorAll('g[aria-label="dot"] circle, g[aria-label="bar"] rect').length; });
      points += marks;
      var b = f.getBoundingClientRect();
      return svg && b.width > 0 && b.height > 0 && marks > 0 && f.querySelector('.legend, [class$="-swatches"], [class*="swatch"]') !== null;
    });
    var d = document.documentElement.dataset;
    d.rendered = ok ? 'ok' : 'failed'; d.charts = String(figs.length); d.points = String(points);
  } catch (e) {
    document.documentElement.dataset.rendered = 'failed';
    document.documentElement.dataset.error = String(e && e.message || e);
    var p = document.createElement('p'); p.className = 'error'; p.textContent = 'The charts could not be drawn: ' + e; document.body.prepend(p);
  }
})();
`;

function dataTable(result: BenchResult): string {
  const rows = result.rows.map((r) => {
    const s = r.summary;
    return `<tr class="${r.status}"><td>${esc(styleOf(seriesOf(r)).title)}</td><td>${esc(r.id)}</td><td>${esc(r.label)}</td><td>${r.cpus || ''}${r.oversubscribed ? '*' : ''}</td>` +
      (s ? `<td>${fmtM(s.rate)}</td><td>${fmtM(s.rateLo)}–${fmtM(s.rateHi)}</td><td>${s.nsPerEvent.toFixed(2)}</td><td>${s.lostPercent === undefined ? '' : s.lostPercent.toFixed(2)}</td><td>${s.n}</td>` : `<td colspan="5">${esc(r.reason ?? '')}</td>`) + '</tr>';
  });
  return `<h2>All rows</h2><table><thead><tr><th>side</th><th>id</th><th>what</th><th>CPUs</th><th>M/s</th><th>95% interval</th><th>ns/event</th><th>lost %</th><th>samples</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function goalsTable(result: BenchResult): string {
  if (!goalsApply(result)) return '';
  const rows = checkGoals(result).map((t) => `<tr class="g-${t.status.replace(' ', '-')}"><td>${esc(t.name)}</td><td>${t.status}</td><td>${esc(t.value)}</td></tr>`);
  return `<h2>Goals (ratios of rows measured in this run)</h2><table><thead><tr><th>goal</th><th>status</th><th>measured</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function comparisonTable(report: GateReport, baseLabel: string): string {
  const line = (c: GateReport['rows'][number]) => `<tr class="v-${c.verdict}${c.gated ? '' : ' ungated'}"><td>${esc(c.label)}</td><td>${c.kind === 'row' ? fmtM(c.base) : c.base.toFixed(3)}</td><td>${c.kind === 'row' ? fmtM(c.current) : c.current.toFixed(3)}</td><td>${c.changePct >= 0 ? '+' : ''}${c.changePct.toFixed(1)}%</td><td>${c.stars}</td><td>${Number.isFinite(c.loPct) ? `${c.loPct.toFixed(1)} … ${c.hiPct.toFixed(1)}` : ''}</td><td>${c.verdict}${c.gated ? '' : ' (not gated)'}</td></tr>`;
  return `<h2>Comparison with ${esc(baseLabel)}</h2><p>${esc(report.scopeNote)}. ${report.regressions.length ? `<strong>${report.regressions.length} regression(s)</strong>` : 'No regression beyond the threshold with ** or more.'}</p>
<table><thead><tr><th></th><th>baseline</th><th>current</th><th>change</th><th></th><th>95% interval (%)</th><th>verdict</th></tr></thead><tbody>${[...report.rows, ...report.ratios].map(line).join('')}</tbody></table>`;
}

function sidesList(result: BenchResult): string {
  const present = new Set(result.rows.map((r) => seriesOf(r)));
  const items = Object.entries(SERIES_STYLES).filter(([k]) => present.has(k))
    .map(([, s]) => `<li><span class="swatch" style="background:${s.color}"></span><b>${esc(s.title)}</b>: ${esc(s.what)}</li>`);
  return `<ul class="sides">${items.join('')}</ul>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1f2328;max-width:1300px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
.panels{display:flex;flex-wrap:wrap;gap:8px}
figure.chart{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px 10px;margin:8px 0}
figure.chart h2{font-size:13px;margin:0 0 4px}
.sides{list-style:none;padding:0}.sides li{margin:2px 0}.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
table{border-collapse:collapse;font-size:12px;margin-top:8px}td,th{border:1px solid #d0d7de;padding:3px 6px;text-align:right}
td:nth-child(-n+3),th{text-align:left}tr.not-measured{color:#6e7781}
tr.v-regressed td{background:#ffebe9}tr.v-improved td,tr.g-met td{background:#dafbe1}tr.g-not-met td{background:#fff8c5}tr.ungated td{color:#6e7781}
p.error{color:#cf222e;font-weight:600}`;

/** The report as one HTML document. */
export function renderHtml(result: BenchResult, comparison?: { report: GateReport; baseLabel: string }): string {
  const e = result.env;
  // The kernel's tools already have their own line.
  const tools = Object.entries(e.tools ?? {}).filter(([k]) => k !== 'kernel').map(([k, v]) => [`${k} side`, v]);
  const env = [
    ['commit', e.commit], ['created', result.createdAt], ['node', `${e.node} (V8 ${e.v8})`], ['CPU', `${e.cpuModel}, ${e.cores} cores`],
    ['OS', `${e.platform} ${e.osRelease} ${e.arch}`], ...(e.loadAverage ? [['load average (start, end)', e.loadAverage.join(', ')]] : []), ['piscina / tinybench', `${e.piscina} / ${e.tinybench}`], ['BPF JIT', e.bpfJit ?? 'unknown'],
    ['kernel reference', e.kernelReference], ...tools,
    ['settings', `preset ${result.settings.preset}, ${result.settings.samples} samples of ~${result.settings.sampleMs} ms per row (the rows of a cell sampled in turns), ~${result.settings.warmupMs} ms warm-up in every thread`],
    ['run took', `${result.durationSec.toFixed(1)} s${result.interrupted ? `, interrupted by ${result.interrupted}` : ''}`],
  ].map(([k, v]) => `<tr><th>${esc(k!)}</th><td style="text-align:left">${esc(v!)}</td></tr>`).join('');
  const has = (g: RowGroup) => result.rows.some((r) => r.group === g && r.status === 'measured');
  const data = JSON.stringify(chartData(result)).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>percpu-maps bench ${esc(e.commit.slice(0, 12))}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${CSS}</style></head>
<body><h1>percpu-maps benchmark</h1>
<table>${env}</table>
${sidesList(result)}
${comparison ? comparisonTable(comparison.report, comparison.baseLabel) : ''}
${goalsTable(result)}
${has('counter') ? `<h2>Counters: events/s against simulated CPUs (log scale)</h2>
<p>Median of the samples with its 95% interval; shaded: more simulated CPUs than the host's ${e.cores} cores.</p>
<div id="counter-overview"></div><div id="counter-panels" class="panels"></div>` : ''}
<h2>Our rate against the references (ratios within this run)</h2>
<div id="ratios-counter"></div><div id="ratios-map"></div><div id="ratios-user"></div>
${has('map') ? '<h2>Map operations from handlers</h2><div id="map-chart"></div>' : ''}
${has('user') ? '<h2>User-space calls</h2><div id="user-chart"></div>' : ''}
${dataTable(result)}
<script type="application/json" id="bench-data">${data}</script>
<script>${chartLibrary()}</script>
<script>${DRAW}</script>
</body></html>
`;
}
