/** The embedding fitted on a training dataset under the policy's settings, and its item neighbours. */
import type { Policy } from '../../../src/config/policy';
import type { Csr } from '../../../src/contracts/versionMeta';
import { type Dataset, userItemMatrix } from '../../data/dataset';
import { DEFAULT_ALS, fitAls } from './als';
import { annNeighbours } from './ann';
import { DEFAULT_EMBEDDING, type EmbeddingModel, fitEmbedding, itemNeighbours } from './model';

/** Up to this many items the neighbours are exact (blocked all-pairs); above, approximate (HNSW). */
export const EXACT_NEIGHBOUR_ITEMS = 20000;

/** Whether the policy lets the embedding run on data of this size (BPR's TF.js fit is bounded; ALS is linear). */
export function embeddingFits(ds: Dataset, policy: Policy): boolean {
  const cfg = policy.training.embedding;
  if (!cfg.enabled || ds.nUsers === 0 || ds.nItems === 0) return false;
  return cfg.model === 'als' || (ds.nItems <= cfg.maxItems && ds.nEvents <= cfg.maxEvents);
}

export interface EmbeddingFitOptions {
  /** Item factors to start from (ALS), e.g. the model fitted on this data's validation part. */
  warmItems?: Float32Array;
  /** ALS iterations instead of the policy's (a warm start needs fewer). */
  iterations?: number;
}

export async function fitEmbeddingFor(ds: Dataset, policy: Policy, opts: EmbeddingFitOptions = {}): Promise<EmbeddingModel> {
  const cfg = policy.training.embedding;
  const ui = userItemMatrix(ds, policy, { decay: false });
  if (cfg.model === 'als') {
    return fitAls(
      ui,
      { ...DEFAULT_ALS, dim: cfg.dim, iterations: opts.iterations ?? cfg.iterations, seed: policy.training.seed },
      { warmItems: opts.warmItems },
    );
  }
  return fitEmbedding(ui, { ...DEFAULT_EMBEDDING, dim: cfg.dim, epochs: cfg.epochs, seed: policy.training.seed });
}

/** Each item's k nearest items in the embedding space (cosine, positive only; ties by id order). */
export async function embeddingNeighbours(model: EmbeddingModel, ds: Dataset, k: number): Promise<Csr> {
  if (model.nItems <= EXACT_NEIGHBOUR_ITEMS) return itemNeighbours(model, k, ds.itemOrder, { minScore: 0 });
  return annNeighbours(model, k, ds.itemOrder, 0);
}
