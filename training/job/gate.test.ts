import { decideGate } from './gate';
import { mean, perCase, rankIntervals } from '../evaluation/statistics';

/** Ranks for n cases: the first `hits` at rank `at`, the rest outside the list. */
function ranksOf(n: number, hits: number, at = 1): Int32Array {
  return Int32Array.from({ length: n }, (_, x) => (x < hits ? at : 0));
}

const memo = new Map<Int32Array, ReturnType<typeof computeRecorded>>();
/** Holdout figures as the pipeline records them (means and intervals of the ranks), once per array. */
function recorded(ranks: Int32Array) {
  if (!memo.has(ranks)) memo.set(ranks, computeRecorded(ranks));
  return structuredClone(memo.get(ranks)!);
}
function computeRecorded(ranks: Int32Array) {
  return {
    hr10: mean(perCase(ranks, 'hr10')),
    ndcg10: mean(perCase(ranks, 'ndcg10')),
    hr20: mean(perCase(ranks, 'hr20')),
    ndcg20: mean(perCase(ranks, 'ndcg20')),
    users: ranks.length,
    fitSeconds: 1,
    recommendSeconds: 1,
    ci95: rankIntervals(ranks),
  };
}

const holdout = (published: Int32Array, popular: Int32Array) => ({
  holdout: { published: recorded(published), popular: recorded(popular) },
});
const pairedWith = (candidate: Int32Array, live: Int32Array) => ({
  liveVersion: 'v1',
  cases: candidate.length,
  candidate: { hr10: recorded(candidate).hr10, ndcg10: recorded(candidate).ndcg10 },
  live: { hr10: recorded(live).hr10, ndcg10: recorded(live).ndcg10 },
  samePolicy: false,
});
const base = { tolerance: 0.02, minCases: 100, driftTolerance: 0.3, force: false };

const N = 400;
const popular = ranksOf(N, 40, 5); // 10% hits at rank 5
const good = ranksOf(N, 200); // 50% hits at rank 1

function gate(candidate: Int32Array, live?: Int32Array, over: Partial<typeof base> = {}) {
  return decideGate({
    ...base,
    ...over,
    candidateMetrics: holdout(candidate, popular),
    liveMetrics: live ? holdout(live, popular) : undefined,
    paired: live ? pairedWith(candidate, live) : null,
    ranks: { candidate, popular, ...(live ? { live } : {}) },
  });
}

describe('decideGate, significance rule (paired bootstrap over the holdout cases)', () => {
  it('promotes a candidate identical to the live version: difference 0, interval [0, 0]', () => {
    const d = gate(good, Int32Array.from(good));
    expect(d).toMatchObject({ passed: true, forced: false, reasons: [], rule: 'significance', cases: N });
    expect(d.paired?.difference).toEqual({ diff: 0, ci95: [0, 0], lower: 0 });
    expect(d.vsPopular!.lower).toBeGreaterThan(0);
    expect(d.summary).toMatch(/^promoted by the significance rule on 400 holdout cases: NDCG@10 vs live v1 \+0\.0000 \[0\.0000, 0\.0000\]/);
  });

  it('refuses a clearly worse candidate, naming the paired difference and its interval', () => {
    const worse = ranksOf(N, 120); // 30% against 50%
    const d = gate(worse, good);
    expect(d.passed).toBe(false);
    expect(d.paired!.difference!.diff).toBeCloseTo(-0.2, 12);
    expect(d.paired!.difference!.ci95[1]).toBeLessThan(0);
    // (The recorded live figure, 0.5 against 0.3, is also a drift reason here.)
    expect(d.reasons[0]).toMatch(
      /significantly below live v1's 0\.5000 on the same 400 holdout cases: paired difference -0\.2000, 95% CI \[-0\.\d{4}, -0\.\d{4}\], one-sided 95% lower bound -0\.\d{4} below -0\.0100 \(tolerance 2\.0% of live\)/,
    );
    expect(d.summary).toMatch(/^refused by the significance rule/);
  });

  it('accepts a loss whose lower bound stays within the tolerance, refuses it with a tighter one', () => {
    // One hit of 200 drops from rank 1 to rank 2: -0.0016 on average, lower bound about -0.005.
    const slightly = Int32Array.from(good);
    slightly[0] = 2;
    const d = gate(slightly, good);
    expect(d.passed).toBe(true);
    expect(d.paired!.difference!.diff).toBeLessThan(0);
    expect(d.paired!.difference!.lower).toBeGreaterThan(-0.01);
    expect(gate(slightly, good, { tolerance: 0.001 }).passed).toBe(false);
  });

  it('refuses a candidate that is not significantly above popularity', () => {
    const d = gate(Int32Array.from(popular));
    expect(d.passed).toBe(false);
    expect(d.vsPopular).toEqual({ diff: 0, ci95: [0, 0], lower: 0 });
    expect(d.reasons[0]).toMatch(
      /not significantly above popularity's 0\.0387 on the 400 holdout cases: paired difference \+0\.0000, 95% CI \[0\.0000, 0\.0000\]/,
    );
  });

  it('is deterministic: the same ranks give the same decision and intervals', () => {
    const worse = ranksOf(N, 180);
    expect(gate(worse, good)).toEqual(gate(worse, good));
  });
});

