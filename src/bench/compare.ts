// The regression gate: compare a run against a baseline row by row (change in %, Welch's t-test on
// log times, stars, verdict), and compare ratios measured within each run (ours / plain JS, ours /
// kernel, ours / C threads, spinlock / atomic, stride 8 / stride 128).
//
// Which comparisons the exit code looks at depends on where the baseline was measured. On the same
// kind of machine (CPU model and core count): every row of ours and every ratio. On another: only
// the portable ratios, ours / plain JS, which divide our code by the same work written by hand on
// the same runtime and so measure the runtime's overhead; ours / kernel and ours / C threads move
// with the CPU and the kernel (an AMD EPYC's locked add costs 2.5x an Intel Xeon's), and so do the
// lock and false-sharing ratios. Those are shown, never gated, against another machine.

import { mean, median, medianInterval, stars, starCount, variance, welch, welchContrast, type Stars } from './stats.js';
import { SIDES, type BenchResult, type Row, type Sample, type Side, type Summary } from './schema.js';
import { styleOf } from './series.js';

export const DEFAULT_THRESHOLD = 0.1;

export type Verdict = 'improved' | 'regressed' | 'unchanged' | 'inconclusive';

/** ln(ns per event) of each sample: the scale the t-test works on. */
export function logTimes(samples: readonly Sample[]): number[] {
  return samples.map((s) => Math.log(s.ns / s.events));
}

/** Median rate with its interval, and the log-time moments, of a row's samples. */
export function summarize(samples: readonly Sample[], counter: boolean): Summary | undefined {
  if (samples.length === 0) return undefined;
  const rates = samples.map((s) => s.events / (s.ns / 1e9));
  const rate = median(rates);
  const ci = medianInterval(rates);
  const logs = logTimes(samples);
  const sd = Math.sqrt(variance(logs));
  const out: Summary = {
    n: samples.length,
    rate,
    rateLo: ci.lo,
    rateHi: ci.hi,
    level: Math.round(ci.level * 1000) / 1000,
    nsPerEvent: 1e9 / rate,
    logMean: mean(logs),
    logSd: Number.isFinite(sd) ? sd : null,
  };
  if (counter) {
    const events = samples.reduce((a, s) => a + s.events, 0);
    const lost = samples.reduce((a, s) => a + (s.lost ?? 0), 0);
    out.lostPercent = events === 0 ? 0 : (100 * lost) / events;
  }
  return out;
}

export const rowKey = (side: Side, id: string): string => `${side}:${id}`;

/**
 * The verdict on a change (in %, + is faster) with its 95% interval and p-value. Regressed or
 * improved needs both `**` (p < 0.01) and a change beyond the threshold; unchanged needs the
 * whole interval inside +-threshold; anything else cannot be decided from these samples.
 */
export function verdictOf(changePct: number, loPct: number, hiPct: number, p: number, thresholdPct: number): Verdict {
  const sig = starCount(stars(p)) >= 2;
  if (sig && changePct < -thresholdPct) return 'regressed';
  if (sig && changePct > thresholdPct) return 'improved';
  if (loPct > -thresholdPct && hiPct < thresholdPct) return 'unchanged';
  return 'inconclusive';
}

export interface Comparison {
  kind: 'row' | 'ratio';
  /** Row key (side:id) or ratio id. */
  key: string;
  label: string;
  /** Baseline and current value: median rate (rows) or ratio (ratios). */
  base: number;
  current: number;
  /** Change of the rate or ratio in %, + meaning faster / relatively faster. */
  changePct: number;
  loPct: number;
  hiPct: number;
  p: number;
  stars: Stars;
  verdict: Verdict;
  nBase: number;
  nCurrent: number;
  /** Ratios: true for those that hold across machine kinds (ours / plain JS). */
  portable?: boolean;
  /** Whether the gate's exit code looks at it (set by gate()). */
  gated?: boolean;
}

/** Turn a test on log times (current - baseline) into a change of rate in %. */
function asChange(estimate: number, lo: number, hi: number): { changePct: number; loPct: number; hiPct: number } {
  // Log time up means rate down: rate ratio = exp(-estimate).
  return { changePct: (Math.exp(-estimate) - 1) * 100, loPct: (Math.exp(-hi) - 1) * 100, hiPct: (Math.exp(-lo) - 1) * 100 };
}

function measured(r: Row | undefined): r is Row {
  return r !== undefined && r.status === 'measured' && r.samples.length > 0;
}

function index(result: BenchResult): Map<string, Row> {
  return new Map(result.rows.map((r) => [rowKey(r.side, r.id), r]));
}

