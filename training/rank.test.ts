import { buildPolicy } from '../src/config/policy';
import { sourceName } from '../src/model/sources';
import type { Item, StoreEvent } from '../src/domain/types';
import { DatasetBuilder } from './dataset';
import { fitModel } from './model';
import { Ranker } from './rank';
import { ev, item } from './testkit';

const policy = buildPolicy();

function setup(extra: StoreEvent[], items: Item[] = []) {
  const b = new DatasetBuilder();
  b.addItems(items);
  for (let u = 0; u < 30; u++) {
    // Two planted pairs used by disjoint groups: P goes with Q, X with Y.
    if (u < 15) b.add([ev(`c${u}`, 'P', 'view', 1 + u), ev(`c${u}`, 'Q', 'view', 1.01 + u)]);
    else b.add([ev(`c${u}`, 'X', 'view', 2 + u), ev(`c${u}`, 'Y', 'view', 2.01 + u)]);
    b.add([ev(`c${u}`, `noise${u % 7}`, 'view', 40)]);
  }
  b.add(extra);
  const ds = b.build();
  const fitted = fitModel(ds, policy);
  const ranker = new Ranker(fitted.model);
  const rank = (user: string, n = 10, mode: 'bought' | 'history' = 'bought') => {
    const r = ranker.rank(ds.userIndex.get(user)!, n, mode);
    return { ids: Array.from(r.items).map((i) => ds.itemIds[i]), sources: Array.from(r.sources).map(sourceName), scores: Array.from(r.scores) };
  };
  return { ds, ranker, rank };
}

describe('Ranker', () => {
  it('weighs recent history more: neighbours of the latest item come first', () => {
    const { rank } = setup([ev('t', 'P', 'view', 10), ev('t', 'X', 'view', 50), ev('u', 'X', 'view', 10), ev('u', 'P', 'view', 50)]);
    const t = rank('t');
    expect(t.ids.indexOf('Y')).toBeLessThan(t.ids.indexOf('Q'));
    expect(t.sources[t.ids.indexOf('Y')]).toBe('itemcf');
    const u = rank('u');
    expect(u.ids.indexOf('Q')).toBeLessThan(u.ids.indexOf('Y'));
  });

  it('never returns bought or unavailable items and re-finds touched ones', () => {
    const { rank } = setup(
      [ev('t', 'X', 'view', 50), ev('t', 'Y', 'purchase', 51), ev('t', 'Z', 'cart', 52), ev('t', 'P', 'view', 52)],
      [item('Q', null, { available: false })],
    );
    const t = rank('t', 20);
    expect(t.ids).not.toContain('Y');
    expect(t.ids).not.toContain('Q');
    expect(t.ids[0]).toBe('Z'); // carted most recently, not bought
    expect(t.sources[0]).toBe('refind');
    expect(t.ids).toContain('P');
    for (let x = 1; x < t.scores.length; x++) expect(t.scores[x]).toBeLessThanOrEqual(t.scores[x - 1]);
  });

  it('excludes the whole history in loo mode and fills with fallbacks', () => {
    const { rank, ds } = setup([ev('t', 'X', 'view', 50), ev('t', 'Z', 'view', 51)]);
    const t = rank('t', 20, 'history');
    expect(t.ids).not.toContain('X');
    expect(t.ids).not.toContain('Z');
    expect(t.ids[0]).toBe('Y');
    expect(t.ids.length).toBe(Math.min(20, ds.nItems - 2));
    expect(new Set(t.ids).size).toBe(t.ids.length);
  });

  it('answers an unknown user from the fallbacks', () => {
    const { ranker, ds } = setup([]);
    const r = ranker.rank(-1, 5);
    expect(r.items.length).toBe(5);
    expect(new Set(Array.from(r.items)).size).toBe(5);
    expect(Array.from(r.items).every((i) => i >= 0 && i < ds.nItems)).toBe(true);
  });

  it('returns candidates only when fill is off', () => {
    const { ranker, ds } = setup([ev('t', 'X', 'view', 50)]);
    const r = ranker.rank(ds.userIndex.get('t')!, 20, 'history', false);
    const ids = Array.from(r.items).map((i) => ds.itemIds[i]);
    expect(ids[0]).toBe('Y');
    expect(ids.length).toBeLessThan(20); // neighbours of X only: no popularity fill
    expect(ids).not.toContain('P');
    expect(Array.from(r.sources).every((c) => sourceName(c) === 'itemcf')).toBe(true);
  });
});
