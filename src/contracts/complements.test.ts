import { rankComplements } from './complements';
import type { Csr } from './versionMeta';

/** Complement rows over six items: 0 -> 3 (4), 4 (2); 1 -> 4 (3), 5 (3); 2 -> 4 (0); 3..5 empty. */
const COMPLEMENTS: Csr = {
  indptr: Int32Array.from([0, 2, 4, 5, 5, 5, 5]),
  indices: Int32Array.from([3, 4, 4, 5, 4]),
  scores: Float32Array.from([4, 2, 3, 3, 0]),
};
const all = () => true;

describe('rankComplements', () => {
  it("scores one cart item's complements by their count over the row's best, best first", () => {
    expect(rankComplements(COMPLEMENTS, [0], 10, all)).toEqual([
      { item: 3, score: 1 },
      { item: 4, score: 0.5 },
    ]);
  });

  it("sums over the cart's items (averaged over the cart) and breaks ties by the smaller index", () => {
    // 4: 2/4 + 3/3 = 1.5; 3: 4/4 = 1; 5: 3/3 = 1 (a tie with 3: index 3 first); over 2 cart items.
    expect(rankComplements(COMPLEMENTS, [0, 1], 10, all)).toEqual([
      { item: 4, score: 0.75 },
      { item: 3, score: 0.5 },
      { item: 5, score: 0.5 },
    ]);
    // The cart's order does not matter.
    expect(rankComplements(COMPLEMENTS, [1, 0], 10, all)).toEqual(rankComplements(COMPLEMENTS, [0, 1], 10, all));
  });

  it('lets `accept` filter without using up the limit, and stops at `limit`', () => {
    expect(rankComplements(COMPLEMENTS, [0, 1], 2, (i) => i !== 4)).toEqual([
      { item: 3, score: 0.5 },
      { item: 5, score: 0.5 },
    ]);
    expect(rankComplements(COMPLEMENTS, [0, 1], 1, all)).toEqual([{ item: 4, score: 0.75 }]);
    expect(rankComplements(COMPLEMENTS, [0, 1], 0, all)).toEqual([]);
  });

  it('answers nothing without complements, for items without a row, and for indices outside the table', () => {
    expect(rankComplements(undefined, [0], 10, all)).toEqual([]);
    expect(rankComplements(COMPLEMENTS, [3, 4, 5], 10, all)).toEqual([]);
    expect(rankComplements(COMPLEMENTS, [-1, 6, 99], 10, all)).toEqual([]);
    expect(rankComplements(COMPLEMENTS, [], 10, all)).toEqual([]);
  });

  it('survives a row whose best count is 0 (no division by zero)', () => {
    const list = rankComplements(COMPLEMENTS, [2], 10, all);
    expect(list).toEqual([{ item: 4, score: 0 }]);
    for (const e of rankComplements(COMPLEMENTS, [0, 1, 2], 10, all)) expect(Number.isFinite(e.score)).toBe(true);
  });
});
