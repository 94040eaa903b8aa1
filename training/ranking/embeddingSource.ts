/**
 * The embedding as a candidate source of the blend: a user's top items by <p_u, q_i> + b_i. Up to
 * FULL_SCAN_ITEMS items every item is scored; above, the candidates are the embedding neighbours
 * of the user's recent items (scoring every item for every user does not scale). Plain data on
 * typed arrays, so worker threads rank with it too (ranking/portable.ts); no TF.js here.
 */
import type { Csr } from '../../src/contracts/versionMeta';
import type { Dataset } from '../data/dataset';
import { TopK } from '../data/topk';
import type { EmbeddingModel } from '../models/embedding/model';
import type { CandidateSource } from './candidateSource';

/** Candidates taken from the embedding per user. */
const CANDIDATES = 100;
/** Catalogues up to this size are scanned whole per user. */
export const FULL_SCAN_ITEMS = 20000;
/** Recent distinct items whose neighbours are a user's candidates (large catalogues). */
const RECENT_ITEMS = 20;

/** The model's factors (plain typed arrays, so workers get them), its blend weight and, at scale, its neighbours. */
export type EmbeddingCandidates = Pick<EmbeddingModel, 'nUsers' | 'nItems' | 'dim' | 'userFactors' | 'itemFactors' | 'itemBias'> & {
  weight: number;
  /** The embedding's item neighbours: the candidates' generator above FULL_SCAN_ITEMS. */
  neighbours?: Csr;
};

export function embeddingCandidates(model: EmbeddingModel, weight: number, neighbours?: Csr): EmbeddingCandidates {
  if (model.nItems > FULL_SCAN_ITEMS && !neighbours)
    throw new Error(`embedding source: ${model.nItems} items need the embedding's neighbours`);
  const { nUsers, nItems, dim, userFactors, itemFactors, itemBias } = model;
  return { weight, nUsers, nItems, dim, userFactors, itemFactors, itemBias, ...(model.nItems > FULL_SCAN_ITEMS ? { neighbours } : {}) };
}

/** Scores are rank-based ((CANDIDATES - rank) / CANDIDATES): the ranker normalises per user anyway. */
export function embeddingSource(e: EmbeddingCandidates, ds: Dataset): CandidateSource {
  const { dim, nItems, itemFactors: Q, itemBias, userFactors: P, neighbours } = e;
  const heap = new TopK(CANDIDATES, ds.itemOrder);
  // Separate stamps: an item can be both a recent item (expanded once) and a candidate (pushed once).
  const expanded = new Int32Array(nItems);
  const pushed = new Int32Array(nItems);
  let stamp = 0;
  const score = (pu: number, i: number) => {
    let s = itemBias[i];
    const qi = i * dim;
    for (let f = 0; f < dim; f++) s += P[pu + f] * Q[qi + f];
    return s;
  };
  return {
    source: 'embedding',
    weight: e.weight,
    scores(u, add) {
      if (u < 0 || u >= e.nUsers) return;
      const pu = u * dim;
      heap.reset();
      if (!neighbours) {
        for (let i = 0; i < nItems; i++) heap.push(i, score(pu, i));
      } else {
        stamp++;
        let recent = 0;
        for (let k = ds.userStart[u + 1] - 1; k >= ds.userStart[u] && recent < RECENT_ITEMS; k--) {
          const it = ds.evItem[k];
          if (expanded[it] === stamp) continue;
          expanded[it] = stamp;
          recent++;
          for (let q = neighbours.indptr[it]; q < neighbours.indptr[it + 1]; q++) {
            const j = neighbours.indices[q];
            if (pushed[j] === stamp) continue;
            pushed[j] = stamp;
            heap.push(j, score(pu, j));
          }
        }
      }
      const top = heap.drain();
      for (let r = 0; r < top.ids.length; r++) add(top.ids[r], (CANDIDATES - r) / CANDIDATES);
    },
  };
}
