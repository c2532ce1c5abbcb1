// The benchmark's statistics: Student's t distribution, Welch's test (checked against values R's
// qt() and t.test() give), the distribution-free interval of a median, and Node core's stars.

import { describe, expect, it } from 'vitest';
import { median, medianInterval, stars, tCritical, tTwoSidedP, welch, welchContrast } from '../src/bench/stats.js';

describe('Student t distribution', () => {
  it('gives the 97.5% quantiles R gives (qt(0.975, df))', () => {
    expect(tCritical(0.05, 1)).toBeCloseTo(12.706205, 5);
    expect(tCritical(0.05, 10)).toBeCloseTo(2.228139, 5);
    expect(tCritical(0.05, 30)).toBeCloseTo(2.042272, 5);
    expect(tCritical(0.01, 5)).toBeCloseTo(4.032143, 5);
  });

  it('gives two-sided p-values that invert the quantiles', () => {
    expect(tTwoSidedP(2.228139, 10)).toBeCloseTo(0.05, 6);
    expect(tTwoSidedP(0, 7)).toBeCloseTo(1, 12);
    expect(tTwoSidedP(-2.228139, 10)).toBeCloseTo(0.05, 6);
  });
});

describe("Welch's t-test", () => {
  it('matches R: t.test(c(1,2,3,4,5), c(2,3,4,5,6.5)) has t = -1.0441, df = 7.922, p = 0.3273', () => {
    const t = welch([1, 2, 3, 4, 5], [2, 3, 4, 5, 6.5]);
    expect(t.t).toBeCloseTo(-1.0441, 4);
    expect(t.df).toBeCloseTo(7.9222, 3);
    expect(t.p).toBeCloseTo(0.3273, 4);
    expect(t.lo).toBeCloseTo(-3.5337, 3);
    expect(t.hi).toBeCloseTo(1.3337, 3);
  });

  it('with groups +1/-1 is the two-sample test', () => {
    const a = [3.1, 2.9, 3.3, 3.0];
    const b = [2.1, 2.4, 2.0, 2.2, 2.3];
    const x = welch(a, b);
    const y = welchContrast([{ xs: a, coef: 1 }, { xs: b, coef: -1 }]);
    expect(y.t).toBe(x.t);
    expect(y.df).toBe(x.df);
  });

  it('says certain (p = 0) when both sides are constant and differ, and p = 1 when they are equal', () => {
    expect(welch([2, 2, 2], [1, 1, 1]).p).toBe(0);
    expect(welch([2, 2, 2], [2, 2, 2]).p).toBe(1);
  });

  it('cannot test a side with a single sample (p is NaN)', () => {
    expect(welch([1], [1, 2, 3]).p).toBeNaN();
  });
});

describe('median interval', () => {
  it('uses the 2nd and 9th of 10 sorted samples (97.9% coverage)', () => {
    const i = medianInterval([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
    expect([i.lo, i.hi]).toEqual([2, 9]);
    expect(i.level).toBeCloseTo(0.978515625, 9);
  });

  it('falls back to [min, max] below 6 samples and says how much confidence that carries', () => {
    const i = medianInterval([3, 1, 2]);
    expect([i.lo, i.hi, i.level]).toEqual([1, 3, 0.75]);
  });

  it('takes the middle of an even count as the median', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('stars (Node core benchmark/compare.R)', () => {
  it('gives *** below 0.001, ** below 0.01, * below 0.05, none otherwise', () => {
    expect([stars(0.0009), stars(0.009), stars(0.049), stars(0.05), stars(NaN)]).toEqual(['***', '**', '*', '', '']);
  });
});
