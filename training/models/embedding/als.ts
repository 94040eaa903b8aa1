/**
 * Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren & Volinsky 2008):
 *
 *   min  sum_{u,i} c_ui (p_ui - <x_u, y_i>)^2 + reg (|x_u|^2 + |y_i|^2),   p_ui = [r_ui > 0],  c_ui = 1 + alpha r_ui
 *
 * Each half-step fixes one side and solves every row of the other with a few conjugate-gradient
 * steps warm-started from the previous iterate (Takacs, Pilaszy & Tikk 2011; what `implicit` does),
 * using Y^T Y once per half-step so that a row costs dim^2 plus its non-zeros times dim. Rows are
 * independent: they are split across the trainer's worker threads on shared arrays, and the result
 * does not depend on the number of threads. The fitted model is an EmbeddingModel (item biases
 * zero), saved and loaded with tf.io like the BPR model.
 */
import { transpose, type WeightedCsr } from '../../data/dataset';
import { parallelForSync, PARALLEL_THRESHOLDS, sharedArray, toShared } from '../../parallel/pool';
import { type EmbeddingModel, Rng } from './model';

export interface AlsParams {
  dim: number;
  iterations: number;
  /** L2 penalty on every row. */
  reg: number;
  /** Confidence per unit of the matrix value: c = 1 + alpha * value. */
  alpha: number;
  /** Conjugate-gradient steps per row and half-step. */
  cgSteps: number;
  /** Std-dev of the initial item factors (normal, seeded). */
  initScale: number;
}

/** Chosen on validation (bench:embedding; docs/experiments.md). */
export const DEFAULT_ALS: AlsParams = { dim: 32, iterations: 8, reg: 0.1, alpha: 1, cgSteps: 2, initScale: 0.01 };

export const ALS_FORMAT_BACKEND = 'als-cg (typed arrays, worker threads)';

/** The rows a half-step solves, on shared arrays (a worker job: training/worker.ts). */
export interface AlsRowsData {
  dim: number;
  cgSteps: number;
  alpha: number;
  /** Rows being solved (rows x dim), updated in place. */
  x: Float32Array;
  /** The fixed side (cols x dim). */
  y: Float32Array;
  /** Y^T Y + reg I (dim x dim). */
  gram: Float64Array;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
  rows: number;
  chunkRows: number;
}

/** Solves rows [from, to) of a half-step (scratch: 4 * dim doubles). */
function solveRows(d: AlsRowsData, from: number, to: number, scratch: Float64Array): void {
  const { dim: f, cgSteps, alpha, x, y, gram, indptr, indices, values } = d;
  const xs = scratch.subarray(0, f);
  const r = scratch.subarray(f, 2 * f);
  const p = scratch.subarray(2 * f, 3 * f);
  const ap = scratch.subarray(3 * f, 4 * f);
  for (let u = from; u < to; u++) {
    const xo = u * f;
    const q0 = indptr[u];
    const q1 = indptr[u + 1];
    if (q0 === q1) {
      // No observations: the exact minimiser is 0 (and a zero row has no neighbours).
      x.fill(0, xo, xo + f);
      continue;
    }
    for (let a = 0; a < f; a++) xs[a] = x[xo + a];
    // r = Y^T C_u p_u - (Y^T C_u Y + reg I) x_u
    for (let a = 0; a < f; a++) {
      let s = 0;
      const g = a * f;
      for (let b = 0; b < f; b++) s += gram[g + b] * xs[b];
      r[a] = -s;
    }
    for (let q = q0; q < q1; q++) {
      const yo = indices[q] * f;
      const c = 1 + alpha * values[q];
      let dot = 0;
      for (let a = 0; a < f; a++) dot += y[yo + a] * xs[a];
      const coef = c - (c - 1) * dot;
      for (let a = 0; a < f; a++) r[a] += coef * y[yo + a];
    }
    let rs = 0;
    for (let a = 0; a < f; a++) {
      p[a] = r[a];
      rs += r[a] * r[a];
    }
    for (let step = 0; step < cgSteps && rs > 1e-20; step++) {
      for (let a = 0; a < f; a++) {
        let s = 0;
        const g = a * f;
        for (let b = 0; b < f; b++) s += gram[g + b] * p[b];
        ap[a] = s;
      }
      for (let q = q0; q < q1; q++) {
        const yo = indices[q] * f;
        const c = alpha * values[q];
        let dot = 0;
        for (let a = 0; a < f; a++) dot += y[yo + a] * p[a];
        const coef = c * dot;
        for (let a = 0; a < f; a++) ap[a] += coef * y[yo + a];
      }
      let pAp = 0;
      for (let a = 0; a < f; a++) pAp += p[a] * ap[a];
      if (!(pAp > 0)) break;
      const step_ = rs / pAp;
      let rsNew = 0;
      for (let a = 0; a < f; a++) {
        xs[a] += step_ * p[a];
        r[a] -= step_ * ap[a];
        rsNew += r[a] * r[a];
      }
      const beta = rsNew / rs;
      for (let a = 0; a < f; a++) p[a] = r[a] + beta * p[a];
      rs = rsNew;
    }
    for (let a = 0; a < f; a++) x[xo + a] = xs[a];
  }
}

