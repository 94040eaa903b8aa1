/**
 * Item-item collaborative filtering: sparse co-occurrence over each user's item list (never a
 * dense items x items matrix), asymmetric cosine with shrinkage, inverse-user-frequency damping
 * of heavy users, top-K neighbours per item.
 *
 *   co(i, j)  = sum_u f(u) * w(u, i) * w(u, j),   f(u) = 1 / ln(e + |items(u)| - 1)^userPenalty
 *   sim(i, j) = co(i, j) / (n(i)^alpha * n(j)^(1 - alpha) + shrink),   n(i) = sum_u f(u) * w(u, i)^2
 *
 * alpha > 0.5 damps popular neighbours j less and popular seeds more; proximity > 0 weighs a
 * co-occurrence by how close the two items were in the user's sequence (what is used together).
 */
import type { Csr } from '../../src/contracts/versionMeta';
import { TopK } from '../data/topk';
import { transpose, type WeightedCsr } from '../data/dataset';
import { PARALLEL_THRESHOLDS, parallelForSync, type SharedTyped, sharedArray, toShared, trainThreads } from '../parallel/pool';

export interface ItemCfParams {
  /** Neighbours kept per item. */
  k: number;
  /** Asymmetric cosine exponent on the seed item's norm (0.5 = cosine). */
  alpha: number;
  /** Added to the denominator: pulls similarities backed by few users towards zero. */
  shrink: number;
  /** Exponent of the inverse-user-frequency damping (0 = off). */
  userPenalty: number;
  /** Users with more items contribute only their strongest `maxUserItems` (bounds sum of deg^2). */
  maxUserItems: number;
  /** Scale each item's neighbour row so its best neighbour scores 1 (comparable across seeds). */
  normalizeRows: boolean;
  /**
   * Sequence proximity: a co-occurrence counts 1 / (1 + distance / proximity), distance = how many
   * distinct items apart the two were in the user's history; 0 = off (plain co-occurrence).
   */
  proximity: number;
}

/**
 * Chosen on validation splits carved from the training part of ml-100k `loo` and Taobao `purchase`
 * (never their test items); sequence proximity and light shrinkage helped most (docs/experiments.md).
 */
export const DEFAULT_ITEMCF: Omit<ItemCfParams, 'k'> = {
  alpha: 0.5,
  shrink: 3,
  userPenalty: 1,
  maxUserItems: 500,
  normalizeRows: false,
  proximity: 2,
};

/**
 * Fits neighbours from a weighted users x items matrix. `tieRank` orders equal similarities
 * (item id order) so the output is deterministic.
 */
export function fitItemCf(ui: WeightedCsr, params: ItemCfParams, tieRank: ArrayLike<number>, positions?: Float32Array): Csr {
  const nItems = ui.nCols;
  const nUsers = ui.nRows;
  const useProximity = params.proximity > 0 && positions !== undefined;
  // Per-user capped rows (strongest interactions) and user damping factor.
  const { m: capped, aux: pos } = capRows(ui, params.maxUserItems, positions ?? new Float32Array(ui.indptr[ui.nRows]));
  // Entry -> position in the capped matrix, to find an item's position inside a user row.
  const posT = useProximity ? transposeAux(capped, pos) : undefined;
  const userF = new Float32Array(nUsers);
  let work = 0;
  for (let u = 0; u < nUsers; u++) {
    const deg = capped.indptr[u + 1] - capped.indptr[u];
    work += deg * deg;
    userF[u] = params.userPenalty > 0 ? 1 / Math.pow(Math.log(Math.E + deg - 1), params.userPenalty) : 1;
  }
  const norm = new Float64Array(nItems);
  for (let u = 0; u < nUsers; u++) {
    for (let p = capped.indptr[u]; p < capped.indptr[u + 1]; p++) {
      norm[capped.indices[p]] += userF[u] * capped.data[p] * capped.data[p];
    }
  }
  const iu = transpose(capped);
  const k = Math.max(0, params.k);
  const threads = work >= PARALLEL_THRESHOLDS.itemCfPairs ? trainThreads() : 1;
  // Rows are computed chunk by chunk (in parallel at scale) into fixed k-wide slots, then packed.
  const share = threads > 1 ? toShared : <T extends SharedTyped>(a: T) => a;
  const alloc = threads > 1 ? sharedArray : <T extends SharedTyped>(C: { new (n: number): T }, n: number) => new C(n);
  const data: ItemCfRowsData = {
    nItems,
    params,
    chunkSize: ROW_CHUNK,
    tieRank: share(Int32Array.from(tieRank)),
    cappedIndptr: share(capped.indptr),
    cappedIndices: share(capped.indices),
    cappedData: share(capped.data),
    pos: useProximity ? share(pos) : undefined,
    posT: posT ? share(posT) : undefined,
    iuIndptr: share(iu.indptr),
    iuIndices: share(iu.indices),
    iuData: share(iu.data),
    userF: share(userF),
    norm: share(norm),
    outLen: alloc(Int32Array, nItems),
    outIds: alloc(Int32Array, nItems * k),
    outScores: alloc(Float32Array, nItems * k),
  };
  parallelForSync('itemcf-rows', data, Math.ceil(nItems / ROW_CHUNK), itemCfRowsJob(data), threads);
  const indptr = new Int32Array(nItems + 1);
  for (let i = 0; i < nItems; i++) indptr[i + 1] = indptr[i] + data.outLen[i];
  const nnz = indptr[nItems];
  const indices = new Int32Array(nnz);
  const scores = new Float32Array(nnz);
  for (let i = 0; i < nItems; i++) {
    const len = data.outLen[i];
    indices.set(data.outIds.subarray(i * k, i * k + len), indptr[i]);
    scores.set(data.outScores.subarray(i * k, i * k + len), indptr[i]);
  }
  return { indptr, indices, scores };
}

