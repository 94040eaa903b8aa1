/** The embedding fitted on a training dataset under the policy's settings, and its item neighbours. */
import type { Policy } from '../../../src/config/policy';
import type { Csr } from '../../../src/contracts/versionMeta';
import { type Dataset, userItemMatrix } from '../../data/dataset';
import { DEFAULT_EMBEDDING, type EmbeddingModel, fitEmbedding, itemNeighbours } from './model';

/** Whether the policy lets the embedding run on data of this size (see policy.training.embedding). */
export function embeddingFits(ds: Dataset, policy: Policy): boolean {
  const cfg = policy.training.embedding;
  return cfg.enabled && ds.nUsers > 0 && ds.nItems <= cfg.maxItems && ds.nEvents <= cfg.maxEvents;
}

export async function fitEmbeddingFor(ds: Dataset, policy: Policy): Promise<EmbeddingModel> {
  const cfg = policy.training.embedding;
  const ui = userItemMatrix(ds, policy, { decay: false });
  return fitEmbedding(ui, { ...DEFAULT_EMBEDDING, dim: cfg.dim, epochs: cfg.epochs, seed: policy.training.seed });
}

/** Each item's k nearest items in the embedding space (cosine, positive only; ties by id order). */
export async function embeddingNeighbours(model: EmbeddingModel, ds: Dataset, k: number): Promise<Csr> {
  return itemNeighbours(model, k, ds.itemOrder, { minScore: 0 });
}
