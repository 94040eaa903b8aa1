import { buildPolicy } from '../../src/config/policy';
import type { StoreEvent } from '../../src/domain/types';
import { evaluate } from './evaluate';
import { hitAndNdcg } from '../evaluation/metrics';
import { splitLoo, splitPurchase } from '../evaluation/splits';
import { ev } from '../data/testkit';

// A half-life of 1e12 days makes decay exactly 1 in float32: popularity = counts (weighted by type).
const policy = buildPolicy({ training: { decayHalfLifeDays: 1e12 } });
const catalogue = (ids: string[]) => new Map(ids.map((i) => [i, null] as [string, string | null]));

describe('metrics', () => {
  it('computes HR and NDCG from a rank', async () => {
    expect(hitAndNdcg(1, 10)).toEqual({ hr: 1, ndcg: 1 });
    expect(hitAndNdcg(3, 10).ndcg).toBeCloseTo(0.5, 12);
    expect(hitAndNdcg(11, 10)).toEqual({ hr: 0, ndcg: 0 });
    expect(hitAndNdcg(0, 10)).toEqual({ hr: 0, ndcg: 0 });
  });
});

describe('loo protocol', () => {
  /*
   * ua: 1@1 2@2 9@5 10@5 -> same-ts tie: numerically larger 10 is the test item; trains {1,2,9}
   * ub: 2@1 9@3           -> test 9, trains {2}
   * ud: 10@1 1@2 1@0.5    -> repeats collapse to the latest: 10@1 1@2, test 1, trains {10}
   * uc: 9@1               -> nothing to train on: not evaluated, and its event is not training data
   * Popularity on training: 1:1 2:2 9:1 10:1.
   * popular: ua ranks {10} (only item left) -> rank 1;
   *          ub: 1, 9, 10 tie at 1 -> numeric id order 1, 9, 10 -> 9 at rank 2;
   *          ud: 2, then 1 and 9 tie -> 1 at rank 2.
   */
  const events: StoreEvent[] = [
    ev('ua', '1', 'view', 1),
    ev('ua', '2', 'view', 2),
    ev('ua', '9', 'view', 5),
    ev('ua', '10', 'view', 5),
    ev('ub', '2', 'view', 1),
    ev('ub', '9', 'view', 3),
    ev('ud', '1', 'view', 0.5),
    ev('ud', '10', 'view', 1),
    ev('ud', '1', 'view', 2),
    ev('uc', '9', 'view', 1),
  ];

  it('splits by (ts, item id) with collapsed repeats', async () => {
    const s = splitLoo(events, catalogue(['1', '2', '9', '10']));
    const cases = s.cases.map((c) => [s.train.userIds[c.user], s.train.itemIds[c.item]]);
    expect(cases).toEqual([
      ['ua', '10'],
      ['ub', '9'],
      ['ud', '1'],
    ]);
    expect(s.train.nEvents).toBe(5);
  });

  it('gives the hand-computed HR/NDCG for popularity, ties to the smaller id', async () => {
    const r = await evaluate(events, catalogue(['1', '2', '9', '10']), 'loo', { policy, dataset: 'tiny' });
    expect(r).toMatchObject({ dataset: 'tiny', protocol: 'loo', users: 3, items: 4 });
    const pop = r.results.find((x) => x.model === 'popular')!;
    const ndcg2 = 1 / Math.log2(3);
    expect(pop.hr10).toBe(1);
    expect(pop.ndcg10).toBeCloseTo((1 + ndcg2 + ndcg2) / 3, 12);
    expect(pop.hr20).toBe(1);
    expect(pop.ndcg20).toBeCloseTo(pop.ndcg10, 12);
    expect(r.results.map((x) => x.model)).toEqual(['popular', 'itemcf', 'embedding', 'published']);
    for (const x of r.results) {
      expect(x.hr10).toBeGreaterThanOrEqual(0);
      expect(x.hr10).toBeLessThanOrEqual(1);
      expect(x.fitSeconds).toBeGreaterThanOrEqual(0);
    }
  });

  it('is deterministic', async () => {
    const strip = (r: Awaited<ReturnType<typeof evaluate>>) =>
      r.results.map(({ model, hr10, ndcg10, hr20, ndcg20 }) => ({ model, hr10, ndcg10, hr20, ndcg20 }));
    expect(strip(await evaluate(events, catalogue([]), 'loo', { policy }))).toEqual(
      strip(await evaluate(events, catalogue([]), 'loo', { policy })),
    );
  });
});

