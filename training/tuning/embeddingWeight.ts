/**
 * The embedding's blend weight, chosen on a validation split carved from the training data (never
 * the test split) after the other ranking weights are tuned. Weight 0 leaves it out of the blend.
 */
import type { Policy } from '../../src/config/policy';
import type { Dataset } from '../data/dataset';
import { embeddingFits, embeddingNeighbours, fitEmbeddingFor } from '../models/embedding/forDataset';
import type { EmbeddingModel } from '../models/embedding/model';
import { embeddingCandidates, FULL_SCAN_ITEMS } from '../ranking/embeddingSource';
import { fitModel, type FitOptions } from '../ranking/fit';
import { DEFAULT_RANK } from '../ranking/params';
import { carveValidation, MIN_VALIDATION_CASES } from './folds';
import { objective, scoreParams } from './search';

export interface EmbeddingChoice {
  /** The chosen blend weight (0: not blended). */
  weight: number;
  /** Validation objective (NDCG@10 + HR@10) per weight tried. */
  validation: Array<{ weight: number; objective: number }>;
  skipped?: string;
  seconds: number;
}

/**
 * Chooses the embedding's blend weight on a validation split of `ds`: fold 1 only (the rank search pools
 * nested folds for the cheap rank parameters; an embedding fit per fold would multiply its cost).
 * Also hands back the validation fit: its item factors start the final fit (same item indices).
 */
export async function chooseEmbeddingWeight(
  ds: Dataset,
  policy: Policy,
  fit: FitOptions,
): Promise<{ choice: EmbeddingChoice; validationModel?: EmbeddingModel }> {
  const t0 = Date.now();
  const cfg = policy.training.embedding;
  const done = (weight: number, validation: EmbeddingChoice['validation'], skipped?: string, validationModel?: EmbeddingModel) => ({
    choice: { weight, validation, ...(skipped ? { skipped } : {}), seconds: (Date.now() - t0) / 1000 },
    ...(validationModel ? { validationModel } : {}),
  });
  if (!cfg.enabled) return done(0, [], 'disabled by policy');
  if (!embeddingFits(ds, policy)) return done(0, [], `more than ${cfg.maxItems} items or ${cfg.maxEvents} events`);
  const split = carveValidation(ds);
  if (split.cases.length < MIN_VALIDATION_CASES) return done(0, [], 'too few validation cases');
  const model = await fitEmbeddingFor(split.train, policy);
  const neighbours = model.nItems > FULL_SCAN_ITEMS ? await embeddingNeighbours(model, split.train, policy.training.neighbours) : undefined;
  const fitted = fitModel(split.train, policy, fit);
  const params = { ...DEFAULT_RANK, ...fit.rank };
  const validation: EmbeddingChoice['validation'] = [];
  let best = { weight: 0, objective: -Infinity };
  for (const weight of [0, ...cfg.weights.filter((w) => w > 0)]) {
    const embedding = weight > 0 ? embeddingCandidates(model, weight, neighbours) : undefined;
    const score = objective(scoreParams(split, { ...fitted, model: { ...fitted.model, embedding } }, params));
    validation.push({ weight, objective: Math.round(score * 1e5) / 1e5 });
    // A weight must beat leaving the embedding out by two validation hits' worth to be kept.
    const margin = weight > 0 ? 2 / split.cases.length : 0;
    if (score > best.objective + margin) best = { weight, objective: score };
  }
  return done(best.weight, validation, undefined, model);
}
