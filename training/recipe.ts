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
import type { Csr } from '../src/contracts/versionMeta';
import { embeddingFits, embeddingNeighbours, fitEmbeddingFor } from './models/embedding/forDataset';
import { embeddingCandidates, FULL_SCAN_ITEMS } from './ranking/embeddingSource';
import type { FitOptions } from './ranking/fit';
import { chooseEmbeddingWeight, type EmbeddingChoice } from './tuning/embeddingWeight';
import { type TuneResult, tuneRankParams } from './tuning/search';

export interface Recipe {
  /** What fitModel takes: the tuned rank parameters and, when blended, the embedding source. */
  fit: FitOptions;
  tuning: TuneResult;
  embedding: EmbeddingChoice;
  /** The embedding fitted on the whole dataset, when the blend uses it or `finalEmbedding` asks for it. */
  embeddingModel?: EmbeddingModel;
  /** Its item neighbours, when computed here. */
  embeddingNeighbours?: Csr;
  /** Seconds spent on the procedure (tuning, the embedding's choice and its fit). */
  seconds: number;
}

export interface RecipeOptions {
  /** Starting options (fixed item-item settings, a starting point for the rank search). */
  fit?: FitOptions;
  log?: (msg: string) => void;
  /** Fit the final embedding even when the blend leaves it out (the version's page lists use it). */
  finalEmbedding?: boolean;
}

export async function publishedRecipe(ds: Dataset, policy: Policy, opts: RecipeOptions = {}): Promise<Recipe> {
  markStage('tune');
  const tuning = tuneRankParams(ds, policy, { fit: opts.fit, log: opts.log });
  const tuned: FitOptions = { ...opts.fit, rank: tuning.params };
  markStage('embeddings');
  const { choice: embedding, validationModel } = await chooseEmbeddingWeight(ds, policy, tuned);
  opts.log?.(
    `embedding: weight ${embedding.weight}${embedding.skipped ? ` (${embedding.skipped})` : ''} in ${embedding.seconds.toFixed(1)}s; validation ${JSON.stringify(embedding.validation)}`,
  );
  const seconds = tuning.seconds + embedding.seconds;
  const wanted = embedding.weight > 0 || (opts.finalEmbedding === true && embeddingFits(ds, policy));
  if (!wanted) return { fit: tuned, tuning, embedding, seconds };
  const cfg = policy.training.embedding;
  // The validation fit saw all but the held-out cases: its items start the final fit, which then needs half the iterations.
  const model = await fitEmbeddingFor(
    ds,
    policy,
    validationModel && cfg.model === 'als' ? { warmItems: validationModel.itemFactors, iterations: Math.ceil(cfg.iterations / 2) } : {},
  );
  // The neighbours serve the version (final fit) and, above FULL_SCAN_ITEMS, the embedding source's candidates.
  const neighbours =
    opts.finalEmbedding === true || model.nItems > FULL_SCAN_ITEMS
      ? await embeddingNeighbours(model, ds, policy.training.neighbours)
      : undefined;
  return {
    fit: embedding.weight > 0 ? { ...tuned, embedding: embeddingCandidates(model, embedding.weight, neighbours) } : tuned,
    tuning,
    embedding,
    embeddingModel: model,
    ...(neighbours ? { embeddingNeighbours: neighbours } : {}),
    seconds: seconds + model.info.fitSeconds,
  };
}
