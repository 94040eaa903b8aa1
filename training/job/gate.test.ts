import { decideGate } from './gate';

const metric = (ndcg10: number) => ({
  hr10: ndcg10 * 2,
  ndcg10,
  hr20: ndcg10 * 3,
  ndcg20: ndcg10,
  users: 100,
  fitSeconds: 1,
  recommendSeconds: 1,
});
const holdout = (published: number, popular: number) => ({ holdout: { published: metric(published), popular: metric(popular) } });
const paired = (candidate: number, live: number) => ({
  liveVersion: 'v1',
  cases: 100,
  candidate: { hr10: candidate * 2, ndcg10: candidate },
  live: { hr10: live * 2, ndcg10: live },
  samePolicy: false,
});
const base = { tolerance: 0.02, driftTolerance: 0.3, force: false };

describe('decideGate', () => {
  it('passes a candidate that beats popularity and matches the live version', () => {
    const d = decideGate({ ...base, candidateMetrics: holdout(0.1, 0.05), liveMetrics: holdout(0.1, 0.05), paired: paired(0.1, 0.1) });
    expect(d).toMatchObject({ passed: true, forced: false, reasons: [] });
  });

  it('accepts a loss within the tolerance and refuses one beyond it, naming both numbers', () => {
    expect(decideGate({ ...base, candidateMetrics: holdout(0.1, 0.05), paired: paired(0.099, 0.1) }).passed).toBe(true);
    const d = decideGate({ ...base, candidateMetrics: holdout(0.1, 0.05), paired: paired(0.09, 0.1) });
    expect(d.passed).toBe(false);
    expect(d.reasons[0]).toContain('0.0900');
    expect(d.reasons[0]).toContain("live v1's 0.1000");
  });

  it('refuses a candidate below popularity', () => {
    const d = decideGate({ ...base, candidateMetrics: holdout(0.02, 0.05) });
    expect(d.passed).toBe(false);
    expect(d.reasons[0]).toContain("below popularity's 0.0500");
  });

  it('refuses a large drop against the recorded live metric (a bad night of data)', () => {
    const d = decideGate({ ...base, candidateMetrics: holdout(0.05, 0.01), liveMetrics: holdout(0.1, 0.01) });
    expect(d.passed).toBe(false);
    expect(d.reasons[0]).toContain('by more than 30%');
    expect(decideGate({ ...base, candidateMetrics: holdout(0.08, 0.01), liveMetrics: holdout(0.1, 0.01) }).passed).toBe(true);
  });

  it('--force publishes anyway but keeps the reasons', () => {
    const d = decideGate({ ...base, force: true, candidateMetrics: holdout(0.02, 0.05) });
    expect(d).toMatchObject({ passed: true, forced: true });
    expect(d.reasons).toHaveLength(1);
  });

  it('refuses a candidate without metrics', () => {
    expect(decideGate({ ...base, candidateMetrics: {} }).reasons).toEqual(['the candidate has no holdout metrics']);
  });
});
