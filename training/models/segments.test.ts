import { buildPolicy } from '../../src/config/policy';
import { DatasetBuilder, eventWeights } from '../data/dataset';
import { computeSegments, favouriteCategories, segmentName } from './segments';
import { ev, item } from '../data/testkit';
import type { StoreEvent } from '../../src/domain/types';

const policy = buildPolicy();
/** Three distinct views starting on `day`, one day apart. */
const browse = (u: string, day: number, prefix = 'x'): StoreEvent[] => [0, 1, 2].map((d) => ev(u, `${prefix}${d}`, 'view', day + d));

function build() {
  const b = new DatasetBuilder();
  b.add([
    ...browse('anchor', 98), // now = day 100
    ...browse('fresh', 95), // first seen 5 days ago: new
    ev('few', 'x0', 'view', 1), ev('few', 'x1', 'view', 99), // 2 distinct items: new (before active)
    ...browse('gone', 1), // last seen 97 days ago: churned (before at_risk)
    ...browse('quiet', 60), ev('quiet', 'x1', 'purchase', 70), // 30 days ago: at_risk (before paying)
    ...browse('looker', 85), // active: browses, never bought
  ]);
  // With quiet, five purchasers; b3 buys most, most recently: the top 20% (one user) is high_value.
  for (let u = 0; u < 4; u++) {
    const e = browse(`b${u}`, 40);
    for (let p = 0; p <= u; p++) e.push(ev(`b${u}`, `x${p % 3}`, 'purchase', 90 + u));
    b.add(e);
  }
  return b.build();
}

describe('segments', () => {
  const ds = build();
  const seg = computeSegments(ds, policy);
  const of = (u: string) => segmentName(seg.codes[ds.userIndex.get(u)!]);

  it('applies the rules in SPEC order, first match wins', () => {
    expect(of('anchor')).toBe('new'); // first event 2 days before now
    expect(of('fresh')).toBe('new');
    expect(of('few')).toBe('new');
    expect(of('gone')).toBe('churned');
    expect(of('quiet')).toBe('at_risk');
    expect(of('looker')).toBe('active');
    expect(of('b3')).toBe('high_value');
    for (const u of ['b0', 'b1', 'b2']) expect(of(u)).toBe('paying');
    expect(seg.sizes).toEqual({ new: 3, churned: 1, at_risk: 1, high_value: 1, paying: 3, active: 1 });
  });

  it('exposes the features behind the decision', () => {
    const f = seg.features;
    const b3 = ds.userIndex.get('b3')!;
    expect(f.purchases[b3]).toBe(4);
    expect(f.monetary[b3]).toBe(4); // no prices: purchase count
    expect(f.distinctItems[b3]).toBe(3);
    expect(f.rfm[b3]).toBeCloseTo(1, 6);
    expect(f.lastSeen[b3] - f.firstSeen[b3]).toBe(93 * 86400000 - 40 * 86400000);
    expect(Number.isNaN(f.rfm[ds.userIndex.get('looker')!])).toBe(true);
  });

  it('a recent purchaser is a customer by default; purchasersSkipNew: false follows SPEC literally', () => {
    const extra = new DatasetBuilder();
    extra.add([...browse('anchor', 98), ...browse('newbuyer', 96), ev('newbuyer', 'x0', 'purchase', 99)]);
    const d2 = extra.build();
    const spec = computeSegments(d2, buildPolicy({ segments: { purchasersSkipNew: false } }));
    expect(segmentName(spec.codes[d2.userIndex.get('newbuyer')!])).toBe('new');
    const skip = computeSegments(d2, buildPolicy());
    expect(['high_value', 'paying']).toContain(segmentName(skip.codes[d2.userIndex.get('newbuyer')!]));
    expect(segmentName(skip.codes[d2.userIndex.get('anchor')!])).toBe('new');
  });

  it('follows configured thresholds', () => {
    const strict = computeSegments(ds, buildPolicy({ segments: { churnedAfterDays: 20, atRiskAfterDays: 10, newMinDistinctItems: 2, highValueTopFraction: 0.5 } }));
    const s = (u: string) => segmentName(strict.codes[ds.userIndex.get(u)!]);
    expect(s('quiet')).toBe('churned');
    expect(s('few')).toBe('active');
    // Five purchasers, top half (rounded up) by RFM; quiet is churned first.
    expect(['b3', 'b2', 'b1'].map(s)).toEqual(['high_value', 'high_value', 'high_value']);
    expect(s('b0')).toBe('paying');
  });

  it('uses prices for monetary when known', () => {
    const b = new DatasetBuilder();
    b.addItems([item('cheap', null, { price: 1 }), item('dear', null, { price: 100 })]);
    b.add([ev('a', 'cheap', 'purchase', 1), ev('a', 'cheap', 'purchase', 2), ev('b', 'dear', 'purchase', 1)]);
    const r = computeSegments(b.build(), policy);
    expect(Array.from(r.features.monetary)).toEqual([2, 100]);
  });

  it('finds favourite categories by decayed weight', () => {
    const b = new DatasetBuilder();
    b.addItems([item('s1', 'shoes'), item('s2', 'shoes'), item('h', 'hats'), item('c', 'coats'), item('d', 'dogs'), item('n', null)]);
    b.add([ev('u', 's1', 'view', 1), ev('u', 's2', 'view', 2), ev('u', 'h', 'purchase', 3), ev('u', 'c', 'view', 3), ev('u', 'd', 'view', 0), ev('u', 'n', 'cart', 3)]);
    const d = b.build();
    const fav = favouriteCategories(d, eventWeights(d, policy), 3);
    expect(Array.from(fav.indices.subarray(fav.indptr[0], fav.indptr[1])).map((c) => d.categories[c])).toEqual(['hats', 'shoes', 'coats']);
  });
});
