import { csrRow } from '../../../src/contracts/versionMeta';
import * as pool from '../../parallel/pool';
import { closeWorkers, PARALLEL_THRESHOLDS } from '../../parallel/pool';
import { annNeighbours } from './ann';
import { type EmbeddingModel, Rng } from './model';

const N_ITEMS = 2000;
const DIM = 16;
const K = 10;

/** An EmbeddingModel with seeded N(0, 1) item factors; items in `zero` get all-zero factors. */
function randomModel(nItems: number, dim: number, seed: number, zero: number[] = []): EmbeddingModel {
  const rng = new Rng(seed);
  const itemFactors = Float32Array.from({ length: nItems * dim }, () => rng.normal());
  for (const i of zero) itemFactors.fill(0, i * dim, (i + 1) * dim);
  return {
    nUsers: 1,
    nItems,
    dim,
    userFactors: new Float32Array(dim),
    itemFactors,
    itemBias: new Float32Array(nItems),
    params: { seed, kind: 'als', dim },
    info: { backend: 'test', fitSeconds: 0, epochs: 0, steps: 0, lastLoss: NaN },
  };
}

function norms(m: EmbeddingModel): Float64Array {
  const out = new Float64Array(m.nItems);
  for (let i = 0; i < m.nItems; i++) {
    let s = 0;
    for (let f = 0; f < m.dim; f++) s += m.itemFactors[i * m.dim + f] ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

function cosine(m: EmbeddingModel, n: Float64Array, i: number, j: number): number {
  let s = 0;
  for (let f = 0; f < m.dim; f++) s += m.itemFactors[i * m.dim + f] * m.itemFactors[j * m.dim + f];
  return s / (n[i] * n[j]);
}

/** Exact top-k cosine neighbours of every item (never itself, never a zero item), best first. */
function bruteForce(m: EmbeddingModel, k: number): number[][] {
  const n = norms(m);
  const rows: number[][] = [];
  for (let i = 0; i < m.nItems; i++) {
    if (n[i] === 0) {
      rows.push([]);
      continue;
    }
    const sims: Array<[number, number]> = [];
    for (let j = 0; j < m.nItems; j++) if (j !== i && n[j] > 0) sims.push([j, cosine(m, n, i, j)]);
    sims.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    rows.push(sims.slice(0, k).map(([j]) => j));
  }
  return rows;
}

const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('annNeighbours (USearch HNSW)', () => {
  const zero = [3, 500, 1999];
  const model = randomModel(N_ITEMS, DIM, 42, zero);
  const norm = norms(model);
  const exact = bruteForce(model, K);
  const nb = annNeighbours(model, K, identity(N_ITEMS));

  it('returns one row per item', () => {
    expect(nb.indptr.length).toBe(N_ITEMS + 1);
    expect(nb.indptr[0]).toBe(0);
    expect(nb.indices.length).toBe(nb.indptr[N_ITEMS]);
    expect(nb.scores.length).toBe(nb.indptr[N_ITEMS]);
    for (let i = 0; i < N_ITEMS; i++) expect(nb.indptr[i + 1]).toBeGreaterThanOrEqual(nb.indptr[i]);
  });

  it('gives the same neighbours on every run (the graph does not depend on thread scheduling)', () => {
    const again = annNeighbours(model, K, identity(N_ITEMS));
    expect(Array.from(again.indices)).toEqual(Array.from(nb.indices));
    expect(Array.from(again.scores)).toEqual(Array.from(nb.scores));
  });

  it('has mean recall@10 of at least 0.95 against the exact cosine top-10', () => {
    let recall = 0;
    let rows = 0;
    for (let i = 0; i < N_ITEMS; i++) {
      if (norm[i] === 0) continue;
      const got = new Set(Array.from(csrRow(nb, i).indices));
      expect(exact[i]).toHaveLength(K);
      recall += exact[i].filter((j) => got.has(j)).length / K;
      rows++;
    }
    expect(rows).toBe(N_ITEMS - zero.length);
    expect(recall / rows).toBeGreaterThanOrEqual(0.95);
  });

  it('gives every non-zero item k neighbours, never itself, best first, scored by their cosine', () => {
    // Violations are collected (one expect per kind keeps 20k checks fast and the failure readable).
    const wrongLength: number[] = [];
    const duplicates: number[] = [];
    const self: number[] = [];
    const unsorted: number[] = [];
    const badScore: Array<[number, number, number, number]> = [];
    let maxScoreError = 0;
    for (let i = 0; i < N_ITEMS; i++) {
      if (norm[i] === 0) continue;
      const { indices, scores } = csrRow(nb, i);
      if (indices.length !== K) wrongLength.push(i);
      if (new Set(Array.from(indices)).size !== indices.length) duplicates.push(i);
      if (Array.from(indices).includes(i)) self.push(i);
      for (let x = 1; x < scores.length; x++) if (scores[x] > scores[x - 1]) unsorted.push(i);
      for (let x = 0; x < indices.length; x++) {
        const c = cosine(model, norm, i, indices[x]);
        maxScoreError = Math.max(maxScoreError, Math.abs(scores[x] - c));
        if (!(Math.abs(scores[x] - c) < 1e-4) || !(scores[x] > 0)) badScore.push([i, indices[x], scores[x], c]);
      }
    }
    expect(wrongLength).toEqual([]);
    expect(duplicates).toEqual([]);
    expect(self).toEqual([]);
    expect(unsorted).toEqual([]);
    expect(badScore.slice(0, 5)).toEqual([]);
    expect(maxScoreError).toBeLessThan(1e-4);
  });

  it('gives zero-factor items empty rows and never lists them as neighbours', () => {
    for (const z of zero) expect(csrRow(nb, z).indices.length).toBe(0);
    const listed = new Set(Array.from(nb.indices));
    for (const z of zero) expect(listed.has(z)).toBe(false);
  });

  it('k = 0 gives empty rows', () => {
    const none = annNeighbours(model, 0, identity(N_ITEMS));
    expect(none.indptr.length).toBe(N_ITEMS + 1);
    expect(Array.from(none.indptr).every((v) => v === 0)).toBe(true);
    expect(none.indices.length).toBe(0);
    expect(none.scores.length).toBe(0);
  });

  it('keeps only neighbours above minScore', () => {
    const minScore = 0.6;
    const high = annNeighbours(model, K, identity(N_ITEMS), minScore);
    let kept = 0;
    let missed = 0;
    let expected = 0;
    const belowMin: number[] = [];
    for (let i = 0; i < N_ITEMS; i++) {
      const { indices, scores } = csrRow(high, i);
      for (const s of scores) if (!(s > minScore)) belowMin.push(i);
      kept += indices.length;
      // The exact top-k neighbours above the threshold are (nearly all) found.
      const got = new Set(Array.from(indices));
      for (const j of exact[i]) {
        if (cosine(model, norm, i, j) <= minScore + 1e-4) continue;
        expected++;
        if (!got.has(j)) missed++;
      }
    }
    expect(belowMin).toEqual([]);
    expect(expected).toBeGreaterThan(0);
    expect(kept).toBeLessThan(nb.indptr[N_ITEMS]);
    expect(missed / expected).toBeLessThanOrEqual(0.05);
  });

  it('fewer than two non-zero items give empty rows', () => {
    const lone = randomModel(5, 4, 1, [0, 1, 2, 4]);
    const out = annNeighbours(lone, 3, identity(5));
    expect(Array.from(out.indptr)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('annNeighbours on worker threads', () => {
  afterAll(() => closeWorkers());

  it('the search spread over the workers finds exactly what one thread finds', () => {
    const model = randomModel(3000, DIM, 7, [11]);
    const one = annNeighbours(model, K, identity(3000));
    const saved = { ...PARALLEL_THRESHOLDS };
    const env = process.env.RECS_TRAIN_THREADS;
    const spy = jest.spyOn(pool, 'parallelForSync');
    process.env.RECS_TRAIN_THREADS = '3';
    PARALLEL_THRESHOLDS.annSearchChunk = 97;
    PARALLEL_THRESHOLDS.mainTakesChunks = false; // the workers answer every query
    try {
      const three = annNeighbours(model, K, identity(3000));
      const calls = spy.mock.calls.filter((c) => c[0] === 'ann-search');
      expect(calls).toHaveLength(1);
      expect(calls[0][2]).toBe(Math.ceil(2999 / 97));
      expect(Array.from(three.indptr)).toEqual(Array.from(one.indptr));
      expect(Array.from(three.indices)).toEqual(Array.from(one.indices));
      expect(Array.from(three.scores)).toEqual(Array.from(one.scores));
      expect(one.indptr[3000]).toBe(2999 * K);
    } finally {
      spy.mockRestore();
      Object.assign(PARALLEL_THRESHOLDS, saved);
      if (env === undefined) delete process.env.RECS_TRAIN_THREADS;
      else process.env.RECS_TRAIN_THREADS = env;
    }
  });
});