export function alsRowsJob(d: AlsRowsData): (chunk: number) => void {
  const scratch = new Float64Array(4 * d.dim);
  return (chunk) => solveRows(d, chunk * d.chunkRows, Math.min(d.rows, (chunk + 1) * d.chunkRows), scratch);
}

/** Y^T Y + reg I of a rows x dim matrix. */
function gramOf(y: Float32Array, rows: number, dim: number, reg: number): Float64Array {
  const g = sharedArray(Float64Array, dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < rows; i++) {
    const o = i * dim;
    for (let a = 0; a < dim; a++) row[a] = y[o + a];
    for (let a = 0; a < dim; a++) {
      const ya = row[a];
      if (ya === 0) continue;
      const ga = a * dim;
      for (let b = a; b < dim; b++) g[ga + b] += ya * row[b];
    }
  }
  for (let a = 0; a < dim; a++) {
    g[a * dim + a] += reg;
    for (let b = a + 1; b < dim; b++) g[b * dim + a] = g[a * dim + b];
  }
  return g;
}

/** The columns' view of a CSR matrix (cols x rows), in shared memory for the worker threads. */
export function transposeCsr(m: WeightedCsr): WeightedCsr {
  const t = transpose(m);
  return { ...t, indptr: toShared(t.indptr), indices: toShared(t.indices), data: toShared(t.data) };
}

export interface AlsHooks {
  /** After each iteration (1-based) with its seconds. */
  onIteration?: (iteration: number, seconds: number) => void;
  /** Item factors to start from (nCols x dim), e.g. a model fitted on a validation part of the same data. */
  warmItems?: Float32Array;
}

/** Fits the factorisation of `ui` (users x items); `seed` draws the initial item factors. */
export function fitAls(ui: WeightedCsr, params: AlsParams & { seed: number }, hooks: AlsHooks = {}): EmbeddingModel {
  const t0 = process.hrtime.bigint();
  const { dim } = params;
  if (!(dim >= 1 && Number.isInteger(dim))) throw new Error(`als: dim must be a positive integer, got ${dim}`);
  const nUsers = ui.nRows;
  const nItems = ui.nCols;
  const users = { ...ui, indptr: toShared(ui.indptr), indices: toShared(ui.indices), data: toShared(ui.data) };
  const items = transposeCsr(ui);
  const userFactors = sharedArray(Float32Array, nUsers * dim);
  const itemFactors = sharedArray(Float32Array, nItems * dim);
  if (hooks.warmItems && hooks.warmItems.length === itemFactors.length) itemFactors.set(hooks.warmItems);
  else {
    const rng = new Rng(params.seed);
    for (let k = 0; k < itemFactors.length; k++) itemFactors[k] = rng.normal() * params.initScale;
  }
  const nnz = ui.indptr[nUsers];
  // Below the ranking threshold the workers' start-up costs more than the rows.
  const parallel = nnz >= PARALLEL_THRESHOLDS.rankEvents;
  // Solves every row of `rows` for x with y fixed (rows x cols: the solved side by the fixed one).
  const halfStep = (x: Float32Array, y: Float32Array, rows: WeightedCsr) => {
    const nRows = rows.nRows;
    const data: AlsRowsData = {
      dim,
      cgSteps: params.cgSteps,
      alpha: params.alpha,
      x,
      y,
      gram: gramOf(y, rows.nCols, dim, params.reg),
      indptr: rows.indptr,
      indices: rows.indices,
      values: rows.data,
      rows: nRows,
      chunkRows: Math.max(256, Math.ceil(nRows / 256)),
    };
    const chunks = Math.ceil(nRows / data.chunkRows);
    const local = alsRowsJob(data);
    if (parallel) parallelForSync('als-rows', data, chunks, local);
    else for (let c = 0; c < chunks; c++) local(c);
  };
  for (let it = 1; it <= params.iterations; it++) {
    const ti = process.hrtime.bigint();
    halfStep(userFactors, itemFactors, users);
    halfStep(itemFactors, userFactors, items);
    hooks.onIteration?.(it, Number(process.hrtime.bigint() - ti) / 1e9);
  }
  const fitSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    nUsers,
    nItems,
    dim,
    userFactors,
    itemFactors,
    itemBias: new Float32Array(nItems),
    params: { ...params, kind: 'als' },
    info: { backend: ALS_FORMAT_BACKEND, fitSeconds, epochs: params.iterations, steps: params.iterations * 2, lastLoss: NaN },
  };
}