describe('decideGate, tolerance rule (holdout below gate.minCases)', () => {
  it('says so, and compares point figures with the tolerance', () => {
    const live = ranksOf(50, 20);
    const within = ranksOf(50, 20);
    const pass = gate(within, live, { minCases: 100 });
    expect(pass).toMatchObject({ passed: true, rule: 'tolerance', cases: 50 });
    expect(pass.summary).toContain('holdout of 50 cases is below gate.minCases (100): tolerance rule, no significance test');
    expect(pass.paired?.difference).toBeUndefined();
    const worse = gate(ranksOf(50, 18), live, { minCases: 100 });
    expect(worse.passed).toBe(false);
    expect(worse.reasons[0]).toBe("candidate NDCG@10 0.3600 is below live v1's 0.4000 on the same 50 holdout cases (tolerance rule, 2.0%)");
  });

  it('refuses a candidate below popularity on point figures', () => {
    const d = decideGate({ ...base, candidateMetrics: holdout(ranksOf(50, 1), ranksOf(50, 10)), ranks: { candidate: ranksOf(50, 1) } });
    expect(d.passed).toBe(false);
    expect(d.reasons[0]).toContain("below popularity's 0.2000");
  });
});

describe('decideGate, drift against the live version recorded figure', () => {
  it('refuses when the candidate interval lies wholly below the recorded one, passes when they overlap', () => {
    const bad = decideGate({ ...base, candidateMetrics: holdout(ranksOf(N, 100), popular), liveMetrics: holdout(good, popular) });
    expect(bad.passed).toBe(false);
    expect(bad.reasons[0]).toMatch(
      /candidate NDCG@10 0\.2500 \[0\.\d{4}, 0\.\d{4}\] lies wholly below the live version's recorded 0\.5000 \[0\.\d{4}, 0\.\d{4}\]/,
    );
    const near = decideGate({ ...base, candidateMetrics: holdout(ranksOf(N, 190), popular), liveMetrics: holdout(good, popular) });
    expect(near.passed).toBe(true);
  });

  it('falls back to driftTolerance for a live record without intervals', () => {
    const old = holdout(good, popular);
    delete (old.holdout.published as { ci95?: unknown }).ci95;
    const d = decideGate({ ...base, candidateMetrics: holdout(ranksOf(N, 100), popular), liveMetrics: old });
    expect(d.reasons[0]).toContain('by more than 30%');
  });
});

describe('decideGate, overrides', () => {
  it('--force publishes anyway but keeps the reasons', () => {
    const d = decideGate({
      ...base,
      force: true,
      candidateMetrics: holdout(ranksOf(N, 1), popular),
      ranks: { candidate: ranksOf(N, 1), popular },
    });
    expect(d).toMatchObject({ passed: true, forced: true });
    expect(d.reasons).toHaveLength(1);
    expect(d.summary).toMatch(/^forced past the gate/);
  });

  it('refuses a candidate without metrics', () => {
    expect(decideGate({ ...base, candidateMetrics: {} }).reasons).toEqual(['the candidate has no holdout metrics']);
  });
});
