import { buildPolicy } from '../../src/config/policy';
import { SEGMENTS } from '../../src/domain/types';
import { csrRow } from '../../src/contracts/versionMeta';
import { DatasetBuilder, DAY_MS, userItemMatrix } from '../data/dataset';
import { buildFallbackLists, itemPopularity } from './popularity';
import { ev, item, T0 } from '../data/testkit';

const policy = buildPolicy({ training: { fallbackListSize: 10, trendingWindowDays: 7, newArrivalDays: 14 } });

function build() {
  const b = new DatasetBuilder();
  const items = [];
  for (let i = 0; i < 30; i++) items.push(item(`i${i}`, i % 2 ? 'odd' : 'even', { createdAt: i === 5 ? T0 + 95 * DAY_MS : null }));
  items.push(item('gone', 'even', { available: false, createdAt: T0 + 99 * DAY_MS }));
  b.addItems(items);
  for (let u = 0; u < 40; u++) {
    const e = [ev(`u${u}`, 'gone', 'view', 10), ev(`u${u}`, 'gone', 'purchase', 11)];
    for (let i = 0; i < 30; i++) if ((u + i) % 3 === 0) e.push(ev(`u${u}`, `i${i}`, 'view', 20 + i));
    // i7 surges in the last week; i3 converts best.
    if (u < 20) e.push(ev(`u${u}`, 'i7', 'view', 97));
    if (u < 10) e.push(ev(`u${u}`, 'i3', 'view', 50), ev(`u${u}`, 'i3', 'purchase', 50.1));
    b.add(e);
  }
  b.add([ev('anchor', 'i0', 'view', 100)]);
  return b.build();
}

describe('fallback lists', () => {
  const ds = build();
  const ui = userItemMatrix(ds, policy, {});
  const pop = itemPopularity(ds, ui);
  const codes = new Uint8Array(ds.nUsers).map((_, u) => u % SEGMENTS.length);
  const lists = buildFallbackLists(ds, policy, ui, pop, codes);
  const gone = ds.itemIndex.get('gone')!;
  const name = (i: number) => ds.itemIds[i];

  it('never lists unavailable items and respects the list size', () => {
    const all: Int32Array[] = [...Object.values(lists.lists), ...(Object.values(lists.segmentLists) as Int32Array[])];
    for (const csr of Object.values(lists.categoryLists)) all.push(csr.indices);
    expect(Object.keys(lists.lists).sort()).toEqual(['best_converting', 'new_arrivals', 'popular', 'trending']);
    for (const l of all) expect(Array.from(l)).not.toContain(gone);
    for (const l of [...Object.values(lists.lists), ...(Object.values(lists.segmentLists) as Int32Array[])]) {
      expect(l.length).toBeLessThanOrEqual(10);
    }
    expect(pop.score[gone]).toBeGreaterThan(0); // it was the most popular item
    expect(Array.from(pop.order)).not.toContain(gone);
  });

  it('ranks trending, best converting and new arrivals', () => {
    expect(name(lists.lists.trending[0])).toBe('i7');
    expect(name(lists.lists.best_converting[0])).toBe('i3');
    // i5 has a catalogue createdAt 5 days before now; the anchor's i0... first seen long ago.
    expect(Array.from(lists.lists.new_arrivals).map(name)).toEqual(['i5']);
    expect(name(lists.lists.popular[0])).toBe('i7');
  });

  it('builds per-category and per-segment lists', () => {
    const even = ds.categories.indexOf('even');
    const row = csrRow(lists.categoryLists.category_popular, even);
    expect(row.indices.length).toBeGreaterThan(0);
    for (const i of row.indices) expect(ds.categories[ds.itemCategory[i]]).toBe('even');
    for (let x = 1; x < row.scores.length; x++) expect(row.scores[x]).toBeLessThanOrEqual(row.scores[x - 1]);
    for (const s of SEGMENTS) {
      expect(lists.categoryLists[`segment:${s}`].indptr.length).toBe(ds.categories.length + 1);
      expect(lists.segmentLists[s]).toBeInstanceOf(Int32Array);
    }
  });
});