describe('purchase protocol', () => {
  /*
   * pa: view 1@1, buy 2@2, view 3@3, buy 4@5, buy 5@5 -> target: last purchase, tie to the larger id: 5.
   *     History = ts < 5: view 1, buy 2, view 3. Candidates: everything but 2 (4 stays a candidate).
   * pb: buy 3@1 only (no earlier event), pc: views only, pd: buy 1@4 with view 2@4 (nothing strictly
   *     earlier): none evaluated, all their events train. pz: outside the window, dropped.
   * Popularity (max weight per user and item; view 1, buy 4): 1: 1+1+4 = 6, 2: 4+1 = 5, 3: 1+4 = 5.
   * popular for pa: 1, 3 (2 is bought), then 4 and 5 at 0 in id order -> 5 at rank 4.
   */
  const events: StoreEvent[] = [
    ev('pa', '1', 'view', 1),
    ev('pa', '2', 'purchase', 2),
    ev('pa', '3', 'view', 3),
    ev('pa', '4', 'purchase', 5),
    ev('pa', '5', 'purchase', 5),
    ev('pb', '3', 'purchase', 1),
    ev('pc', '1', 'view', 1),
    ev('pc', '1', 'view', 2),
    ev('pd', '1', 'purchase', 4),
    ev('pd', '2', 'view', 4),
    ev('pz', '5', 'purchase', 30),
    ev('pz', '5', 'view', 29),
  ];
  const window = { from: ev('x', 'x', 'view', 0).ts, to: ev('x', 'x', 'view', 10).ts };

  it('picks the last purchase (ties: larger id) and keeps history strictly before it', async () => {
    const s = splitPurchase(events, catalogue([]), window);
    expect(s.cases.map((c) => [s.train.userIds[c.user], s.train.itemIds[c.item]])).toEqual([['pa', '5']]);
    const pa = s.train.userIndex.get('pa')!;
    expect(s.train.userStart[pa + 1] - s.train.userStart[pa]).toBe(3);
    expect(s.train.userIndex.has('pz')).toBe(false);
  });

  it('gives the hand-computed HR/NDCG for popularity', async () => {
    const r = await evaluate(events, catalogue(['1', '2', '3', '4', '5']), 'purchase', { policy, window });
    expect(r).toMatchObject({ protocol: 'purchase', users: 1, items: 5 });
    const pop = r.results.find((x) => x.model === 'popular')!;
    expect(pop.hr10).toBe(1);
    expect(pop.ndcg10).toBeCloseTo(1 / Math.log2(5), 12);
    // The published blend re-finds what pa touched and did not buy (1, 3) but never bought 2.
    const pub = r.results.find((x) => x.model === 'published')!;
    expect(pub.hr10).toBe(1);
  });
});

describe('per-run tuning of the published blend', () => {
  // 60 shoppers: carted own item, shared browsing cluster, then the purchase; two rounds each.
  const events: StoreEvent[] = [];
  for (let u = 0; u < 60; u++) {
    for (const [r, off] of [
      [0, 0],
      [1, 2],
      [2, 4],
    ] as const) {
      const own = `own${u}r${r}`;
      events.push(ev(`s${u}`, own, 'view', 1 + off + u * 0.001), ev(`s${u}`, own, 'cart', 1.01 + off + u * 0.001));
      for (let c = 0; c < 4; c++) events.push(ev(`s${u}`, `c${c}`, 'view', 1.02 + off + c * 0.001 + u * 0.001));
      events.push(ev(`s${u}`, own, 'purchase', 1.5 + off + u * 0.001));
    }
  }
  const items = new Map<string, string | null>();

  it('is deterministic, and tune: false gives the untuned blend', async () => {
    const a = await evaluate(events, items, 'purchase', { policy });
    const b = await evaluate(events, items, 'purchase', { policy });
    const strip = (r: typeof a) => r.results.map(({ fitSeconds: _f, recommendSeconds: _r, ...m }) => m);
    expect(strip(a)).toEqual(strip(b));
    const untuned = await evaluate(events, items, 'purchase', { policy, tune: false, fit: { rank: { refindWeight: 0 } } });
    const tuned = await evaluate(events, items, 'purchase', { policy, fit: { rank: { refindWeight: 0 } } });
    const pub = (r: typeof a) => r.results.find((m) => m.model === 'published')!;
    expect(pub(tuned).ndcg10).toBeGreaterThan(pub(untuned).ndcg10);
    // The bare itemcf model keeps only the itemcf part of the (tuned) blend.
    const cf = (r: typeof a) => r.results.find((m) => m.model === 'itemcf')!;
    expect(cf(tuned).ndcg10).toBeCloseTo(cf(untuned).ndcg10, 12);
  });
});

describe('statistics in the report (SPEC: cases, ci95, vsPublished)', () => {
  // 80 shoppers over 40 items in 4 clusters: enough cases for intervals that are not degenerate.
  const events: StoreEvent[] = [];
  for (let u = 0; u < 80; u++) {
    const cluster = u % 4;
    for (let k = 0; k < 6; k++) events.push(ev(`u${u}`, `i${cluster * 10 + ((u + k * 3) % 10)}`, 'view', 1 + k + u * 0.001));
  }
  const items = catalogue(Array.from({ length: 40 }, (_, i) => `i${i}`));

  it('every entry has its cases and intervals containing its value; others carry the paired difference to published', async () => {
    const report = await evaluate(events, items, 'loo', { policy });
    const published = report.results.find((r) => r.model === 'published')!;
    expect(published.vsPublished).toBeUndefined();
    for (const r of report.results) {
      expect(r.cases).toBe(report.users);
      for (const m of ['hr10', 'ndcg10'] as const) {
        expect(r.ci95[m][0]).toBeLessThanOrEqual(r[m]);
        expect(r.ci95[m][1]).toBeGreaterThanOrEqual(r[m]);
        if (r.model === 'published') continue;
        const d = r.vsPublished![m];
        expect(d.diff).toBe(r[m] - published[m]);
        expect(d.ci95[0]).toBeLessThanOrEqual(d.diff);
        expect(d.ci95[1]).toBeGreaterThanOrEqual(d.diff);
      }
    }
    // Popularity is far below the clusters' neighbours here: its whole interval is below 0.
    const popular = report.results.find((r) => r.model === 'popular')!;
    expect(popular.vsPublished!.hr10.ci95[1]).toBeLessThan(0);
    // No per-case ranks in the printed report.
    expect(JSON.stringify(report)).not.toContain('ranks');
  });

  it('prints the same JSON twice (fixed bootstrap seed)', async () => {
    const strip = (r: Awaited<ReturnType<typeof evaluate>>) =>
      JSON.stringify(r.results.map(({ fitSeconds: _f, recommendSeconds: _r, ...m }) => m));
    expect(strip(await evaluate(events, items, 'loo', { policy }))).toBe(strip(await evaluate(events, items, 'loo', { policy })));
  });
});
