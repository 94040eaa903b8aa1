import { NO_TOUCHES, pageTouches, rankPage, type PageEntry, type PageSessionEvent, type PageTables, type TouchParams } from './pageRanking';
import type { Csr } from './versionMeta';

/** A CSR from rows of [item, score] pairs (row order kept as given). */
function csr(rows: Array<Array<[number, number]>>): Csr {
  const indptr = new Int32Array(rows.length + 1);
  const indices: number[] = [];
  const scores: number[] = [];
  rows.forEach((row, r) => {
    for (const [i, s] of row) {
      indices.push(i);
      scores.push(s);
    }
    indptr[r + 1] = indices.length;
  });
  return { indptr, indices: Int32Array.from(indices), scores: Float32Array.from(scores) };
}

/**
 * Ten items: 0..3 in category 0, 4..6 in category 1, 7..8 in category 2, 9 without a category.
 * Page rows: 0 -> 2 (3), 5 (2), 1 (1.5); 1 -> 1 itself (5), 0 (1) (a row holding its own item);
 * 4 -> 6 (1), 5 (1) (a tie stored out of index order). Every other row is empty.
 */
const CATEGORY = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 2, 2, -1]);
function tables(over: Partial<PageTables> = {}): PageTables {
  const rows: Array<Array<[number, number]>> = Array.from({ length: 10 }, () => []);
  rows[0] = [
    [2, 3],
    [5, 2],
    [1, 1.5],
  ];
  rows[1] = [
    [1, 5],
    [0, 1],
  ];
  rows[4] = [
    [6, 1],
    [5, 1],
  ];
  return {
    pageNeighbours: csr(rows),
    pageCategoryItems: csr([
      [
        [3, 1],
        [1, 1],
        [2, 1],
        [0, 1],
      ],
      [
        [6, 1],
        [4, 1],
        [5, 1],
      ],
      [
        [8, 1],
        [7, 1],
      ],
    ]),
    pagePopular: Int32Array.from([9, 8, 5, 3, 0, 1]),
    itemCategory: CATEGORY,
    ...over,
  };
}

const all = () => true;
const items = (list: PageEntry[]) => list.map((e) => e.item);
const BLEND = { touchWeight: 0.5, touchCategory: 1, embeddingWeight: 0 };

