/**
 * Item neighbours in the embedding space at catalogue sizes where the exact all-pairs search does
 * not fit: an HNSW graph (USearch, cosine) is built over the items with non-zero factors and every
 * item asks it for its nearest ones. Approximate: the recall against the exact search is what
 * bench:embedding reports.
 */
import { Index, MetricKind } from 'usearch';
import type { Csr } from '../../../src/contracts/versionMeta';
import { TopK } from '../../data/topk';
import type { EmbeddingModel } from './model';

export interface AnnParams {
  /** Graph degree (HNSW M). */
  connectivity: number;
  /** Candidate list while inserting (efConstruction). */
  expansionAdd: number;
  /** Candidate list while searching (ef). */
  expansionSearch: number;
}

export const DEFAULT_ANN: AnnParams = { connectivity: 16, expansionAdd: 64, expansionSearch: 64 };

/** Per item, its `k` most cosine-similar other items with similarity > minScore, best first (ties: tieRank). */
export function annNeighbours(model: EmbeddingModel, k: number, tieRank: ArrayLike<number>, minScore = 0, p: AnnParams = DEFAULT_ANN): Csr {
  const { nItems, dim, itemFactors } = model;
  const indptr = new Int32Array(nItems + 1);
  const present: number[] = [];
  for (let i = 0; i < nItems; i++) {
    let n = 0;
    for (let f = 0; f < dim; f++) n += itemFactors[i * dim + f] ** 2;
    if (n > 0) present.push(i);
  }
  if (k <= 0 || present.length < 2) return { indptr, indices: new Int32Array(0), scores: new Float32Array(0) };
  const vectors = new Float32Array(present.length * dim);
  present.forEach((i, r) => vectors.set(itemFactors.subarray(i * dim, (i + 1) * dim), r * dim));
  const keys = BigUint64Array.from(present, (i) => BigInt(i));
  // One thread: HNSW insertion on several threads builds a different graph each run, and the
  // neighbours (so the published lists) must not depend on the run. Searching takes the threads
  // the index was built with.
  const threads = 1;
  const index = new Index({
    dimensions: dim,
    metric: MetricKind.Cos,
    connectivity: p.connectivity,
    expansion_add: p.expansionAdd,
    expansion_search: p.expansionSearch,
  } as ConstructorParameters<typeof Index>[0]);
  index.add(keys, vectors, threads);
  const take = Math.min(k + 1, present.length);
  const found = index.search(vectors, take, threads) as unknown as { keys: BigUint64Array; distances: Float32Array; counts: BigUint64Array };
  const rows: Array<{ ids: Int32Array; scores: Float64Array } | undefined> = new Array(nItems);
  const heap = new TopK(k, tieRank);
  present.forEach((item, r) => {
    heap.reset();
    const count = Number(found.counts[r]);
    for (let q = r * take; q < r * take + count; q++) {
      const j = Number(found.keys[q]);
      const sim = 1 - found.distances[q];
      if (j !== item && sim > minScore) heap.push(j, sim);
    }
    rows[item] = heap.drain();
  });
  for (let i = 0; i < nItems; i++) indptr[i + 1] = indptr[i] + (rows[i]?.ids.length ?? 0);
  const indices = new Int32Array(indptr[nItems]);
  const scores = new Float32Array(indptr[nItems]);
  for (let i = 0; i < nItems; i++) {
    const row = rows[i];
    if (!row) continue;
    indices.set(row.ids, indptr[i]);
    scores.set(row.scores, indptr[i]);
  }
  return { indptr, indices, scores };
}
