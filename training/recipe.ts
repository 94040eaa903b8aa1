/**
 * The published procedure, the only one: the ranking weights tuned on validation folds carved from
 * the training data, then the embedding's blend weight chosen on validation, giving the options
 * the final fit uses. The nightly training, `recs evaluate`'s `published` row and both sides of the
 * gate call publishedRecipe, so what is judged is what is served.
 */
import type { Policy } from '../src/config/policy';
import { markStage } from '../src/observability/stages';
import type { Dataset } from './data/dataset';
import type { EmbeddingModel } from './models/embedding/model';
import { fitEmbeddingFor } from './models/embedding/forDataset';
import { embeddingSource } from './ranking/embeddingSource';
import type { FitOptions } from './ranking/fit';
import { chooseEmbeddingWeight, type EmbeddingChoice } from './tuning/embeddingWeight';
import { type TuneResult, tuneRankParams } from './tuning/search';

export interface Recipe {
  /** What fitModel takes: the tuned rank parameters and, when blended, the embedding source. */
  fit: FitOptions;
  tuning: TuneResult;
  embedding: EmbeddingChoice;
  /** The embedding fitted on the whole dataset, when the blend uses it. */
  embeddingModel?: EmbeddingModel;
  /** Seconds spent on the procedure (tuning, the embedding's choice and its fit). */
  seconds: number;
}

export interface RecipeOptions {
  /** Starting options (fixed item-item settings, a starting point for the rank search). */
  fit?: FitOptions;
  log?: (msg: string) => void;
}

export async function publishedRecipe(ds: Dataset, policy: Policy, opts: RecipeOptions = {}): Promise<Recipe> {
  markStage('tune');
  const tuning = tuneRankParams(ds, policy, { fit: opts.fit, log: opts.log });
  const tuned: FitOptions = { ...opts.fit, rank: tuning.params };
  markStage('embeddings');
  const embedding = await chooseEmbeddingWeight(ds, policy, tuned);
  opts.log?.(
    `embedding: weight ${embedding.weight}${embedding.skipped ? ` (${embedding.skipped})` : ''} in ${embedding.seconds.toFixed(1)}s; validation ${JSON.stringify(embedding.validation)}`,
  );
  const seconds = tuning.seconds + embedding.seconds;
  if (embedding.weight <= 0) return { fit: tuned, tuning, embedding, seconds };
  const model = await fitEmbeddingFor(ds, policy);
  return {
    fit: { ...tuned, sources: [embeddingSource(model, ds, embedding.weight)] },
    tuning,
    embedding,
    embeddingModel: model,
    seconds: seconds + model.info.fitSeconds,
  };
}