describe('rankPage', () => {
  it('lists the page row in order, then the page category by popularity, then every item by popularity', () => {
    const list = rankPage(tables(), 0, [], NO_TOUCHES, 10, all);
    expect(items(list)).toEqual([2, 5, 1, 3, 9, 8]);
    expect(list.map((e) => e.source)).toEqual(['coview', 'coview', 'coview', 'category_popular', 'popular', 'popular']);
    expect(list[0].score).toBeCloseTo(3, 6);
    expect(list[1].score).toBeCloseTo(2, 6);
    expect(list[2].score).toBeCloseTo(1.5, 6);
    // The continuation starts below min(last row score, 1) and keeps falling by 2% per item.
    expect(list[3].score).toBeCloseTo(0.98, 6);
    expect(list[4].score).toBeCloseTo(0.98 ** 2, 6);
    expect(list[5].score).toBeCloseTo(0.98 ** 3, 6);
  });

  it('never lists the page item: not from its category, not from popularity, not even when its own row holds it', () => {
    expect(items(rankPage(tables(), 0, [], NO_TOUCHES, 10, all))).not.toContain(0);
    const own = rankPage(tables(), 1, [{ item: 1, weight: 5 }], BLEND, 10, all);
    expect(items(own)).not.toContain(1);
    expect(items(own)).toEqual([0, 3, 2, 9, 8, 5]);
  });

  it('stops at `limit` (0 gives nothing)', () => {
    expect(items(rankPage(tables(), 0, [], NO_TOUCHES, 2, all))).toEqual([2, 5]);
    expect(items(rankPage(tables(), 0, [], NO_TOUCHES, 4, all))).toEqual([2, 5, 1, 3]);
    expect(rankPage(tables(), 0, [], NO_TOUCHES, 0, all)).toEqual([]);
  });

  it('respects `accept` everywhere: rejected items are skipped without using up the limit', () => {
    const accept = (i: number) => i !== 5 && i !== 9 && i !== 3;
    const list = rankPage(tables(), 0, [], NO_TOUCHES, 4, accept);
    expect(items(list)).toEqual([2, 1, 8]);
    const seen: number[] = [];
    rankPage(tables(), 0, [], NO_TOUCHES, 10, (i) => (seen.push(i), true));
    // The page item is never even offered to the filter.
    expect(seen).not.toContain(0);
  });

  it('breaks score ties by the smaller item index, whatever the row order', () => {
    const list = rankPage(tables(), 4, [], NO_TOUCHES, 2, all);
    expect(items(list)).toEqual([5, 6]);
    expect(list[0].score).toBe(list[1].score);
  });

  it('adds touchCategory to a touched item of the page category that the row does not hold; other categories get only the touch', () => {
    // Item 3 (category 0, not in row 0): touchCategory 1 + touch 0.5 * 1 = 1.5, level with item 1 (row 1.5): index 1 first.
    // Item 7 (category 2): only the touch, 0.5, and named refind (the touch outweighs its page score 0).
    const list = rankPage(
      tables(),
      0,
      [
        { item: 3, weight: 1 },
        { item: 7, weight: 1 },
      ],
      BLEND,
      10,
      all,
    );
    expect(items(list).slice(0, 5)).toEqual([2, 5, 1, 3, 7]);
    const by = new Map(list.map((e) => [e.item, e]));
    expect(by.get(3)!.score).toBeCloseTo(1.5, 6);
    expect(by.get(3)!.source).toBe('coview');
    expect(by.get(7)!.score).toBeCloseTo(0.5, 6);
    expect(by.get(7)!.source).toBe('refind');
    // Without touchCategory, item 3 is only its touch and falls below the row.
    const plain = rankPage(tables(), 0, [{ item: 3, weight: 1 }], { touchWeight: 0.5, touchCategory: 0, embeddingWeight: 0 }, 10, all);
    expect(plain.find((e) => e.item === 3)!.score).toBeCloseTo(0.5, 6);
    expect(plain.find((e) => e.item === 3)!.source).toBe('refind');
  });

  it('adds a touch to a row item on top of its row score, an item touched twice counting at its strongest', () => {
    const list = rankPage(
      tables(),
      0,
      [
        { item: 1, weight: 2 },
        { item: 1, weight: 8 },
      ],
      BLEND,
      3,
      all,
    );
    // Item 1: row 1.5 + 0.5 * 8 = 5.5 > 3: first, and refind because the touch (4) outweighs the row (1.5).
    expect(items(list)).toEqual([1, 2, 5]);
    expect(list[0].score).toBeCloseTo(5.5, 6);
    expect(list[0].source).toBe('refind');
  });

  it('ignores touches when touchWeight is 0 (the plain page) and touches of weight 0', () => {
    const withNoBlend = rankPage(tables(), 0, [{ item: 7, weight: 10 }], NO_TOUCHES, 10, all);
    expect(withNoBlend).toEqual(rankPage(tables(), 0, [], NO_TOUCHES, 10, all));
    const zero = rankPage(tables(), 0, [{ item: 7, weight: 0 }], BLEND, 10, all);
    expect(items(zero)).not.toContain(7);
  });

  it('never lists a hidden touch: not from the row, the touches, the category or popularity', () => {
    const hidden = [
      { item: 2, weight: 0, hidden: true },
      { item: 3, weight: 5, hidden: true },
      { item: 9, weight: 1, hidden: true },
    ];
    for (const blend of [BLEND, NO_TOUCHES]) {
      const list = rankPage(tables(), 0, hidden, blend, 10, all);
      expect(items(list)).toEqual([5, 1, 8]);
    }
  });

  it('puts the embedding neighbours after the row and before the category', () => {
    const embedding = csr(
      Array.from({ length: 10 }, (_, r) =>
        r === 0
          ? ([
              [7, 0.9],
              [2, 0.8],
              [4, 0.7],
            ] as Array<[number, number]>)
          : [],
      ),
    );
    const list = rankPage(tables({ embedding }), 0, [], NO_TOUCHES, 10, all);
    expect(items(list)).toEqual([2, 5, 1, 7, 4, 3, 9, 8]);
    expect(list.map((e) => e.source)).toEqual([
      'coview',
      'coview',
      'coview',
      'embedding',
      'embedding',
      'category_popular',
      'popular',
      'popular',
    ]);
    for (let k = 1; k < list.length; k++) expect(list[k].score).toBeLessThan(list[k - 1].score);
  });

  it('answers an unknown page (-1 or past the tables) with popularity alone', () => {
    for (const page of [-1, 99]) {
      const list = rankPage(tables(), page, [], NO_TOUCHES, 3, all);
      expect(items(list)).toEqual([9, 8, 5]);
      expect(list.every((e) => e.source === 'popular')).toBe(true);
    }
  });
});

const PARAMS: TouchParams = {
  sessionTypeWeight: { view: 1, fav: 1.5, cart: 2, purchase: 0 },
  sessionDecay: 0.5,
  refindWeight: 0.25,
  refindDecay: 0.5,
  visitGapSeconds: 1800,
  currentVisitWeight: 0,
  hideCurrentVisit: true,
};
const NOW = Date.UTC(2026, 0, 31, 12);
const S = 1000;
const byItem = <T extends { item: number }>(list: T[]) => [...list].sort((a, b) => a.item - b.item);

