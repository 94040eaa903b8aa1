import type { WeightedCsr } from '../../data/dataset';
import * as pool from '../../parallel/pool';
import { closeWorkers, PARALLEL_THRESHOLDS } from '../../parallel/pool';
import { type AlsParams, alsRowsJob, DEFAULT_ALS, fitAls, transposeCsr } from './als';
import { type EmbeddingModel, Rng } from './model';

/**
 * Two taste groups: users 0..U/2-1 touch only items 0..I/2-1, users U/2..U-1 only items I/2..I-1;
 * each user sees `perUser` random items of their group (seeded). `emptyUsers` users with no entries
 * and `untouchedItems` items nobody touched are appended after the planted ones.
 */
function plantedGroups(nUsers: number, nItems: number, perUser: number, seed: number, emptyUsers = 0, untouchedItems = 0): WeightedCsr {
  const rng = new Rng(seed);
  const half = nItems / 2;
  const indptr = new Int32Array(nUsers + emptyUsers + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const base = u < nUsers / 2 ? 0 : half;
    const items = Array.from({ length: half }, (_, i) => base + i);
    for (let k = items.length - 1; k > 0; k--) {
      const r = rng.int(k + 1);
      [items[k], items[r]] = [items[r], items[k]];
    }
    for (const i of items.slice(0, perUser).sort((a, b) => a - b)) {
      indices.push(i);
      data.push(1 + rng.int(3)); // values 1..3: confidences differ
    }
    indptr[u + 1] = indices.length;
  }
  for (let u = nUsers; u < nUsers + emptyUsers; u++) indptr[u + 1] = indices.length;
  return {
    nRows: nUsers + emptyUsers,
    nCols: nItems + untouchedItems,
    indptr,
    indices: Int32Array.from(indices),
    data: Float32Array.from(data),
  };
}

/** reg is scaled to the tiny planted data (at DEFAULT_ALS's 0.1, 8 dims memorise 40 users' 5 items each). */
const PARAMS: AlsParams & { seed: number } = { ...DEFAULT_ALS, dim: 8, iterations: 10, reg: 5, cgSteps: 3, seed: 5 };

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let f = 0; f < dim; f++) s += a[ao + f] * b[bo + f];
  return s;
}

function rowNorm(a: Float32Array, row: number, dim: number): number {
  return Math.sqrt(dot(a, row * dim, a, row * dim, dim));
}

function rowOf(m: WeightedCsr, r: number): { cols: number[]; vals: number[] } {
  return { cols: Array.from(m.indices.subarray(m.indptr[r], m.indptr[r + 1])), vals: Array.from(m.data.subarray(m.indptr[r], m.indptr[r + 1])) };
}

/** The implicit-ALS objective: sum_{u,i} c_ui (p_ui - <x_u, y_i>)^2 + reg (|X|^2 + |Y|^2). */
function alsObjective(ui: WeightedCsr, m: EmbeddingModel, alpha: number, reg: number): number {
  const { dim, userFactors: X, itemFactors: Y } = m;
  let loss = 0;
  for (let u = 0; u < ui.nRows; u++) {
    const { cols, vals } = rowOf(ui, u);
    const obs = new Map(cols.map((c, k) => [c, vals[k]]));
    for (let i = 0; i < ui.nCols; i++) {
      const s = dot(X, u * dim, Y, i * dim, dim);
      const v = obs.get(i);
      loss += v === undefined ? s * s : (1 + alpha * v) * (1 - s) ** 2;
    }
  }
  for (const a of [X, Y]) for (let k = 0; k < a.length; k++) loss += reg * a[k] * a[k];
  return loss;
}