/** Compare every row measured in both results. */
export function compareRows(base: BenchResult, current: BenchResult, threshold = DEFAULT_THRESHOLD): Comparison[] {
  const b = index(base);
  const out: Comparison[] = [];
  for (const cur of current.rows) {
    const key = rowKey(cur.side, cur.id);
    const old = b.get(key);
    if (!measured(cur) || !measured(old)) continue;
    const t = welch(logTimes(cur.samples), logTimes(old.samples));
    const c = asChange(t.estimate, t.lo, t.hi);
    // Geometric mean rates: the same scale as the change and its test.
    const rate = (rs: Row) => Math.exp(-mean(logTimes(rs.samples))) * 1e9;
    out.push({
      kind: 'row', key, label: `${cur.side} ${cur.label}${cur.cpus ? ` @${cur.cpus}` : ''}`,
      base: rate(old), current: rate(cur), ...c, p: t.p, stars: stars(t.p),
      verdict: verdictOf(c.changePct, c.loPct, c.hiPct, t.p, threshold * 100),
      nBase: old.samples.length, nCurrent: cur.samples.length,
    });
  }
  return out;
}

// ---- ratios within one run ----------------------------------------------------------------------

export interface RatioDef {
  id: string;
  label: string;
  num: string;
  den: string;
  /** Holds across machine kinds (ours / plain JS: our code against the same work on the same runtime). */
  portable: boolean;
}

/** The references ours is divided by (every side but ours), with the ratio's name. */
const REFERENCES = SIDES.filter((side) => side !== 'ours').map((side) => ({
  side, name: `ours/${side}`, title: styleOf(side).title, portable: styleOf(side).portable === true,
}));

/**
 * The ratios worth gating on, from the rows a result has: for every row of ours, ours / each
 * reference measured for the same cell (plain JS doing the same work, the kernel, C threads); and
 * among our counters, spinlock / atomic and percpu stride 8 / stride 128 (false sharing).
 * Oversubscribed cells are left out: their rates depend on the scheduler more than on us.
 */
export function ratioDefs(result: BenchResult): RatioDef[] {
  const rows = index(result);
  const has = (k: string) => measured(rows.get(k));
  const out: RatioDef[] = [];
  for (const r of result.rows) {
    if (r.side !== 'ours' || r.oversubscribed || !measured(r)) continue;
    const at = r.cpus ? ` @${r.cpus}` : '';
    const num = rowKey('ours', r.id);
    for (const ref of REFERENCES) {
      const den = rowKey(ref.side, r.id);
      if (has(den)) out.push({ id: `${ref.name} ${r.id}`, label: `${r.label}${at}: ours / ${ref.title}`, num, den, portable: ref.portable });
    }
    if (r.group !== 'counter') continue;
    const strategy = String(r.params.strategy);
    if (strategy === 'spinlock') {
      const atomic = rowKey('ours', `counter/atomic/cpus=${r.cpus}`);
      if (has(atomic)) out.push({ id: `spinlock/atomic cpus=${r.cpus}`, label: `spinlock / atomic @${r.cpus}`, num, den: atomic, portable: false });
    }
    if (strategy === 'percpu-8' || strategy === 'percpu-atomic-8') {
      const kind = strategy.slice(0, -2);
      const wide = rowKey('ours', `counter/${kind}-128/cpus=${r.cpus}`);
      if (has(wide)) out.push({ id: `${kind} stride8/stride128 cpus=${r.cpus}`, label: `${kind} stride 8 / stride 128 @${r.cpus}`, num, den: wide, portable: false });
    }
  }
  return out;
}

export interface RatioValue {
  def: RatioDef;
  /** Ratio of rates num / den (geometric means of the samples). */
  ratio: number;
  lo: number;
  hi: number;
}

/**
 * Per-round differences of log time, num - den, when the two rows were sampled in the same rounds
 * (one cell: ours and a reference of the same id, or the JS floor) and kept every sample; else
 * null. Two samples of one round ran back to back, so their ratio is free of the load that drifts
 * from round to round on a shared machine: the paired test's interval is the honest one.
 */
export function pairedLogRatios(num: Row, den: Row): number[] | null {
  const sameCell = num.id === den.id || den.id === `${num.id}/floor`;
  if (!sameCell || num.samples.length !== den.samples.length || num.samples.length < 2) return null;
  const a = logTimes(num.samples);
  const b = logTimes(den.samples);
  return a.map((x, i) => x - b[i]!);
}

/** A ratio's log-time test: paired by round when it can be, else Welch's on the two rows. */
function ratioTest(num: Row, den: Row) {
  const d = pairedLogRatios(num, den);
  return d ? welchContrast([{ xs: d, coef: 1 }]) : welch(logTimes(num.samples), logTimes(den.samples));
}

/** num's rate / den's rate: the geometric mean of the per-round ratios when paired, else of the rows' samples. */
export function rateRatio(num: Row, den: Row): number {
  return Math.exp(-ratioTest(num, den).estimate);
}

