import {
  bootstrapMeans,
  mean,
  meanInterval,
  pairedDifference,
  pairedLowerBound,
  perCase,
  quantile,
  rankDifferences,
  rankIntervals,
} from './statistics';

/** 0/1 values: the first `ones` of n are 1. */
const bits = (n: number, ones: number) => Float64Array.from({ length: n }, (_, x) => (x < ones ? 1 : 0));

describe('per-case metrics', () => {
  it('turns ranks into HR and NDCG at 10 and 20', () => {
    const ranks = [1, 3, 10, 11, 20, 0];
    expect(Array.from(perCase(ranks, 'hr10'))).toEqual([1, 1, 1, 0, 0, 0]);
    expect(Array.from(perCase(ranks, 'hr20'))).toEqual([1, 1, 1, 1, 1, 0]);
    expect(perCase(ranks, 'ndcg10')[1]).toBeCloseTo(1 / Math.log2(4), 12);
    expect(perCase(ranks, 'ndcg10')[3]).toBe(0);
    expect(perCase(ranks, 'ndcg20')[4]).toBeCloseTo(1 / Math.log2(21), 12);
  });
});

describe('bootstrap intervals', () => {
  it('are the same on every run (fixed seed) and change with the seed', () => {
    const v = bits(300, 90);
    expect(meanInterval(v)).toEqual(meanInterval(v));
    expect(meanInterval(v, { seed: 7 })).not.toEqual(meanInterval(v));
  });

  it('contain the mean and match the normal approximation for a proportion', () => {
    const v = bits(1000, 300);
    const [lo, hi] = meanInterval(v);
    expect(lo).toBeLessThan(0.3);
    expect(hi).toBeGreaterThan(0.3);
    // 0.3 +- 1.96 * sqrt(0.3 * 0.7 / 1000) = 0.3 +- 0.0284
    expect(hi - lo).toBeGreaterThan(2 * 0.0284 * 0.85);
    expect(hi - lo).toBeLessThan(2 * 0.0284 * 1.15);
  });

  it('collapse to the value when every case is equal', () => {
    expect(meanInterval(new Float64Array(50).fill(0.25))).toEqual([0.25, 0.25]);
  });

  it('draw the same resamples for arrays of one length (so statistics of one evaluation pair up)', () => {
    const a = bits(100, 40);
    const shifted = Float64Array.from(a, (x) => x + 1);
    const ma = bootstrapMeans(a);
    const mb = bootstrapMeans(shifted);
    for (let r = 0; r < ma.length; r++) expect(mb[r]).toBeCloseTo(ma[r] + 1, 12);
  });

  it('quantile interpolates between order statistics', () => {
    const s = Float64Array.from([4, 1, 3, 2, 5]);
    expect(quantile(s, 0)).toBe(1);
    expect(quantile(s, 0.5)).toBe(3);
    expect(quantile(s, 1)).toBe(5);
    expect(quantile(s, 0.125)).toBeCloseTo(1.5, 12);
  });
});

describe('paired differences', () => {
  it('diff is exactly mean(a) - mean(b), inside its interval', () => {
    const a = bits(400, 200);
    const b = Float64Array.from(bits(400, 150)).reverse();
    const d = pairedDifference(a, b);
    expect(d.diff).toBe(mean(a) - mean(b));
    expect(d.ci95[0]).toBeLessThan(d.diff);
    expect(d.ci95[1]).toBeGreaterThan(d.diff);
  });

  it('pairing removes the shared part: a uniformly better model is significantly better', () => {
    // b is a with 20 of its 200 misses turned into hits: unpaired intervals overlap, the paired one excludes 0.
    const a = bits(400, 200);
    const b = Float64Array.from(a);
    for (let x = 200; x < 220; x++) b[x] = 1;
    const [, hiA] = meanInterval(a);
    const [loB] = meanInterval(b);
    expect(loB).toBeLessThan(hiA);
    const d = pairedLowerBound(b, a);
    expect(d.diff).toBeCloseTo(0.05, 12);
    expect(d.ci95[0]).toBeGreaterThan(0);
    expect(d.lower).toBeGreaterThan(d.ci95[0]);
    expect(d.lower).toBeLessThan(d.diff);
  });

  it('identical models differ by exactly 0 with interval [0, 0]', () => {
    const a = bits(100, 30);
    expect(pairedLowerBound(a, Float64Array.from(a))).toEqual({ diff: 0, ci95: [0, 0], lower: 0 });
  });

  it('refuses arrays of different lengths (not the same cases)', () => {
    expect(() => pairedDifference(bits(3, 1), bits(4, 1))).toThrow(/not the same cases/);
  });

  it('rankIntervals and rankDifferences work on ranks', () => {
    const r = Int32Array.from({ length: 200 }, (_, x) => (x % 4 === 0 ? 1 : 0));
    const iv = rankIntervals(r);
    expect(iv.hr10[0]).toBeLessThan(0.25);
    expect(iv.hr10[1]).toBeGreaterThan(0.25);
    const same = rankDifferences(r, Int32Array.from(r));
    expect(same.hr10).toEqual({ diff: 0, ci95: [0, 0] });
    expect(same.ndcg10).toEqual({ diff: 0, ci95: [0, 0] });
  });
});