/** Runs fn with RECS_TRAIN_THREADS = threads and the ALS parallel path forced (workers compute every chunk). */
function withThreads<T>(threads: number, fn: () => T): T {
  const saved = { ...PARALLEL_THRESHOLDS };
  const env = process.env.RECS_TRAIN_THREADS;
  process.env.RECS_TRAIN_THREADS = String(threads);
  PARALLEL_THRESHOLDS.rankEvents = 0;
  PARALLEL_THRESHOLDS.mainTakesChunks = false;
  try {
    return fn();
  } finally {
    Object.assign(PARALLEL_THRESHOLDS, saved);
    if (env === undefined) delete process.env.RECS_TRAIN_THREADS;
    else process.env.RECS_TRAIN_THREADS = env;
  }
}

/** Solves the dense system A x = b (Gaussian elimination with partial pivoting). */
function solveDense(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, r) => [...row, b[r]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, r) => row[n] / row[r]);
}

describe('transposeCsr', () => {
  // 3 x 4:  row 0 = {1: 0.5, 3: 2}, row 1 = {}, row 2 = {0: 3, 1: 4.25, 3: 5}
  const m: WeightedCsr = {
    nRows: 3,
    nCols: 4,
    indptr: Int32Array.from([0, 2, 2, 5]),
    indices: Int32Array.from([1, 3, 0, 1, 3]),
    data: Float32Array.from([0.5, 2, 3, 4.25, 5]),
  };

  it('gives the exact transpose (rows sorted by column)', () => {
    const t = transposeCsr(m);
    expect(t.nRows).toBe(4);
    expect(t.nCols).toBe(3);
    expect(Array.from(t.indptr)).toEqual([0, 1, 3, 3, 5]);
    expect(Array.from(t.indices)).toEqual([2, 0, 2, 0, 2]);
    expect(Array.from(t.data)).toEqual([3, 0.5, 4.25, 2, 5]);
  });

  it('transposing twice gives the matrix back', () => {
    const tt = transposeCsr(transposeCsr(m));
    expect(tt.nRows).toBe(m.nRows);
    expect(tt.nCols).toBe(m.nCols);
    expect(Array.from(tt.indptr)).toEqual(Array.from(m.indptr));
    expect(Array.from(tt.indices)).toEqual(Array.from(m.indices));
    expect(Array.from(tt.data)).toEqual(Array.from(m.data));
  });

  it('handles an empty matrix', () => {
    const t = transposeCsr({ nRows: 2, nCols: 3, indptr: new Int32Array(3), indices: new Int32Array(0), data: new Float32Array(0) });
    expect(t.nRows).toBe(3);
    expect(t.nCols).toBe(2);
    expect(Array.from(t.indptr)).toEqual([0, 0, 0, 0]);
    expect(t.indices.length).toBe(0);
  });
});

describe('alsRowsJob', () => {
  it('solves each row of a chunk: (Y^T C_u Y + reg I) x_u = Y^T C_u p_u, empty rows zero', () => {
    const dim = 3;
    const nFixed = 5;
    const reg = 0.1;
    const alpha = 2;
    const rng = new Rng(3);
    const y = Float32Array.from({ length: nFixed * dim }, () => rng.normal());
    const gram = new Float64Array(dim * dim);
    for (let i = 0; i < nFixed; i++)
      for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) gram[a * dim + b] += y[i * dim + a] * y[i * dim + b];
    for (let a = 0; a < dim; a++) gram[a * dim + a] += reg;
    // Rows: 0 = {0: 1, 2: 3, 4: 0.5}, 1 = {}, 2 = {1: 2}; chunkRows 2 -> chunk 0 = rows 0..1, chunk 1 = row 2.
    const indptr = Int32Array.from([0, 3, 3, 4]);
    const indices = Int32Array.from([0, 2, 4, 1]);
    const values = Float32Array.from([1, 3, 0.5, 2]);
    const x = Float32Array.from({ length: 3 * dim }, () => 7); // stale values: every row must be rewritten
    const job = alsRowsJob({ dim, cgSteps: dim, alpha, x, y, gram, indptr, indices, values, rows: 3, chunkRows: 2 });
    job(1);
    // Only row 2 was solved by chunk 1.
    expect(Array.from(x.subarray(0, 2 * dim))).toEqual(new Array(2 * dim).fill(7));
    job(0);
    expect(Array.from(x.subarray(dim, 2 * dim))).toEqual([0, 0, 0]);
    for (const u of [0, 2]) {
      const a = Array.from({ length: dim }, (_, r) => Array.from(gram.subarray(r * dim, (r + 1) * dim)));
      const b = new Array<number>(dim).fill(0);
      for (let q = indptr[u]; q < indptr[u + 1]; q++) {
        const yo = indices[q] * dim;
        const c = 1 + alpha * values[q];
        for (let r = 0; r < dim; r++) {
          b[r] += c * y[yo + r];
          for (let s = 0; s < dim; s++) a[r][s] += (c - 1) * y[yo + r] * y[yo + s];
        }
      }
      const exact = solveDense(a, b);
      // CG with dim steps reaches the exact minimiser (up to float32 storage).
      for (let r = 0; r < dim; r++) expect(x[u * dim + r]).toBeCloseTo(exact[r], 4);
    }
  });
});

