import type { Csr } from '../../src/contracts/versionMeta';
import { type Dataset, DatasetBuilder } from '../data/dataset';
import { ev, item } from '../data/testkit';
import { type EmbeddingModel, Rng } from '../models/embedding/model';
import { type EmbeddingCandidates, embeddingCandidates, embeddingSource, FULL_SCAN_ITEMS } from './embeddingSource';

const DIM = 3;

/** An EmbeddingModel with seeded factors and biases for ds's users and items. */
function modelFor(nUsers: number, nItems: number, seed: number, dim = DIM): EmbeddingModel {
  const rng = new Rng(seed);
  return {
    nUsers,
    nItems,
    dim,
    userFactors: Float32Array.from({ length: nUsers * dim }, () => rng.normal()),
    itemFactors: Float32Array.from({ length: nItems * dim }, () => rng.normal()),
    itemBias: Float32Array.from({ length: nItems }, () => rng.normal() * 0.1),
    params: { seed, kind: 'als', dim },
    info: { backend: 'test', fitSeconds: 0, epochs: 0, steps: 0, lastLoss: NaN },
  };
}

/** <p_u, q_i> + b_i, summed in the source's order. */
function score(e: EmbeddingCandidates, u: number, i: number): number {
  let s = e.itemBias[i];
  for (let f = 0; f < e.dim; f++) s += e.userFactors[u * e.dim + f] * e.itemFactors[i * e.dim + f];
  return s;
}

/** What the source adds for user u, in call order. */
function collect(e: EmbeddingCandidates, ds: Dataset, u: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  embeddingSource(e, ds).scores(u, (i, s) => out.push([i, s]));
  return out;
}

/** `items` ranked by score (ties: smaller id first), at most 100, with rank-based scores. */
function expectedRanking(e: EmbeddingCandidates, ds: Dataset, u: number, items: Iterable<number>): Array<[number, number]> {
  return [...items]
    .map((i) => ({ i, s: score(e, u, i) }))
    .sort((a, b) => b.s - a.s || ds.itemOrder[a.i] - ds.itemOrder[b.i])
    .slice(0, 100)
    .map(({ i }, r) => [i, (100 - r) / 100]);
}

/**
 * `nItems` catalogue items added in reverse id order (index 0 = the largest id), so index order and
 * id order (the tie-break) differ; a few users with a few events each.
 */
function catalogueDataset(nItems: number): Dataset {
  const b = new DatasetBuilder();
  const ids = Array.from({ length: nItems }, (_, k) => `p${String(k).padStart(3, '0')}`).reverse();
  b.addItems(ids.map((id) => item(id, null)));
  b.add([ev('u0', ids[0], 'view', 0), ev('u0', ids[1], 'cart', 1), ev('u1', ids[2], 'view', 0), ev('u2', ids[3], 'purchase', 2)]);
  return b.build();
}

describe('embeddingCandidates', () => {
  it('keeps the model and weight; small catalogues are scanned whole (neighbours dropped)', () => {
    const m = modelFor(3, 30, 1);
    const nb: Csr = { indptr: new Int32Array(31), indices: new Int32Array(0), scores: new Float32Array(0) };
    const e = embeddingCandidates(m, 0.7, nb);
    expect(e.weight).toBe(0.7);
    expect(e.nUsers).toBe(3);
    expect(e.nItems).toBe(30);
    expect(e.dim).toBe(DIM);
    expect(e.userFactors).toBe(m.userFactors);
    expect(e.itemFactors).toBe(m.itemFactors);
    expect(e.itemBias).toBe(m.itemBias);
    expect(e.neighbours).toBeUndefined();
    expect(embeddingCandidates(m, 0.7).neighbours).toBeUndefined();
  });

  it('above FULL_SCAN_ITEMS needs the neighbours, and keeps them', () => {
    const n = FULL_SCAN_ITEMS + 1;
    const m = modelFor(1, n, 2, 1);
    expect(() => embeddingCandidates(m, 1)).toThrow(/neighbours/);
    const nb: Csr = { indptr: new Int32Array(n + 1), indices: new Int32Array(0), scores: new Float32Array(0) };
    expect(embeddingCandidates(m, 1, nb).neighbours).toBe(nb);
    // At exactly FULL_SCAN_ITEMS the catalogue is still scanned whole.
    expect(() => embeddingCandidates(modelFor(1, FULL_SCAN_ITEMS, 2, 1), 1)).not.toThrow();
  });
});

