import { buildPolicy } from '../../src/config/policy';
import { sourceName } from '../../src/contracts/sources';
import type { Item, StoreEvent } from '../../src/domain/types';
import { DatasetBuilder } from '../data/dataset';
import { fitModel } from './fit';
import { Ranker } from './ranker';
import type { CandidateSource } from './candidateSource';
import { DEFAULT_RANK, type RankParams } from './params';
import { ev, item } from '../data/testkit';

const policy = buildPolicy();

function setup(extra: StoreEvent[], items: Item[] = [], params: Partial<RankParams> = {}, sources?: CandidateSource[]) {
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
  const fitted = fitModel(ds, policy, { rank: params });
  const ranker = new Ranker({ ...fitted.model, sources });
  const rank = (user: string, n = 10, mode: 'bought' | 'history' = 'bought', fill = true) => {
    const r = ranker.rank(ds.userIndex.get(user)!, n, mode, fill);
    return {
      ids: Array.from(r.items).map((i) => ds.itemIds[i]),
      sources: Array.from(r.sources).map(sourceName),
      scores: Array.from(r.scores),
    };
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

  it('ranks the item a shopper stayed on above ones only glanced at when dwell is on', () => {
    const min = 1 / 1440;
    // A read for 20 minutes, then B and C glanced at for a minute each; D ends the history.
    const history = [
      ev('d', 'A', 'view', 60),
      ev('d', 'B', 'view', 60 + 20 * min),
      ev('d', 'C', 'view', 60 + 21 * min),
      ev('d', 'D', 'view', 60 + 22 * min),
    ];
    const refindOnly = (ids: string[]) => ids.filter((id) => ['A', 'B', 'C'].includes(id));
    const off = setup(history).rank('d', 20);
    expect(refindOnly(off.ids)[2]).toBe('A'); // recency alone: the oldest last
    const on = setup(history, [], { dwellWeight: 2 }).rank('d', 20);
    expect(refindOnly(on.ids)[0]).toBe('A');
    expect(on.sources[on.ids.indexOf('A')]).toBe('refind');
    // A gap beyond the cap is a session end, not reading: no dwell credit.
    const capped = setup(history, [], { dwellWeight: 2, dwellCapMinutes: 10 }).rank('d', 20);
    expect(refindOnly(capped.ids)[2]).toBe('A');
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

  it('blends an extra candidate source by its weight and names it as the source', () => {
    const extra = [ev('t', 'X', 'view', 50), ev('t', 'Y', 'purchase', 51)];
    const holder: { index?: Map<string, number> } = {};
    const ext = (weight: number): CandidateSource => ({
      source: 'embedding',
      weight,
      scores: (u, add) => {
        if (u < 0 || !holder.index) return;
        add(holder.index.get('noise3')!, 2);
        add(holder.index.get('Y')!, 1); // bought: filtered by the ranker
      },
    });
    const on = setup(extra, [], {}, [ext(5)]);
    holder.index = on.ds.itemIndex;
    const t = on.rank('t', 10);
    expect(t.ids[0]).toBe('noise3');
    expect(t.sources[0]).toBe('embedding');
    expect(t.ids).not.toContain('Y');
    const off = setup(extra, [], {}, [ext(0)]);
    holder.index = off.ds.itemIndex;
    expect(off.rank('t', 10).ids[0]).not.toBe('noise3');
  });

  it('session position and cart intent lift what was touched last and what was carted', () => {
    const extra = [ev('t', 'P', 'view', 50), ev('t', 'P', 'view', 50.001), ev('t', 'Q', 'view', 50.002), ev('t', 'X', 'view', 50.003)];
    const base = setup(extra, [], { refindWeight: 0 }).rank('t', 20);
    const pos = setup(extra, [], { refindWeight: 0, refindPositionWeight: 10, refindPositionDecay: 0.5 }).rank('t', 20);
    expect(pos.ids.slice(0, 3)).toEqual(['X', 'Q', 'P']); // newest distinct item first
    expect(pos.sources[0]).toBe('refind');
    expect(base.ids[0]).not.toBe('X');
    const cart = setup([...extra, ev('t', 'noise5', 'cart', 40)], [], { refindWeight: 0, intentWeight: 10, intentHalfLifeHours: 1e6 }).rank(
      't',
      20,
    );
    expect(cart.ids[0]).toBe('noise5');
  });

  it('adds popular items of the categories of the latest items when categoryWeight > 0', () => {
    const items = [item('P', 'cp'), item('Q', 'cp'), item('X', 'cx'), item('Y', 'cx'), item('Z', 'cx')];
    const extra = [ev('t', 'X', 'view', 50), ev('w', 'Z', 'view', 40), ev('w2', 'Z', 'view', 40)];
    const off = setup(extra, items).rank('t', 20);
    const on = setup(extra, items, { categoryWeight: 5 }).rank('t', 20);
    expect(on.ids.indexOf('Z')).toBeGreaterThanOrEqual(0);
    expect(on.ids.indexOf('Z')).toBeLessThan(off.ids.indexOf('Z') < 0 ? 99 : off.ids.indexOf('Z'));
    expect(on.sources[on.ids.indexOf('Z')]).toBe('category_popular');
  });

  it('power-law refind decay keeps an old cart above a recent-ish view', () => {
    // Old cart (5 days before the last event) vs a view 10 hours before it; last event on noise.
    const extra = [ev('t', 'noise5', 'cart', 45), ev('t', 'noise6', 'view', 49.6), ev('t', 'noise2', 'view', 50)];
    const params = { refindCart: 1, seedDecay: 0 };
    const expo = setup(extra, [], { ...params, refindHalfLifeHours: 24 }).rank('t', 20).ids;
    expect(expo.indexOf('noise6')).toBeLessThan(expo.indexOf('noise5'));
    const power = setup(extra, [], { ...params, refindAlpha: 1, refindCartAlpha: 0.1, refindTauHours: 1 }).rank('t', 20).ids;
    expect(power.indexOf('noise5')).toBeLessThan(power.indexOf('noise6'));
  });

  it('category focus lifts the touched item in the category of the last events', () => {
    const items = [item('P', 'cp'), item('Q', 'cp'), item('X', 'cx'), item('Y', 'cx'), item('noise1', 'cx'), item('noise2', 'cn')];
    // noise1 and noise2 carry equal refind strength; the last events are in category cx.
    const extra = [ev('t', 'noise2', 'view', 49), ev('t', 'noise1', 'view', 49), ev('t', 'X', 'view', 50), ev('t', 'Y', 'view', 50.0001)];
    const base = { refindWeight: 0, seedDecay: 0 };
    const pos = (ids: string[]) => [ids.indexOf('noise1'), ids.indexOf('noise2')];
    const [f1, f2] = pos(setup(extra, items, { ...base, focusWeight: 5, focusEvents: 2 }).rank('t', 20).ids);
    expect(f1).toBeLessThan(f2);
  });

  it('defaults keep every new term off', () => {
    expect(DEFAULT_RANK.refindPositionWeight).toBe(0);
    expect(DEFAULT_RANK.intentWeight).toBe(0);
    expect(DEFAULT_RANK.categoryWeight).toBe(0);
    expect(DEFAULT_RANK.refindAlpha).toBe(0);
    expect(DEFAULT_RANK.focusWeight).toBe(0);
    expect(DEFAULT_RANK.dwellWeight).toBe(0);
  });
});
