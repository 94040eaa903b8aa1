import { csrRow } from '../../src/contracts/versionMeta';
import { rankComplements } from '../../src/contracts/complements';
import { DatasetBuilder, type Dataset } from '../data/dataset';
import { ev, item } from '../data/testkit';
import { fitComplements } from './complements';

const HOUR = 1 / 24;

/**
 * A is a shirt; S1 a substitute shirt; C, D, E, F other categories. C is bought within hours of A by
 * three shoppers (once before A), D by one, E two days after A, F after A was only carted; S1 is
 * viewed with A and bought instead of it; C and A are carted together without a purchase once.
 */
function planted(): Dataset {
  const b = new DatasetBuilder();
  b.addItems([item('A', 'shirts'), item('S1', 'shirts'), item('C', 'belts'), item('D', 'socks'), item('E', 'hats'), item('F', 'bags')]);
  b.add([
    ev('u1', 'S1', 'view', 0),
    ev('u1', 'A', 'purchase', 0.1),
    ev('u1', 'C', 'purchase', 0.1 + HOUR),
    ev('u2', 'A', 'purchase', 1),
    ev('u2', 'C', 'purchase', 1.5),
    // Either order: C first, then A.
    ev('u7', 'C', 'purchase', 6),
    ev('u7', 'A', 'purchase', 6 + 5 * HOUR),
    ev('u3', 'A', 'purchase', 2),
    ev('u3', 'D', 'purchase', 2 + 3 * HOUR),
    // Two days later: outside a 24 h window.
    ev('u4', 'A', 'purchase', 3),
    ev('u4', 'E', 'purchase', 5),
    // Views never pair; the substitute is bought instead of A, not with it.
    ev('u5', 'A', 'view', 4),
    ev('u5', 'S1', 'view', 4.01),
    ev('u5', 'S1', 'purchase', 4.02),
    // Carts alone are no purchase: nothing pairs.
    ev('u6', 'A', 'cart', 4),
    ev('u6', 'C', 'cart', 4.1),
    // A only carted, F bought: F complements A, not the other way round.
    ev('u8', 'A', 'cart', 7),
    ev('u8', 'F', 'purchase', 7 + 2 * HOUR),
  ]);
  return b.build();
}

describe('fitComplements', () => {
  const ds = planted();
  const id = (x: string) => ds.itemIndex.get(x)!;
  const row = (csr: ReturnType<typeof fitComplements>, x: string) => {
    const r = csrRow(csr, id(x));
    return Array.from(r.indices).map((i, k) => [ds.itemIds[i], r.scores[k]]);
  };

  it('counts purchases within the window after or before a carted or bought item, best first (ties by item id)', () => {
    const c = fitComplements(ds, 24, 10);
    expect(c.indptr.length).toBe(ds.nItems + 1);
    for (let i = 0; i < ds.nItems; i++) expect(c.indptr[i + 1]).toBeGreaterThanOrEqual(c.indptr[i]);
    expect(row(c, 'A')).toEqual([
      ['C', 3],
      ['D', 1],
      ['F', 1],
    ]);
    expect(row(c, 'C')).toEqual([['A', 3]]);
    expect(row(c, 'D')).toEqual([['A', 1]]);
  });

  it('never pairs views, substitutes bought instead, carts without a purchase, or purchases outside the window', () => {
    const c = fitComplements(ds, 24, 10);
    const a = row(c, 'A').map(([x]) => x);
    expect(a).not.toContain('S1');
    expect(a).not.toContain('E');
    expect(a).not.toContain('A');
    expect(row(c, 'S1')).toEqual([]);
    expect(row(c, 'E')).toEqual([]);
    // F was bought after A was only carted: A is no complement of F.
    expect(row(c, 'F')).toEqual([]);
  });

  it('widens with the window and keeps at most k per item', () => {
    expect(row(fitComplements(ds, 72, 10), 'A')).toEqual([
      ['C', 3],
      ['D', 1],
      ['E', 1],
      ['F', 1],
    ]);
    expect(row(fitComplements(ds, 24, 1), 'A')).toEqual([['C', 3]]);
    // One hour: only u1's pair (1 h apart) remains of A's and C's.
    expect(row(fitComplements(ds, 1, 10), 'A')).toEqual([['C', 1]]);
  });

  it('gives the cart ranking its planted complement first', () => {
    const c = fitComplements(ds, 24, 10);
    const ranked = rankComplements(c, [id('A')], 10, (i) => ds.itemCategory[i] !== ds.itemCategory[id('A')]);
    expect(ranked.map((e) => ds.itemIds[e.item])).toEqual(['C', 'D', 'F']);
    expect(ranked[0].score).toBe(1);
  });

  it('answers an empty dataset with empty rows', () => {
    const empty = new DatasetBuilder();
    empty.addItems([item('x', 'a'), item('y', 'b')]);
    const c = fitComplements(empty.build(), 24, 10);
    expect(Array.from(c.indptr)).toEqual([0, 0, 0]);
    expect(c.indices.length).toBe(0);
  });
});
