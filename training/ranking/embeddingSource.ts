/** The embedding as a candidate source of the blend: a user's top items by embedding score. */
import type { Dataset } from '../data/dataset';
import { type EmbeddingModel, recommendItems } from '../models/embedding/model';
import type { CandidateSource } from './ranker';

/** Candidates taken from the embedding per user. */
const CANDIDATES = 100;

/** Scores are rank-based ((CANDIDATES - rank) / CANDIDATES): the ranker normalises per user anyway. */
export function embeddingSource(model: EmbeddingModel, ds: Dataset, weight: number): CandidateSource {
  const scratch = new Float32Array(model.nItems);
  return {
    source: 'embedding',
    weight,
    scores(u, add) {
      if (u < 0 || u >= model.nUsers) return;
      const top = recommendItems(model, u, CANDIDATES, { tieRank: ds.itemOrder, scratch });
      for (let r = 0; r < top.ids.length; r++) add(top.ids[r], (CANDIDATES - r) / CANDIDATES);
    },
  };
}
