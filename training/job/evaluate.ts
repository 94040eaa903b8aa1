/**
 * `recs evaluate`: offline evaluation by SPEC's protocols (`loo`, `purchase`) straight from a
 * file's events: no database, no cache. Rows: `popular`, `itemcf`, the embedding alone and
 * `published` (the published recipe, fallbacks and filters included). Deterministic.
 */
import { DEFAULT_POLICY, type Policy } from '../../src/config/policy';
import type { StoreEvent } from '../../src/domain/types';
import type { EmbeddingModel } from '../models/embedding/model';
import { embeddingFits, fitEmbeddingFor } from '../models/embedding/forDataset';
import type { FitOptions } from '../ranking/fit';
import { evaluateSplit, type ModelName, type ModelResult, MODELS, scoreEmbedding } from '../evaluation/models';
import type { Protocol } from '../evaluation/protocol';
import { splitLoo, splitPurchase } from '../evaluation/splits';
import { publishedRecipe } from '../recipe';
import { splitNextItem, type NextItemSplit } from '../evaluation/nextItem';
import { prepareNextItem, rankNextItem, type NextItemResult } from '../evaluation/nextItemModels';
import { type Interval, type PairedDifference, rankDifferences, rankIntervals } from '../evaluation/statistics';

export interface EvaluateOptions {
  /** Name printed as `dataset` (usually the file name). */
  dataset?: string;
  /** Drop events outside [from, to] (epoch ms, inclusive) for `purchase`. */
  window?: { from: number; to: number };
  policy?: Policy;
  models?: readonly ModelName[];
  fit?: FitOptions;
  /**
   * Run the published recipe on the training part (default true); false scores `fit` as given.
   * The recipe's time counts in the published model's fitSeconds.
   */
  tune?: boolean;
  /** Add the embedding alone as a row (default true when the policy enables the embedding). */
  embeddingRow?: boolean;
  log?: (msg: string) => void;
}

/** A model's figures as `recs evaluate --json` prints them (SPEC): its ranks replaced by cases and intervals. */
export type WithStatistics<R> = Omit<R, 'ranks'> & {
  /** Cases scored. */
  cases: number;
  /** Bootstrap 95% intervals over cases (fixed seed). */
  ci95: { hr10: Interval; ndcg10: Interval };
  /** Paired difference to `published` on the same cases (every model but `published`). */
  vsPublished?: { hr10: PairedDifference; ndcg10: PairedDifference };
};

export type EvaluatedModel = WithStatistics<ModelResult>;

export interface EvaluationReport {
  dataset: string;
  protocol: Protocol;
  /** Users evaluated. */
  users: number;
  /** Catalogue size (every item in the file). */
  items: number;
  results: EvaluatedModel[];
}

/** Adds cases, intervals and the paired difference to `published` (SPEC's statistics fields); drops the ranks. */
export function withStatistics<R extends { model: string; ranks: ArrayLike<number> }>(results: R[]): Array<WithStatistics<R>> {
  const published = results.find((r) => r.model === 'published');
  return results.map(({ ranks, ...rest }) => ({
    ...rest,
    cases: ranks.length,
    ci95: rankIntervals(ranks),
    ...(published && rest.model !== 'published' ? { vsPublished: rankDifferences(ranks, published.ranks) } : {}),
  }));
}

export interface NextItemReport {
  dataset: string;
  protocol: 'next-item';
  users: number;
  items: number;
  cases: number;
  diagnostics: NextItemSplit['diagnostics'];
  results: Array<WithStatistics<NextItemResult>>;
}

/** `next-item` (shared/protocol_next_item.md): `similar` and `published` on the product page. */
export async function evaluateNextItem(
  events: StoreEvent[],
  items: Map<string, string | null>,
  opts: Pick<EvaluateOptions, 'dataset' | 'window' | 'policy' | 'log'> = {},
): Promise<NextItemReport> {
  const policy = opts.policy ?? DEFAULT_POLICY;
  const kept = opts.window ? events.filter((e) => e.ts >= opts.window!.from && e.ts <= opts.window!.to) : events;
  const split = splitNextItem(kept, items);
  opts.log?.(`next-item: ${split.cases.length} cases, ${split.train.nItems} items, ${split.diagnostics.trainingEvents} training events`);
  const results = withStatistics(rankNextItem(await prepareNextItem(split, policy), policy));
  return {
    dataset: opts.dataset ?? 'events',
    protocol: 'next-item',
    users: split.diagnostics.users,
    items: split.train.nItems,
    cases: split.cases.length,
    diagnostics: split.diagnostics,
    results,
  };
}

export async function evaluate(
  events: StoreEvent[],
  items: Map<string, string | null>,
  protocol: Protocol,
  opts: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const policy = opts.policy ?? DEFAULT_POLICY;
  const split = protocol === 'loo' ? splitLoo(events, items) : splitPurchase(events, items, opts.window);
  opts.log?.(`${protocol}: ${split.cases.length} users evaluated, ${split.train.nItems} items, ${split.train.nEvents} training events`);
  const models = opts.models ?? MODELS;
  let fit = opts.fit ?? {};
  let recipeSeconds = 0;
  let embedding: EmbeddingModel | undefined;
  if (opts.tune !== false && models.includes('published')) {
    const recipe = await publishedRecipe(split.train, policy, { fit, log: opts.log });
    fit = recipe.fit;
    embedding = recipe.embeddingModel;
    recipeSeconds = recipe.seconds;
  }
  const results = evaluateSplit(split, policy, models, fit, recipeSeconds);
  // The embedding on its own, for comparison with peer BPR (when the policy allows it here).
  if (embeddingFits(split.train, policy) && opts.embeddingRow !== false) {
    const t0 = process.hrtime.bigint();
    const model = embedding ?? (await fitEmbeddingFor(split.train, policy));
    const fitSeconds = embedding ? embedding.info.fitSeconds : Number(process.hrtime.bigint() - t0) / 1e9;
    const { hr10, ndcg10, hr20, ndcg20, recommendSeconds, ranks } = scoreEmbedding(split, model);
    const row: ModelResult = {
      model: 'embedding',
      hr10,
      ndcg10,
      hr20,
      ndcg20,
      fitSeconds: Math.round(fitSeconds * 1e4) / 1e4,
      recommendSeconds,
      ranks,
    };
    results.splice(results.length - 1, 0, row);
  }
  return {
    dataset: opts.dataset ?? 'events',
    protocol,
    users: split.cases.length,
    items: split.train.nItems,
    results: withStatistics(results),
  };
}