describe('pageTouches', () => {
  /** Newest first. 1, 2 and 3 form the current visit (3 is 2,500 s before now, but 1,500 s before 2). */
  const session: PageSessionEvent[] = [
    { item: 1, type: 'view', ts: NOW - 60 * S },
    { item: 2, type: 'view', ts: NOW - 1000 * S },
    { item: 3, type: 'cart', ts: NOW - 2500 * S },
    { item: 4, type: 'view', ts: NOW - 4500 * S },
    { item: 5, type: 'fav', ts: NOW - 4600 * S },
    { item: 1, type: 'view', ts: NOW - 5000 * S },
  ];

  it('chains the current visit backwards from now by visitGapSeconds, hides it and weighs it currentVisitWeight (0)', () => {
    const touches = byItem(pageTouches(session, [6, 4], PARAMS, NOW));
    expect(touches).toEqual([
      { item: 1, weight: 0, hidden: true },
      { item: 2, weight: 0, hidden: true },
      { item: 3, weight: 0, hidden: true },
      // Earlier visit: weight by type, decayed per distinct step back (4th and 5th distinct items).
      { item: 4, weight: 0.125 },
      { item: 5, weight: 1.5 * 0.5 ** 4 },
      // The re-find list's first item.
      { item: 6, weight: 0.25 },
    ]);
  });

  it('weighs the current visit currentVisitWeight times and lists it unhidden when hideCurrentVisit is off', () => {
    const touches = byItem(pageTouches(session, [], { ...PARAMS, currentVisitWeight: 0.5, hideCurrentVisit: false }, NOW));
    expect(touches.slice(0, 3)).toEqual([
      { item: 1, weight: 0.5, hidden: false },
      { item: 2, weight: 0.25, hidden: false },
      { item: 3, weight: 2 * 0.25 * 0.5, hidden: false },
    ]);
    expect(touches[3]).toEqual({ item: 4, weight: 0.125 });
  });

  it('has no current visit when the newest event is more than visitGapSeconds before now', () => {
    const old: PageSessionEvent[] = [
      { item: 1, type: 'view', ts: NOW - 1801 * S },
      { item: 2, type: 'cart', ts: NOW - 1900 * S },
    ];
    const touches = byItem(pageTouches(old, [], PARAMS, NOW));
    expect(touches).toEqual([
      { item: 1, weight: 1 },
      { item: 2, weight: 1 },
    ]);
    for (const t of touches) expect(t.hidden).toBeUndefined();
    // One second closer and both are the current visit.
    const current = pageTouches(old, [], PARAMS, NOW - 2 * S);
    expect(current.every((t) => t.hidden === true && t.weight === 0)).toBe(true);
  });

  it('decays the re-find list per step and keeps an item at its strongest signal', () => {
    const touches = byItem(pageTouches([], [7, 8, 9], PARAMS, NOW));
    expect(touches).toEqual([
      { item: 7, weight: 0.25 },
      { item: 8, weight: 0.125 },
      { item: 9, weight: 0.0625 },
    ]);
    // Item 7 viewed in an earlier visit (weight 1) beats its re-find weight (0.25).
    const both = byItem(pageTouches([{ item: 7, type: 'view', ts: NOW - 7200 * S }], [8, 7], PARAMS, NOW));
    expect(both).toEqual([
      { item: 7, weight: 1 },
      { item: 8, weight: 0.25 },
    ]);
  });

  it('keeps a purchase of the current visit hidden although its weight is 0; an older purchase is no touch at all', () => {
    const touches = pageTouches(
      [
        { item: 1, type: 'purchase', ts: NOW - 10 * S },
        { item: 2, type: 'purchase', ts: NOW - 9000 * S },
      ],
      [],
      PARAMS,
      NOW,
    );
    expect(touches).toEqual([{ item: 1, weight: 0, hidden: true }]);
  });

  it('feeds rankPage: the current visit stays off the page, an earlier visit comes back as refind', () => {
    // Items 2 and 5 (row 0) were looked at minutes ago; item 7 (another category) hours ago.
    const visit: PageSessionEvent[] = [
      { item: 2, type: 'view', ts: NOW - 30 * S },
      { item: 5, type: 'view', ts: NOW - 90 * S },
      { item: 7, type: 'view', ts: NOW - 3 * 3600 * S },
    ];
    const touches = pageTouches(visit, [], PARAMS, NOW);
    const list = rankPage(tables(), 0, touches, BLEND, 10, all);
    expect(items(list)).not.toContain(2);
    expect(items(list)).not.toContain(5);
    // 7 is the third distinct item: a touch of 1 * 0.5^2 = 0.25, times touchWeight 0.5: 0.125, below the row.
    expect(list.find((e) => e.item === 7)).toEqual({ item: 7, score: 0.125, source: 'refind' });
    expect(items(list)).toEqual([1, 7, 3, 9, 8]);
  });
});