/** Textbook implicit ALS with exact per-row solves (same seeded start as fitAls). */
function referenceAls(ui: WeightedCsr, p: AlsParams & { seed: number }): { x: Float32Array; y: Float32Array } {
  const { dim, reg, alpha } = p;
  const rng = new Rng(p.seed);
  const y = Float32Array.from({ length: ui.nCols * dim }, () => rng.normal() * p.initScale);
  const x = new Float32Array(ui.nRows * dim);
  const it = transposeCsr(ui);
  const half = (out: Float32Array, fixed: Float32Array, m: WeightedCsr) => {
    const gram = Array.from({ length: dim }, (_, a) =>
      Array.from({ length: dim }, (_, b) => {
        let s = a === b ? reg : 0;
        for (let j = 0; j < m.nCols; j++) s += fixed[j * dim + a] * fixed[j * dim + b];
        return s;
      }),
    );
    for (let r = 0; r < m.nRows; r++) {
      const { cols, vals } = rowOf(m, r);
      if (cols.length === 0) {
        out.fill(0, r * dim, (r + 1) * dim);
        continue;
      }
      const a = gram.map((row) => [...row]);
      const b = new Array<number>(dim).fill(0);
      cols.forEach((j, k) => {
        const c = 1 + alpha * vals[k];
        for (let s = 0; s < dim; s++) {
          b[s] += c * fixed[j * dim + s];
          for (let t = 0; t < dim; t++) a[s][t] += (c - 1) * fixed[j * dim + s] * fixed[j * dim + t];
        }
      });
      out.set(solveDense(a, b), r * dim);
    }
  };
  for (let k = 0; k < p.iterations; k++) {
    half(x, y, ui);
    half(y, x, it);
  }
  return { x, y };
}

