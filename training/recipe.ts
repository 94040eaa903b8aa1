/**
 * The embedding as part of the published blend. Its weight is chosen on a validation split carved
 * from the training data (never the test split) after the other ranking weights are tuned; when no
 * weight beats leaving it out, the full-data fit is skipped and the version has no embedding.
 */
import type { Policy } from '../src/config/policy';
import type { Csr } from '../src/model/versionMeta';
import { Dataset, userItemMatrix } from './data/dataset';
import { DEFAULT_EMBEDDING, EmbeddingModel, fitEmbedding, itemNeighbours, recommendItems } from './models/embedding/model';
import { fitModel, FitOptions } from './ranking/fit';
import type { CandidateSource } from './ranking/ranker';
import { carveValidation, objective, scoreParams } from './tuning/search';
import { DEFAULT_RANK } from './ranking/ranker';

/** Candidates taken from the embedding per user. */
const CANDIDATES = 100;

export interface EmbeddingChoice {
  /** The chosen blend weight (0: not blended). */
  weight: number;
  /** Validation objective (NDCG@10 + HR@10) per weight tried. */
  validation: Array<{ weight: number; objective: number }>;
  skipped?: string;
  seconds: number;
}

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

/** A candidate source: the user's top items by embedding score, as positive rank scores. */
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

/**
 * Chooses the embedding's blend weight on a validation split of `ds`: fold 1 only (tuning.ts pools
 * nested folds for the cheap rank parameters; an embedding fit per fold would multiply its cost).
 */
export async function chooseEmbeddingWeight(ds: Dataset, policy: Policy, fit: FitOptions): Promise<EmbeddingChoice> {
  const t0 = Date.now();
  const cfg = policy.training.embedding;
  const done = (weight: number, validation: EmbeddingChoice['validation'], skipped?: string): EmbeddingChoice => ({
    weight,
    validation,
    ...(skipped ? { skipped } : {}),
    seconds: (Date.now() - t0) / 1000,
  });
  if (!cfg.enabled) return done(0, [], 'disabled by policy');
  if (!embeddingFits(ds, policy)) return done(0, [], `more than ${cfg.maxItems} items or ${cfg.maxEvents} events`);
  const split = carveValidation(ds);
  if (split.cases.length < 50) return done(0, [], 'too few validation cases');
  const model = await fitEmbeddingFor(split.train, policy);
  const fitted = fitModel(split.train, policy, fit);
  const params = { ...DEFAULT_RANK, ...fit.rank };
  const validation: EmbeddingChoice['validation'] = [];
  let best = { weight: 0, objective: -Infinity };
  for (const weight of [0, ...cfg.weights.filter((w) => w > 0)]) {
    const sources = weight > 0 ? [embeddingSource(model, split.train, weight)] : undefined;
    const score = objective(scoreParams(split, { ...fitted, model: { ...fitted.model, sources } }, params));
    validation.push({ weight, objective: Math.round(score * 1e5) / 1e5 });
    // A weight must beat leaving the embedding out by two validation hits' worth to be kept.
    const margin = weight > 0 ? 2 / split.cases.length : 0;
    if (score > best.objective + margin) best = { weight, objective: score };
  }
  return done(best.weight, validation);
}

/** The published procedure's embedding part on `ds`: chosen weight, and if > 0 the fitted source. */
export async function prepareEmbedding(
  ds: Dataset,
  policy: Policy,
  fit: FitOptions,
): Promise<{ fit: FitOptions; choice: EmbeddingChoice; model?: EmbeddingModel }> {
  const choice = await chooseEmbeddingWeight(ds, policy, fit);
  if (choice.weight <= 0) return { fit, choice };
  const model = await fitEmbeddingFor(ds, policy);
  return { fit: { ...fit, sources: [embeddingSource(model, ds, choice.weight)] }, choice, model };
}

export async function embeddingNeighbours(model: EmbeddingModel, ds: Dataset, k: number): Promise<Csr> {
  return itemNeighbours(model, k, ds.itemOrder, { minScore: 0 });
}
