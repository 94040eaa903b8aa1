import { buildPolicy } from '../../src/config/policy';
import type { StoreEvent } from '../../src/domain/types';
import { DatasetBuilder } from '../data/dataset';
import { fitModel } from '../ranking/fit';
import { DEFAULT_RANK } from '../ranking/params';
import { carveValidation, carveValidationFolds, fitFolds, MIN_VALIDATION_CASES } from './folds';
import { scoreFolds, scoreParams, searchRankParams, tuneRankParams } from './search';
import { protocolOf } from '../evaluation/protocol';
import { ev } from '../data/testkit';

const policy = buildPolicy();

function build(events: StoreEvent[]) {
  const b = new DatasetBuilder();
  b.add(events);
  return b.build();
}

describe('carveValidation', () => {
  it('purchase: last purchase with an earlier event is the target, later and same-ts events leave', () => {
    const ds = build([
      ev('a', 'x', 'view', 1),
      ev('a', 'y', 'purchase', 2),
      ev('a', 'z', 'view', 3),
      ev('a', 'w', 'purchase', 4),
      ev('a', 'v', 'view', 4),
      ev('a', 'u', 'view', 5),
      ev('b', 'y', 'purchase', 1), // no earlier event: not a case, all events train
      ev('c', 'x', 'view', 1),
      ev('c', 'p', 'purchase', 2),
      ev('c', 'q', 'purchase', 2), // tie: larger id
    ]);
    expect(protocolOf(ds)).toBe('purchase');
    const s = carveValidation(ds);
    expect(s.exclude).toBe('bought');
    expect(s.cases.map((c) => [ds.userIds[c.user], ds.itemIds[c.item]])).toEqual([
      ['a', 'w'],
      ['c', 'q'],
    ]);
    const items = (u: string) => {
      const x = ds.userIndex.get(u)!;
      return Array.from(s.train.evItem.subarray(s.train.userStart[x], s.train.userStart[x + 1])).map((i) => ds.itemIds[i]);
    };
    expect(items('a')).toEqual(['x', 'y', 'z']);
    expect(items('b')).toEqual(['y']);
    expect(items('c')).toEqual(['x']);
  });

  it('loo: the latest (ts, item id) distinct item is the target and all its events leave', () => {
    const ds = build([
      ev('a', '1', 'view', 1),
      ev('a', '3', 'view', 2),
      ev('a', '2', 'view', 3),
      ev('a', '3', 'view', 3),
      ev('b', '5', 'view', 1),
      ev('b', '5', 'view', 2), // one distinct item: not a case
    ]);
    expect(protocolOf(ds)).toBe('loo');
    const s = carveValidation(ds);
    expect(s.exclude).toBe('history');
    expect(s.cases.map((c) => [ds.userIds[c.user], ds.itemIds[c.item]])).toEqual([['a', '3']]);
    const a = ds.userIndex.get('a')!;
    const left = Array.from(s.train.evItem.subarray(s.train.userStart[a], s.train.userStart[a + 1])).map((i) => ds.itemIds[i]);
    expect(left).toEqual(['1', '2']);
  });

  it('caps the cases with a deterministic sample', () => {
    const events: StoreEvent[] = [];
    for (let u = 0; u < 40; u++) events.push(ev(`u${u}`, 'a', 'view', 1), ev(`u${u}`, 'b', 'view', 2));
    const ds = build(events);
    const s1 = carveValidation(ds, 'loo', 10);
    const s2 = carveValidation(ds, 'loo', 10);
    expect(s1.cases.length).toBe(10);
    expect(s1.cases).toEqual(s2.cases);
    expect(new Set(s1.cases.map((c) => c.user)).size).toBe(10);
  });
});

/*
 * Storefront where a shopper carts an item of their own, then browses a shared cluster of items
 * that everyone browses together, then buys the carted item: itemcf alone ranks the cluster first,
 * the refind score (cart weight) puts the carted item on top.
 */
function shop(users: number) {
  const events: StoreEvent[] = [];
  for (let u = 0; u < users; u++) {
    const t = u * 0.001;
    // Two shopping rounds: the carve's target is round two's purchase.
    for (const [r, off] of [
      [0, 0],
      [1, 2],
    ] as const) {
      const own = `own${u}r${r}`;
      events.push(ev(`s${u}`, own, 'view', 1 + off + t), ev(`s${u}`, own, 'cart', 1.01 + off + t));
      for (let c = 0; c < 5; c++) events.push(ev(`s${u}`, `c${c}`, 'view', 1.02 + c * 0.001 + off + t));
      events.push(ev(`s${u}`, own, 'purchase', 1.5 + off + t));
    }
  }
  return build(events);
}