describe('fitAls', () => {
  // 40 planted users + 1 user with no entries (index 40); 20 planted items + 1 untouched item (index 20).
  const ui = plantedGroups(40, 20, 5, 7, 1, 1);
  const nUsers = 40;
  const nItems = 20;
  let model: EmbeddingModel;

  beforeAll(() => {
    model = fitAls(ui, PARAMS);
  });

  it('returns an EmbeddingModel of the matrix shape with zero biases', () => {
    expect(model.nUsers).toBe(41);
    expect(model.nItems).toBe(21);
    expect(model.dim).toBe(8);
    expect(model.userFactors.length).toBe(41 * 8);
    expect(model.itemFactors.length).toBe(21 * 8);
    expect(Array.from(model.itemBias)).toEqual(new Array(21).fill(0));
    expect(model.params.kind).toBe('als');
    expect(model.info.epochs).toBe(PARAMS.iterations);
    for (const v of model.userFactors) expect(Number.isFinite(v)).toBe(true);
    for (const v of model.itemFactors) expect(Number.isFinite(v)).toBe(true);
  });

  it('recovers planted groups: own-group unseen items score above every other-group item', () => {
    const { dim, userFactors: X, itemFactors: Y } = model;
    let checked = 0;
    for (let u = 0; u < nUsers; u++) {
      const g = u < nUsers / 2 ? 0 : 1;
      const seen = new Set(rowOf(ui, u).cols);
      const own: number[] = [];
      const other: number[] = [];
      for (let i = 0; i < nItems; i++) {
        const s = dot(X, u * dim, Y, i * dim, dim);
        if ((i < nItems / 2 ? 0 : 1) !== g) other.push(s);
        else if (!seen.has(i)) own.push(s);
      }
      expect(own.length).toBe(5);
      expect(Math.min(...own)).toBeGreaterThan(Math.max(...other));
      checked++;
    }
    expect(checked).toBe(nUsers);
  });

  it('item cosine neighbours are in the item’s group', () => {
    const { dim, itemFactors: Y } = model;
    const k = 3;
    for (let i = 0; i < nItems; i++) {
      const sims: Array<[number, number]> = [];
      for (let j = 0; j < nItems; j++) {
        if (j === i) continue;
        sims.push([j, dot(Y, i * dim, Y, j * dim, dim) / (rowNorm(Y, i, dim) * rowNorm(Y, j, dim))]);
      }
      sims.sort((a, b) => b[1] - a[1]);
      const group = i < nItems / 2 ? 0 : 1;
      for (const [j] of sims.slice(0, k)) expect(j < nItems / 2 ? 0 : 1).toBe(group);
    }
  });

  it('rows without observations are exactly zero', () => {
    const { dim } = model;
    expect(Array.from(model.userFactors.subarray(40 * dim, 41 * dim))).toEqual(new Array(dim).fill(0));
    expect(Array.from(model.itemFactors.subarray(20 * dim, 21 * dim))).toEqual(new Array(dim).fill(0));
    // ...and the observed ones are not.
    for (let u = 0; u < nUsers; u++) expect(rowNorm(model.userFactors, u, dim)).toBeGreaterThan(0);
    for (let i = 0; i < nItems; i++) expect(rowNorm(model.itemFactors, i, dim)).toBeGreaterThan(0);
  });

  it('the same seed gives bit-identical factors; another seed does not', () => {
    const again = fitAls(ui, PARAMS);
    expect(Buffer.from(again.userFactors.buffer, again.userFactors.byteOffset, again.userFactors.byteLength)).toEqual(
      Buffer.from(model.userFactors.buffer, model.userFactors.byteOffset, model.userFactors.byteLength),
    );
    expect(Buffer.from(again.itemFactors.buffer, again.itemFactors.byteOffset, again.itemFactors.byteLength)).toEqual(
      Buffer.from(model.itemFactors.buffer, model.itemFactors.byteOffset, model.itemFactors.byteLength),
    );
    const other = fitAls(ui, { ...PARAMS, seed: 6 });
    expect(Array.from(other.itemFactors)).not.toEqual(Array.from(model.itemFactors));
  });

  it('calls onIteration once per iteration, in order, with its seconds', () => {
    const calls: Array<[number, number]> = [];
    fitAls(ui, { ...PARAMS, iterations: 4 }, { onIteration: (it, s) => calls.push([it, s]) });
    expect(calls.map((c) => c[0])).toEqual([1, 2, 3, 4]);
    for (const [, s] of calls) {
      expect(Number.isFinite(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
    }
  });

  it('starts from hooks.warmItems instead of the seeded draw', () => {
    const one = { ...PARAMS, iterations: 1 };
    const warmItems = Float32Array.from(model.itemFactors);
    const warm = fitAls(ui, one, { warmItems });
    // The seed draws only the initial item factors: with warm items it is irrelevant.
    const warmOtherSeed = fitAls(ui, { ...one, seed: 99 }, { warmItems });
    expect(Array.from(warmOtherSeed.userFactors)).toEqual(Array.from(warm.userFactors));
    expect(Array.from(warmOtherSeed.itemFactors)).toEqual(Array.from(warm.itemFactors));
    // The caller's array is copied, not written to.
    expect(Array.from(warmItems)).toEqual(Array.from(model.itemFactors));
    // One iteration from fitted items is at least as good as one from the random start.
    const cold = fitAls(ui, one);
    expect(Array.from(cold.itemFactors)).not.toEqual(Array.from(warm.itemFactors));
    const objWarm = alsObjective(ui, warm, PARAMS.alpha, PARAMS.reg);
    const objCold = alsObjective(ui, cold, PARAMS.alpha, PARAMS.reg);
    expect(objWarm).toBeLessThanOrEqual(objCold);
    // ...and no worse than the fitted model it started from (by more than float noise).
    expect(objWarm).toBeLessThanOrEqual(alsObjective(ui, model, PARAMS.alpha, PARAMS.reg) * (1 + 1e-3));
  });

  it('with cgSteps = dim, equals textbook ALS with exact row solves', () => {
    const p = { ...PARAMS, dim: 4, iterations: 3, cgSteps: 4, initScale: 0.5 };
    const fitted = fitAls(ui, p);
    const ref = referenceAls(ui, p);
    let maxDiff = 0;
    let maxAbs = 0;
    for (let k = 0; k < ref.x.length; k++) maxDiff = Math.max(maxDiff, Math.abs(fitted.userFactors[k] - ref.x[k]));
    for (let k = 0; k < ref.y.length; k++) maxDiff = Math.max(maxDiff, Math.abs(fitted.itemFactors[k] - ref.y[k]));
    for (const v of ref.y) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBeGreaterThan(0.01);
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('rejects a dim that is not a positive integer', () => {
    for (const dim of [0, -1, 1.5, NaN]) expect(() => fitAls(ui, { ...PARAMS, dim })).toThrow(/dim/);
  });
});

describe('fitAls on worker threads', () => {
  // Over 256 rows on each side so that each half-step has several chunks.
  const big = plantedGroups(1200, 600, 10, 13, 3, 2);
  const params = { ...PARAMS, iterations: 3 };
  afterAll(() => closeWorkers());

  it('gives identical factors with 1 thread and with 3 threads', () => {
    const before = { ...PARALLEL_THRESHOLDS };
    const spy = jest.spyOn(pool, 'parallelForSync');
    try {
      const one = withThreads(1, () => fitAls(big, params));
      const three = withThreads(3, () => fitAls(big, params));
      // The parallel path ran (both fits go through it with the threshold lowered), with several chunks per half-step.
      const calls = spy.mock.calls.filter((c) => c[0] === 'als-rows');
      expect(calls.length).toBe(2 * 2 * params.iterations);
      for (const c of calls) expect(c[2]).toBeGreaterThan(1);
      expect(Array.from(three.userFactors)).toEqual(Array.from(one.userFactors));
      expect(Array.from(three.itemFactors)).toEqual(Array.from(one.itemFactors));
      // Not trivially equal: the factors are non-zero.
      expect(rowNorm(one.itemFactors, 0, params.dim)).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
    // Thresholds are restored.
    expect({ ...PARALLEL_THRESHOLDS }).toEqual(before);
  });

  it('the single-threaded default path (below the threshold) gives the same factors as the workers', () => {
    expect(big.indptr[big.nRows]).toBeLessThan(PARALLEL_THRESHOLDS.rankEvents);
    const serial = fitAls(big, params);
    const workers = withThreads(3, () => fitAls(big, params));
    expect(Array.from(workers.userFactors)).toEqual(Array.from(serial.userFactors));
    expect(Array.from(workers.itemFactors)).toEqual(Array.from(serial.itemFactors));
  });
});
