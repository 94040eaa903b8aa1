/**
 * Item neighbours in the embedding space at catalogue sizes where the exact all-pairs search does
 * not fit: an HNSW graph (USearch, cosine) is built over the items with non-zero factors and every
 * item asks it for its nearest ones. Approximate: the recall against the exact search is what
 * bench:embedding reports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Index, MetricKind } from 'usearch';
import type { Csr } from '../../../src/contracts/versionMeta';
import { TopK } from '../../data/topk';
import { PARALLEL_THRESHOLDS, parallelForSync, sharedArray, trainThreads } from '../../parallel/pool';
import type { EmbeddingModel } from './model';

/** The search job: each thread opens the saved graph (memory-mapped) and answers its chunks of queries. */
export interface AnnSearchData {
  indexFile: string;
  dim: number;
  connectivity: number;
  expansionSearch: number;
  /** Query vectors, row r of nQueries. */
  vectors: Float32Array;
  nQueries: number;
  take: number;
  chunkSize: number;
  /** Out: per query, `take` slots of keys (-1: empty) and cosine distances. */
  keys: Int32Array;
  distances: Float32Array;
}

function openIndex(dim: number, connectivity: number, expansionAdd: number, expansionSearch: number): Index {
  return new Index({
    dimensions: dim,
    metric: MetricKind.Cos,
    connectivity,
    expansion_add: expansionAdd,
    expansion_search: expansionSearch,
  } as ConstructorParameters<typeof Index>[0]);
}

/** Searching one chunk: one thread per index, so every thread finds what any other would. */
function searchChunk(index: Index, d: AnnSearchData, chunk: number): void {
  const from = chunk * d.chunkSize;
  const to = Math.min(d.nQueries, from + d.chunkSize);
  if (to <= from) return;
  const found = index.search(d.vectors.subarray(from * d.dim, to * d.dim), d.take, 1) as unknown as {
    keys: BigUint64Array;
    distances: Float32Array;
    counts: BigUint64Array;
  };
  for (let r = 0; r < to - from; r++) {
    const count = Number(found.counts[r]);
    const base = (from + r) * d.take;
    for (let q = 0; q < d.take; q++) {
      d.keys[base + q] = q < count ? Number(found.keys[r * d.take + q]) : -1;
      d.distances[base + q] = q < count ? found.distances[r * d.take + q] : 0;
    }
  }
}

export function annSearchJob(d: AnnSearchData): (chunk: number) => void {
  const index = openIndex(d.dim, d.connectivity, 0, d.expansionSearch);
  index.view(d.indexFile);
  return (chunk) => searchChunk(index, d, chunk);
}

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
  // Inserted on one thread: HNSW insertion on several threads builds a different graph each run,
  // and the neighbours (so the published lists) must not depend on the run. The search, read-only,
  // is spread over the worker threads, each on its own view of the saved graph.
  const index = openIndex(dim, p.connectivity, p.expansionAdd, p.expansionSearch);
  index.add(keys, vectors, 1);
  const take = Math.min(k + 1, present.length);
  const nQueries = present.length;
  const chunkSize = PARALLEL_THRESHOLDS.annSearchChunk;
  const chunks = Math.ceil(nQueries / chunkSize);
  const threads = Math.min(trainThreads(), chunks);
  const data: AnnSearchData = {
    indexFile: '',
    dim,
    connectivity: p.connectivity,
    expansionSearch: p.expansionSearch,
    vectors: threads > 1 ? sharedArray(Float32Array, vectors.length) : vectors,
    nQueries,
    take,
    chunkSize,
    keys: threads > 1 ? sharedArray(Int32Array, nQueries * take) : new Int32Array(nQueries * take),
    distances: threads > 1 ? sharedArray(Float32Array, nQueries * take) : new Float32Array(nQueries * take),
  };
  if (threads > 1) {
    data.vectors.set(vectors);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recs-ann-'));
    try {
      data.indexFile = path.join(dir, 'index.usearch');
      index.save(data.indexFile);
      parallelForSync('ann-search', data, chunks, (c) => searchChunk(index, data, c), threads);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } else {
    for (let c = 0; c < chunks; c++) searchChunk(index, data, c);
  }
  const rows: Array<{ ids: Int32Array; scores: Float64Array } | undefined> = new Array(nItems);
  const heap = new TopK(k, tieRank);
  present.forEach((item, r) => {
    heap.reset();
    for (let q = r * take; q < (r + 1) * take; q++) {
      const j = data.keys[q];
      if (j < 0) break;
      const sim = 1 - data.distances[q];
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