describe('embeddingSource, full scan', () => {
  it('is the embedding source with the given weight', () => {
    const ds = catalogueDataset(10);
    const src = embeddingSource(embeddingCandidates(modelFor(ds.nUsers, ds.nItems, 3), 0.25), ds);
    expect(src.source).toBe('embedding');
    expect(src.weight).toBe(0.25);
  });

  it('ranks every item of a small catalogue by <p_u, q_i> + b_i with rank-based scores', () => {
    const ds = catalogueDataset(30);
    const e = embeddingCandidates(modelFor(ds.nUsers, ds.nItems, 4), 1);
    for (let u = 0; u < ds.nUsers; u++) {
      const got = collect(e, ds, u);
      expect(got).toHaveLength(30); // seen items too: the Ranker filters exclusions
      expect(got).toEqual(expectedRanking(e, ds, u, ds.itemIndex.values()));
      expect(got[0][1]).toBe(1);
      expect(got[1][1]).toBe(0.99);
      expect(got[29][1]).toBe(0.71);
      // Rank order matches the real scores.
      for (let r = 1; r < got.length; r++) expect(score(e, u, got[r][0])).toBeLessThanOrEqual(score(e, u, got[r - 1][0]));
    }
  });

  it('takes the 100 best of a larger catalogue', () => {
    const ds = catalogueDataset(150);
    const e = embeddingCandidates(modelFor(ds.nUsers, ds.nItems, 5), 1);
    const got = collect(e, ds, 1);
    expect(got).toHaveLength(100);
    expect(got).toEqual(expectedRanking(e, ds, 1, ds.itemIndex.values()));
    expect(got[99][1]).toBeCloseTo(0.01, 12);
    const best = new Set(got.map(([i]) => i));
    const worstKept = Math.min(...got.map(([i]) => score(e, 1, i)));
    for (let i = 0; i < ds.nItems; i++) if (!best.has(i)) expect(score(e, 1, i)).toBeLessThanOrEqual(worstKept);
  });

  it('breaks score ties by item id (smaller id first)', () => {
    const ds = catalogueDataset(12);
    const m = modelFor(ds.nUsers, ds.nItems, 6);
    // Items with index 2 and 7 get identical factors and bias; index 7 has the smaller id (reverse order).
    const a = 2;
    const b = 7;
    m.itemFactors.copyWithin(b * DIM, a * DIM, (a + 1) * DIM);
    m.itemBias[b] = m.itemBias[a];
    expect(ds.itemOrder[b]).toBeLessThan(ds.itemOrder[a]);
    const got = collect(embeddingCandidates(m, 1), ds, 0).map(([i]) => i);
    expect(got.indexOf(b)).toBe(got.indexOf(a) - 1);
  });

  it('adds nothing for an unknown user (-1 or >= nUsers)', () => {
    const ds = catalogueDataset(20);
    const e = embeddingCandidates(modelFor(ds.nUsers, ds.nItems, 7), 1);
    for (const u of [-1, ds.nUsers, ds.nUsers + 5]) expect(collect(e, ds, u)).toEqual([]);
    // A model with fewer users than the dataset: the dataset's extra users are unknown to it.
    const smaller = embeddingCandidates(modelFor(2, ds.nItems, 7), 1);
    expect(collect(smaller, ds, 2)).toEqual([]);
    expect(collect(smaller, ds, 1)).toHaveLength(20);
  });
});