/** Items per chunk of the row computation (chunks are handed out dynamically: popular rows cost more). */
const ROW_CHUNK = 64;

/** What one thread needs to compute neighbour rows (typed arrays shared between threads). */
export interface ItemCfRowsData {
  nItems: number;
  params: ItemCfParams;
  chunkSize: number;
  tieRank: Int32Array;
  cappedIndptr: Int32Array;
  cappedIndices: Int32Array;
  cappedData: Float32Array;
  pos?: Float32Array;
  posT?: Float32Array;
  iuIndptr: Int32Array;
  iuIndices: Int32Array;
  iuData: Float32Array;
  userF: Float32Array;
  norm: Float64Array;
  /** Per item: neighbours found; its row is outIds/outScores[item * k, item * k + len). */
  outLen: Int32Array;
  outIds: Int32Array;
  outScores: Float32Array;
}

/**
 * Returns a function computing the neighbour rows of chunk c (items [c * chunkSize, ...)) into the
 * output slots; every thread (main or worker) calls this with its own scratch arrays.
 */
export function itemCfRowsJob(d: ItemCfRowsData): (chunk: number) => void {
  const { nItems, params, cappedIndptr, cappedIndices, cappedData, pos, posT, iuIndptr, iuIndices, iuData, userF, norm } = d;
  const k = Math.max(0, params.k);
  const acc = new Float64Array(nItems);
  const seen = new Uint8Array(nItems);
  const touched = new Int32Array(nItems);
  const heap = new TopK(params.k, d.tieRank);
  const a = params.alpha;
  const useProximity = posT !== undefined && pos !== undefined;
  // n(j)^(1 - alpha) once per item instead of once per co-occurring pair (the same doubles).
  const normPow = new Float64Array(nItems);
  for (let j = 0; j < nItems; j++) normPow[j] = Math.pow(norm[j], 1 - a);
  return (chunk) => {
    const end = Math.min(nItems, (chunk + 1) * d.chunkSize);
    for (let i = chunk * d.chunkSize; i < end; i++) {
      let nt = 0;
      for (let p = iuIndptr[i]; p < iuIndptr[i + 1]; p++) {
        const u = iuIndices[p];
        const wi = iuData[p] * userF[u];
        const pi = posT ? posT[p] : 0;
        for (let q = cappedIndptr[u]; q < cappedIndptr[u + 1]; q++) {
          const j = cappedIndices[q];
          if (j === i) continue;
          if (!seen[j]) {
            seen[j] = 1;
            acc[j] = 0;
            touched[nt++] = j;
          }
          acc[j] += useProximity
            ? (wi * cappedData[q]) / (1 + Math.abs(pos[q] - pi) / params.proximity)
            : wi * cappedData[q];
        }
      }
      heap.reset();
      const ni = Math.pow(norm[i], a);
      for (let t = 0; t < nt; t++) {
        const j = touched[t];
        seen[j] = 0;
        const s = acc[j] / (ni * normPow[j] + params.shrink);
        if (s > 0) heap.push(j, s);
      }
      const row = heap.drain();
      if (params.normalizeRows && row.scores.length > 0 && row.scores[0] > 0) {
        const top = row.scores[0];
        for (let t = 0; t < row.scores.length; t++) row.scores[t] /= top;
      }
      d.outLen[i] = row.ids.length;
      d.outIds.set(row.ids, i * k);
      d.outScores.set(row.scores, i * k);
    }
  };
}

/** Per entry of the transpose (item rows), the aux value of the same entry in `m` (user rows). */
function transposeAux(m: WeightedCsr, aux: Float32Array): Float32Array {
  const start = new Int32Array(m.nCols + 1);
  const nnz = m.indptr[m.nRows];
  for (let k = 0; k < nnz; k++) start[m.indices[k] + 1]++;
  for (let c = 0; c < m.nCols; c++) start[c + 1] += start[c];
  const out = new Float32Array(nnz);
  // Same scan order as transpose(): rows ascending, so positions line up entry by entry.
  for (let r = 0; r < m.nRows; r++) for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) out[start[m.indices[k]]++] = aux[k];
  return out;
}

/** Keeps each row's `cap` largest entries (ties: lower column), preserving column order; `aux` follows. */
function capRows(m: WeightedCsr, cap: number, aux: Float32Array): { m: WeightedCsr; aux: Float32Array } {
  let over = false;
  for (let r = 0; r < m.nRows && !over; r++) if (m.indptr[r + 1] - m.indptr[r] > cap) over = true;
  if (!over) return { m, aux };
  const indptr = new Int32Array(m.nRows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  const aux2: number[] = [];
  for (let r = 0; r < m.nRows; r++) {
    const a = m.indptr[r];
    const b = m.indptr[r + 1];
    let keep = Array.from({ length: b - a }, (_, x) => a + x);
    if (b - a > cap) {
      keep = keep
        .sort((x, y) => m.data[y] - m.data[x] || x - y)
        .slice(0, cap)
        .sort((x, y) => x - y);
    }
    for (const p of keep) {
      indices.push(m.indices[p]);
      data.push(m.data[p]);
      aux2.push(aux[p]);
    }
    indptr[r + 1] = indices.length;
  }
  return {
    m: { nRows: m.nRows, nCols: m.nCols, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) },
    aux: Float32Array.from(aux2),
  };
}