/** The ratios of one run, each with a 95% interval. */
export function withinRunRatios(result: BenchResult): RatioValue[] {
  const rows = index(result);
  return ratioDefs(result).map((def) => {
    const t = ratioTest(rows.get(def.num)!, rows.get(def.den)!);
    // Log-time difference num - den; the rate ratio is its negative exponent.
    const lo = Number.isFinite(t.hi) ? Math.exp(-t.hi) : NaN;
    const hi = Number.isFinite(t.lo) ? Math.exp(-t.lo) : NaN;
    return { def, ratio: Math.exp(-t.estimate), lo, hi };
  });
}

/** Compare each within-run ratio of `current` with the same ratio in `base`. */
export function compareRatios(base: BenchResult, current: BenchResult, threshold = DEFAULT_THRESHOLD): Comparison[] {
  const b = index(base);
  const c = index(current);
  const baseDefs = new Set(ratioDefs(base).map((d) => d.id));
  const out: Comparison[] = [];
  for (const def of ratioDefs(current)) {
    if (!baseDefs.has(def.id)) continue;
    const dCur = pairedLogRatios(c.get(def.num)!, c.get(def.den)!);
    const dBase = pairedLogRatios(b.get(def.num)!, b.get(def.den)!);
    // Paired by round on both sides: Welch on the per-round log ratios; else the four-group contrast.
    const groups = dCur && dBase ? [{ xs: dCur, coef: 1 }, { xs: dBase, coef: -1 }] : [
      { xs: logTimes(c.get(def.num)!.samples), coef: 1 },
      { xs: logTimes(c.get(def.den)!.samples), coef: -1 },
      { xs: logTimes(b.get(def.num)!.samples), coef: -1 },
      { xs: logTimes(b.get(def.den)!.samples), coef: 1 },
    ];
    const t = welchContrast(groups);
    const ch = asChange(t.estimate, t.lo, t.hi);
    const ratioOf = (m: Map<string, Row>) => Math.exp(mean(logTimes(m.get(def.den)!.samples)) - mean(logTimes(m.get(def.num)!.samples)));
    out.push({
      kind: 'ratio', key: def.id, label: def.label, base: ratioOf(b), current: ratioOf(c), ...ch, p: t.p, stars: stars(t.p),
      verdict: verdictOf(ch.changePct, ch.loPct, ch.hiPct, t.p, threshold * 100), portable: def.portable,
      nBase: dBase && dCur ? dBase.length : Math.min(groups[2]!.xs.length, groups[3]!.xs.length),
      nCurrent: dBase && dCur ? dCur.length : Math.min(groups[0]!.xs.length, groups[1]!.xs.length),
    });
  }
  return out;
}

// ---- the gate -------------------------------------------------------------------------------------

export type GateScope = 'rows' | 'ratios';

export interface GateReport {
  rows: Comparison[];
  ratios: Comparison[];
  /** What the exit code looked at. */
  scope: GateScope[];
  /** Why the scope is what it is (e.g. another machine: absolute rows not gated). */
  scopeNote: string;
  regressions: Comparison[];
  exitCode: 0 | 1;
}

/** The same kind of machine: same CPU model and core count (absolute rates are comparable only then). */
export function sameMachine(a: BenchResult, b: BenchResult): boolean {
  return a.env.cpuModel === b.env.cpuModel && a.env.cores === b.env.cores;
}

/**
 * Compare and decide. Against a baseline from the same kind of machine: our rows and every ratio.
 * Against another machine: the portable ratios only (ours / plain JS); the rest are shown, not
 * gated (see the top of this file). Exit code 1 when a gated comparison regressed.
 */
export function gate(base: BenchResult, current: BenchResult, options: { threshold?: number; scope?: GateScope[] } = {}): GateReport {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const rows = compareRows(base, current, threshold);
  const ratios = compareRatios(base, current, threshold);
  const same = sameMachine(base, current);
  let scope: GateScope[];
  let scopeNote: string;
  if (options.scope) {
    scope = options.scope;
    scopeNote = `gating ${scope.join(' and ')} (as asked)`;
  } else if (same) {
    scope = ['rows', 'ratios'];
    scopeNote = 'same kind of machine as the baseline: gating our rows and every ratio';
  } else {
    scope = ['ratios'];
    scopeNote = `the baseline comes from another machine (${base.env.cpuModel}, ${base.env.cores} cores): gating only the portable ratios, ours / plain JS; rows and the ratios to the kernel, the C threads and between our own rows move with the CPU and kernel, so they are shown, not gated (--gate rows,ratios gates them all)`;
  }
  // Plain-JS, kernel and C-thread rows do not run our code: they are controls (a change there is
  // the machine's), shown but never gated. Ratios against them are gated: that is their purpose.
  for (const c of rows) c.gated = scope.includes('rows') && c.key.startsWith('ours:');
  for (const c of ratios) c.gated = scope.includes('ratios') && (same || options.scope !== undefined || c.portable === true);
  const regressions = [...rows, ...ratios].filter((c) => c.gated && c.verdict === 'regressed');
  return { rows, ratios, scope, scopeNote, regressions, exitCode: regressions.length > 0 ? 1 : 0 };
}
