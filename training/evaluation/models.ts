/**
 * Fits and scores the evaluated models on a split: `popular`, `itemcf` (item-item neighbours of
 * the history alone, unfilled) and `published` (the blend as the trainer publishes it, fallbacks
 * and filters included), plus the embedding alone.
 */
import type { Policy } from '../../src/config/policy';
import { TYPE_PURCHASE } from '../data/dataset';
import { type EmbeddingModel, recommendItems } from '../models/embedding/model';
import { fitModel, fitPopularity, type FitOptions } from '../ranking/fit';
import type { RankParams } from '../ranking/params';
import type { RankedList } from '../ranking/ranker';
import { type CaseMetrics, K_MAX, Scorer } from './metrics';
import { scoreCases } from './scoreCases';
import type { Split } from './splits';

export const MODELS = ['popular', 'itemcf', 'published'] as const;
export type ModelName = (typeof MODELS)[number];

export interface ModelResult {
  model: string;
  hr10: number;
  ndcg10: number;
  hr20: number;
  ndcg20: number;
  fitSeconds: number;
  recommendSeconds: number;
  /** Per case, its 1-based rank in the completed top 20 (0: outside), in the split's case order. */
  ranks: Int32Array;
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/**
 * Fits and scores each model on a split. `extraFitSeconds` (e.g. the per-run tuning that chose
 * fit.rank) is added to the published model's fit time.
 */
export function evaluateSplit(
  split: Split,
  policy: Policy,
  models: readonly ModelName[] = MODELS,
  fit: FitOptions = {},
  extraFitSeconds = 0,
): ModelResult[] {
  const { train, cases, exclude } = split;
  const results: ModelResult[] = [];
  let fitted: ReturnType<typeof fitModel> | undefined;
  for (const name of models) {
    let t0 = process.hrtime.bigint();
    let fitSeconds: number;
    let score: () => CaseMetrics;
    if (name === 'popular') {
      const { popularity } = fitPopularity(train, policy, fit);
      const scores = new Float32Array(popularity.order.length);
      const mark = new Int32Array(train.nItems);
      let stamp = 0;
      const rankOne = (u: number): RankedList => {
        stamp++;
        for (let k = train.userStart[u]; k < train.userStart[u + 1]; k++) {
          if (exclude === 'history' || train.evType[k] === TYPE_PURCHASE) mark[train.evItem[k]] = stamp;
        }
        const items: number[] = [];
        for (let x = 0; x < popularity.order.length && items.length < K_MAX; x++) {
          if (mark[popularity.order[x]] !== stamp) items.push(popularity.order[x]);
        }
        for (let x = 0; x < items.length; x++) scores[x] = popularity.score[items[x]];
        return { items: Int32Array.from(items), scores: scores.slice(0, items.length), sources: new Uint8Array(items.length) };
      };
      fitSeconds = seconds(t0);
      score = () => {
        const scorer = new Scorer(train, exclude);
        for (const c of cases) scorer.add(c, rankOne(c.user));
        return scorer.result();
      };
    } else {
      fitted ??= fitModel(train, policy, fit);
      const model = name === 'itemcf' ? { ...fitted.model, params: itemcfOnly(fitted.model.params), embedding: undefined } : fitted.model;
      // The fitted parts are shared by itemcf and published; each reports what it needs.
      fitSeconds = name === 'itemcf' ? fitted.timings.matrix + fitted.timings.itemcf : sumTimings(fitted.timings) + extraFitSeconds;
      // Bare itemcf lists are not filled from the fallbacks; published ones are. scoreCases ranks
      // on the main thread unless the model and the split are large (then on every thread,
      // evaluation/scoreCases.ts, summed in case order: the same metrics).
      const fill = name !== 'itemcf';
      score = () => scoreCases(split, model, K_MAX, fill);
    }
    t0 = process.hrtime.bigint();
    const metrics = score();
    results.push({ model: name, ...metrics, fitSeconds: round(fitSeconds), recommendSeconds: round(seconds(t0)) });
  }
  return results;
}

/** The blend reduced to its itemcf part (the bare `itemcf` model). */
export function itemcfOnly(p: RankParams): RankParams {
  return { ...p, refindWeight: 0, popularityWeight: 0, refindPositionWeight: 0, intentWeight: 0, categoryWeight: 0 };
}

function sumTimings(t: Record<string, number>): number {
  return Object.values(t).reduce((a, b) => a + b, 0);
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The embedding on its own (the `embedding` row), ranking every item not excluded. */
export function scoreEmbedding(split: Split, model: EmbeddingModel): Omit<ModelResult, 'model' | 'fitSeconds'> {
  const t0 = process.hrtime.bigint();
  const tr = split.train;
  const scorer = new Scorer(tr, split.exclude);
  const mark = new Int32Array(tr.nItems);
  const scratch = new Float32Array(model.nItems);
  let stamp = 0;
  for (const c of split.cases) {
    stamp++;
    for (let k = tr.userStart[c.user]; k < tr.userStart[c.user + 1]; k++) {
      if (split.exclude === 'history' || tr.evType[k] === TYPE_PURCHASE) mark[tr.evItem[k]] = stamp;
    }
    const top = recommendItems(model, c.user, K_MAX, { exclude: mark, stamp, tieRank: tr.itemOrder, scratch });
    const sc = Float32Array.from(top.ids, (_, r) => K_MAX - r);
    scorer.add(c, { items: top.ids, scores: sc, sources: new Uint8Array(top.ids.length) });
  }
  return { ...scorer.result(), recommendSeconds: round(seconds(t0)) };
}
