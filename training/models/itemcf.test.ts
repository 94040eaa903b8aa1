import { buildPolicy } from '../../src/config/policy';
import { csrRow } from '../../src/contracts/versionMeta';
import { DatasetBuilder, userItemMatrix } from '../data/dataset';
import { DEFAULT_ITEMCF, fitItemCf } from './itemcf';
import { ev } from '../data/testkit';

/** Deterministic noise plus planted pairs: (p0, q0) and (p1, q1) always co-occur. */
function plantedDataset() {
  const b = new DatasetBuilder();
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let u = 0; u < 60; u++) {
    const events = [];
    for (let x = 0; x < 4; x++) events.push(ev(`u${u}`, `n${Math.floor(rnd() * 40)}`, 'view', x));
    const pair = u % 3;
    if (pair < 2) events.push(ev(`u${u}`, `p${pair}`, 'view', 5), ev(`u${u}`, `q${pair}`, 'view', 5.01));
    b.add(events);
  }
  return b.build();
}

describe('fitItemCf', () => {
  const ds = plantedDataset();
  const ui = userItemMatrix(ds, buildPolicy(), { decay: false });
  const params = { ...DEFAULT_ITEMCF, k: 5 };

  it('finds planted co-occurrences as best neighbours', () => {
    const sim = fitItemCf(ui, params, ds.itemOrder);
    for (const [p, q] of [['p0', 'q0'], ['p1', 'q1'], ['q1', 'p1']]) {
      const row = csrRow(sim, ds.itemIndex.get(p)!);
      expect(ds.itemIds[row.indices[0]]).toBe(q);
    }
  });

  it('keeps at most K neighbours, best first, never the item itself', () => {
    const sim = fitItemCf(ui, { ...params, k: 3 }, ds.itemOrder);
    expect(sim.indptr.length).toBe(ds.nItems + 1);
    for (let i = 0; i < ds.nItems; i++) {
      const row = csrRow(sim, i);
      expect(row.indices.length).toBeLessThanOrEqual(3);
      expect(Array.from(row.indices)).not.toContain(i);
      for (let x = 1; x < row.scores.length; x++) expect(row.scores[x]).toBeLessThanOrEqual(row.scores[x - 1]);
    }
  });

  it('gives symmetric cosine similarity with alpha 0.5 and no damping', () => {
    const plain = { ...params, k: 100, shrink: 0, userPenalty: 0, proximity: 0 };
    const sim = fitItemCf(ui, plain, ds.itemOrder);
    const p = ds.itemIndex.get('p0')!;
    const q = ds.itemIndex.get('q0')!;
    const s = (a: number, b: number) => {
      const row = csrRow(sim, a);
      return row.scores[Array.from(row.indices).indexOf(b)];
    };
    expect(s(p, q)).toBeCloseTo(1, 5); // always together: cosine 1
    expect(s(p, q)).toBeCloseTo(s(q, p), 6);
  });

  it('caps heavy users without changing light ones', () => {
    const capped = fitItemCf(ui, { ...params, maxUserItems: 2 }, ds.itemOrder);
    const full = fitItemCf(ui, params, ds.itemOrder);
    expect(capped.indptr[ds.nItems]).toBeLessThan(full.indptr[ds.nItems]);
  });
});
