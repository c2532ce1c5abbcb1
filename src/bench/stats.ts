// Statistics for the benchmark: medians with a distribution-free interval, and Welch's t-test on
// log times with Node core's star convention (benchmark/compare.R: * p < 0.05, ** p < 0.01,
// *** p < 0.001). Times are compared on a log scale because run-to-run noise is multiplicative
// (a preempted worker stretches a sample by a factor, not by a constant), and because a
// difference of log means is a ratio, which is what "x% slower" means.

/** Sorted copy, ascending. */
export function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length === 0 ? NaN : s / xs.length;
}

/** Sample variance (n - 1 in the denominator); NaN below two samples. */
export function variance(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return s / (xs.length - 1);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  const h = s.length >>> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** P(B <= k) for B ~ Binomial(n, 1/2). */
function binomHalfCdf(n: number, k: number): number {
  if (k < 0) return 0;
  let term = Math.pow(0.5, n); // C(n, 0) / 2^n
  let sum = term;
  for (let i = 1; i <= k && i <= n; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return Math.min(1, sum);
}

export interface Interval {
  lo: number;
  hi: number;
  /** The confidence the interval really has (order statistics give discrete levels; small n falls short). */
  level: number;
}

/**
 * A confidence interval for the median from order statistics (no assumption about the shape of
 * the distribution): [x(r), x(n+1-r)] covers the median with probability 1 - 2 P(B <= r - 1). With
 * fewer than 6 samples no r reaches 95%; the interval is then [min, max] and `level` says how much
 * confidence it really carries.
 */
export function medianInterval(xs: readonly number[], level = 0.95): Interval {
  const s = sorted(xs);
  const n = s.length;
  if (n === 0) return { lo: NaN, hi: NaN, level: 0 };
  const alpha = 1 - level;
  let r = 0; // 1-based rank of the lower bound; 0 = none reaches the level
  for (let cand = 1; cand <= (n + 1) >>> 1; cand++) {
    if (2 * binomHalfCdf(n, cand - 1) <= alpha) r = cand;
    else break;
  }
  if (r === 0) return { lo: s[0]!, hi: s[n - 1]!, level: 1 - 2 * binomHalfCdf(n, 0) };
  return { lo: s[r - 1]!, hi: s[n - r]!, level: 1 - 2 * binomHalfCdf(n, r - 1) };
}

// ---- Student's t distribution -------------------------------------------------------------------

/** ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients). */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast on one side of the mean; use the symmetry on the other.
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** Two-sided p-value of a t statistic with df degrees of freedom: P(|T| >= |t|). */
export function tTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  if (!(df > 0)) return NaN;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The t value whose two-sided p is `p` (e.g. p = 0.05 gives the 97.5% quantile). */
export function tCritical(p: number, df: number): number {
  if (!(df > 0) || !(p > 0 && p < 1)) return NaN;
  let lo = 0;
  let hi = 1;
  while (tTwoSidedP(hi, df) > p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tTwoSidedP(mid, df) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---- Welch's test, generalized to a contrast of group means ----------------------------------------

export interface Group {
  /** The observations (here: log ns per event). */
  xs: readonly number[];
  /** Its weight in the contrast (+1 / -1). */
  coef: number;
}

export interface TTest {
  /** The contrast's estimate: sum of coef * mean. */
  estimate: number;
  /** Its standard error. */
  se: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  t: number;
  /** Two-sided p-value. */
  p: number;
  /** 95% confidence interval of the estimate. */
  lo: number;
  hi: number;
}

/**
 * Welch's unequal-variance t-test of sum(coef_i * mean_i) = 0. With groups (new, +1) and
 * (old, -1) it is the usual two-sample Welch test; with four groups it compares a ratio
 * measured in one run against the same ratio measured in another.
 */
export function welchContrast(groups: readonly Group[]): TTest {
  let estimate = 0;
  let v = 0;
  let dfDen = 0;
  for (const g of groups) {
    const n = g.xs.length;
    const term = (g.coef * g.coef * variance(g.xs)) / n;
    estimate += g.coef * mean(g.xs);
    v += term;
    dfDen += (term * term) / (n - 1);
  }
  const se = Math.sqrt(v);
  if (Number.isNaN(se)) return { estimate, se, df: NaN, t: NaN, p: NaN, lo: NaN, hi: NaN };
  if (se === 0) {
    // Every sample identical on both sides: either no difference or a certain one.
    const p = estimate === 0 ? 1 : 0;
    return { estimate, se, df: Infinity, t: estimate === 0 ? 0 : Math.sign(estimate) * Infinity, p, lo: estimate, hi: estimate };
  }
  const df = dfDen === 0 ? Infinity : (v * v) / dfDen;
  const t = estimate / se;
  const crit = Number.isFinite(df) ? tCritical(0.05, df) : 1.959963984540054;
  return { estimate, se, df, t, p: Number.isFinite(df) ? tTwoSidedP(t, df) : normalTwoSidedP(t), lo: estimate - crit * se, hi: estimate + crit * se };
}

/** Welch's two-sample test of mean(a) - mean(b). */
export function welch(a: readonly number[], b: readonly number[]): TTest {
  return welchContrast([{ xs: a, coef: 1 }, { xs: b, coef: -1 }]);
}

function normalTwoSidedP(z: number): number {
  // Abramowitz-Stegun 7.1.26 erfc approximation, enough for a p-value with infinite df.
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return y * Math.exp(-x * x);
}

export type Stars = '' | '*' | '**' | '***';

/** Node core's significance stars. */
export function stars(p: number): Stars {
  if (!(p >= 0)) return '';
  return p < 0.001 ? '***' : p < 0.01 ? '**' : p < 0.05 ? '*' : '';
}

/** How many stars: 0 to 3. */
export function starCount(s: Stars): number {
  return s.length;
}