describe('tuneRankParams', () => {
  it('keeps the start params when the validation split is too small', () => {
    const ds = build([ev('a', 'x', 'view', 1), ev('a', 'y', 'purchase', 2)]);
    const r = tuneRankParams(ds, policy);
    expect(r.cases).toBeLessThan(MIN_VALIDATION_CASES);
    expect(r.params).toEqual(DEFAULT_RANK);
    expect(r.evaluations).toBe(0);
  });

  it('searches deterministically and never ends below the start on validation', () => {
    const ds = shop(80);
    const r1 = tuneRankParams(ds, policy, { start: { refindWeight: 0 } });
    const r2 = tuneRankParams(ds, policy, { start: { refindWeight: 0 } });
    expect(r1.kind).toBe('purchase');
    expect(r1.folds).toBe(2); // round two's purchases, then round one's
    expect(r1.cases).toBe(160);
    expect(r1.params).toEqual(r2.params);
    expect(r1.after).toEqual(r2.after);
    expect(r1.after.hr10 + r1.after.ndcg10).toBeGreaterThanOrEqual(r1.before.hr10 + r1.before.ndcg10);
    expect(r1.params.refindWeight).toBeGreaterThan(0); // refind is what predicts the purchase here
    expect(r1.after.ndcg10).toBeGreaterThan(r1.before.ndcg10);
  });

  it('can switch on the power-law refind decay, which keeps a days-old cart above hours-old views', () => {
    // Per round: an own item carted, three days later a browse of a shared cluster, a purchase of
    // something else three hours after the browse (the last event), then the carted item is bought.
    const events: StoreEvent[] = [];
    for (let u = 0; u < 60; u++) {
      const t = u * 0.0001;
      for (const off of [0, 10]) {
        events.push(ev(`s${u}`, `own${u}r${off}`, 'cart', 1 + off + t));
        for (let c = 0; c < 12; c++) events.push(ev(`s${u}`, `c${c}`, 'view', 4 + c * 0.001 + off + t));
        events.push(ev(`s${u}`, `other${u}r${off}`, 'purchase', 4.125 + off + t));
        events.push(ev(`s${u}`, `own${u}r${off}`, 'purchase', 4.2 + off + t));
      }
    }
    const folds = fitFolds([carveValidation(build(events))], policy);
    const start = { ...DEFAULT_RANK, refindWeight: 4 };
    const r = searchRankParams(folds, start, { refindAlpha: [0, 0.5] }, 1, 0);
    expect(r.params.refindAlpha).toBe(0.5);
    expect(r.after.ndcg10).toBeGreaterThan(r.before.ndcg10);
  });

  it('scoreParams and searchRankParams agree on the chosen setting', () => {
    const ds = shop(60);
    const split = carveValidation(ds);
    const fitted = fitModel(split.train, policy);
    const r = searchRankParams([{ split, fitted }], { ...DEFAULT_RANK, refindWeight: 0 }, { refindWeight: [0, 4] }, 1, 0);
    expect(r.after).toEqual(scoreParams(split, fitted, r.params));
    expect(r.evaluations).toBe(2);
  });

  it('pools folds case by case: the pooled score is the case-weighted mean of the folds', () => {
    const ds = shop(60);
    const folds = fitFolds(carveValidationFolds(ds), policy);
    expect(folds.map((f) => f.split.cases.length)).toEqual([60, 60]);
    const p = { ...DEFAULT_RANK, refindWeight: 0 };
    const [a, b] = folds.map((f) => scoreParams(f.split, f.fitted, p));
    expect(scoreFolds(folds, p).ndcg10).toBeCloseTo((a.ndcg10 + b.ndcg10) / 2, 12);
    expect(scoreFolds(folds, p).hr10).toBeCloseTo((a.hr10 + b.hr10) / 2, 12);
  });
});

describe('carveValidationFolds', () => {
  it("carves fold 2 from fold 1's training side: each user's earlier purchase, nothing from its future", () => {
    const ds = shop(60);
    const [f1, f2, f3] = carveValidationFolds(ds);
    expect(f3).toBeUndefined(); // a third round does not exist
    const name = (s: typeof f1, x: number): [string, string] => [ds.userIds[s.cases[x].user], ds.itemIds[s.cases[x].item]];
    expect(name(f1, 0)).toEqual(['s0', 'own0r1']);
    expect(name(f2, 0)).toEqual(['s0', 'own0r0']);
    // Fold 2's training side keeps no event at or after the user's fold-2 target purchase.
    const t = f2.train;
    for (let u = 0; u < t.nUsers; u++) {
      for (let k = t.userStart[u]; k < t.userStart[u + 1]; k++) expect(t.itemIds[t.evItem[k]]).not.toMatch(/r1$/);
    }
  });

  it('stops at the case budget and at folds smaller than MIN_VALIDATION_CASES', () => {
    expect(carveValidationFolds(shop(60), 'purchase', 60)).toHaveLength(1); // budget spent by fold 1
    expect(carveValidationFolds(shop(MIN_VALIDATION_CASES - 1))).toHaveLength(1); // fold 2 too small
  });
});