describe('embeddingSource, neighbours of recent items', () => {
  /**
   * History items h00..h24 and candidate items c00..c50. User `a` views h00..h24 on days 0..24,
   * then h00, h24, h00, h24 again: the 20 most recent distinct items are h24, h00, h23, ..., h06
   * (counting events instead would stop at h08). User `b` touched only c items (empty neighbour
   * rows); user `c` touched h01..h05 only.
   */
  function historyDataset(): Dataset {
    const b = new DatasetBuilder();
    const h = Array.from({ length: 25 }, (_, k) => `h${String(k).padStart(2, '0')}`);
    const c = Array.from({ length: 51 }, (_, k) => `c${String(k).padStart(2, '0')}`);
    b.addItems([...c, ...h].map((id) => item(id, null)));
    b.add(h.map((id, k) => ev('a', id, 'view', k)));
    b.add([ev('a', 'h00', 'view', 30), ev('a', 'h24', 'view', 31), ev('a', 'h00', 'cart', 32), ev('a', 'h24', 'view', 33)]);
    b.add([ev('b', 'c00', 'view', 0), ev('b', 'c01', 'view', 1)]);
    b.add(h.slice(1, 6).map((id, k) => ev('c', id, 'view', k)));
    return b.build();
  }

  /** Row of h_k = c_2k, c_2k+1, c_2k+2 (consecutive rows share one item); c rows are empty. */
  function historyNeighbours(ds: Dataset): Csr {
    const rows: number[][] = Array.from({ length: ds.nItems }, () => []);
    for (let k = 0; k < 25; k++) {
      const hi = ds.itemIndex.get(`h${String(k).padStart(2, '0')}`)!;
      rows[hi] = [2 * k, 2 * k + 1, 2 * k + 2].filter((j) => j <= 50).map((j) => ds.itemIndex.get(`c${String(j).padStart(2, '0')}`)!);
    }
    return csrOf(rows);
  }

  function csrOf(rows: number[][]): Csr {
    const indptr = new Int32Array(rows.length + 1);
    rows.forEach((r, i) => (indptr[i + 1] = indptr[i] + r.length));
    const flat = rows.flat();
    return { indptr, indices: Int32Array.from(flat), scores: new Float32Array(flat.length).fill(0.5) };
  }

  function withNeighbours(ds: Dataset, nb: Csr, seed: number): EmbeddingCandidates {
    const m = modelFor(ds.nUsers, ds.nItems, seed);
    return { ...embeddingCandidates(m, 1), neighbours: nb };
  }

  function union(ds: Dataset, nb: Csr, items: string[]): Set<number> {
    const out = new Set<number>();
    for (const id of items) {
      const i = ds.itemIndex.get(id)!;
      for (let q = nb.indptr[i]; q < nb.indptr[i + 1]; q++) out.add(nb.indices[q]);
    }
    return out;
  }

  const ds = historyDataset();
  const nb = historyNeighbours(ds);
  const e = withNeighbours(ds, nb, 8);
  const recentOfA = ['h24', 'h00', ...Array.from({ length: 18 }, (_, k) => `h${String(23 - k).padStart(2, '0')}`)];

  it('candidates are the union of the neighbour rows of the 20 most recent distinct items, ranked by score', () => {
    const u = ds.userIndex.get('a')!;
    expect(recentOfA).toHaveLength(20);
    expect(recentOfA).toContain('h06');
    expect(recentOfA).not.toContain('h05');
    const expected = union(ds, nb, recentOfA);
    const got = collect(e, ds, u);
    expect(new Set(got.map(([i]) => i))).toEqual(expected);
    expect(got).toHaveLength(expected.size); // each candidate once
    expect(got).toEqual(expectedRanking(e, ds, u, expected));
    // c03..c11 come only from h01..h05, older than the 20 recent items.
    for (let j = 3; j <= 11; j++) expect(expected.has(ds.itemIndex.get(`c${String(j).padStart(2, '0')}`)!)).toBe(false);
    expect(got[0][1]).toBe(1);
  });

  it('scores only the candidates, not the whole catalogue', () => {
    // c40 would top a full scan for everyone (huge bias) but is not in user c's candidates' rows.
    const u = ds.userIndex.get('c')!;
    const c40 = ds.itemIndex.get('c40')!;
    const boosted: EmbeddingCandidates = { ...e, itemBias: Float32Array.from(e.itemBias) };
    boosted.itemBias[c40] = 100;
    const expected = union(ds, nb, ['h01', 'h02', 'h03', 'h04', 'h05']);
    expect(expected.has(c40)).toBe(false);
    const got = collect(boosted, ds, u);
    expect(got).toEqual(expectedRanking(boosted, ds, u, expected));
    expect(got.map(([i]) => i)).not.toContain(c40);
    // ...while user a, whose recent h20 lists c40, gets it first.
    expect(collect(boosted, ds, ds.userIndex.get('a')!)[0]).toEqual([c40, 1]);
  });

  it('a user whose items have no neighbours, and an unknown user, get nothing', () => {
    expect(collect(e, ds, ds.userIndex.get('b')!)).toEqual([]);
    expect(collect(e, ds, -1)).toEqual([]);
    expect(collect(e, ds, ds.nUsers)).toEqual([]);
  });

  it('one source gives each user the same list whatever users it served before', () => {
    const src = embeddingSource(e, ds);
    const run = (u: number) => {
      const out: Array<[number, number]> = [];
      src.scores(u, (i, s) => out.push([i, s]));
      return out;
    };
    const a = ds.userIndex.get('a')!;
    const c = ds.userIndex.get('c')!;
    const first = run(a);
    const cFirst = run(c);
    expect(run(a)).toEqual(first);
    expect(run(c)).toEqual(cFirst);
    expect(run(a)).toEqual(collect(e, ds, a));
  });

  it('recent items that are each other’s neighbours are candidates too (union, whatever the order)', () => {
    // User x views A then B; A's row is [B, C], B's row is [A, D]: the union is {A, B, C, D}.
    const b = new DatasetBuilder();
    b.add([ev('x', 'A', 'view', 0), ev('x', 'B', 'view', 1), ev('y', 'C', 'view', 0), ev('y', 'D', 'view', 1)]);
    const small = b.build();
    const [A, B, C, D] = ['A', 'B', 'C', 'D'].map((id) => small.itemIndex.get(id)!);
    const rows: number[][] = [];
    rows[A] = [B, C];
    rows[B] = [A, D];
    rows[C] = [];
    rows[D] = [];
    const snb = csrOf(rows);
    const se = withNeighbours(small, snb, 9);
    const u = small.userIndex.get('x')!;
    const got = collect(se, small, u);
    expect(new Set(got.map(([i]) => i))).toEqual(new Set([A, B, C, D]));
    expect(got).toEqual(expectedRanking(se, small, u, [A, B, C, D]));
  });
});
