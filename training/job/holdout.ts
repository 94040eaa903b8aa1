/** The holdout evaluation the quality gate reads: the published recipe fitted on the holdout's training side. */
import type { Policy } from '../../src/config/policy';
import type { HoldoutMetrics, HoldoutModel, HoldoutResults } from '../../src/contracts/versionRecord';
import { evaluateSplit, MODELS } from '../evaluation/models';
import type { Split } from '../evaluation/splits';
import type { FitOptions } from '../ranking/fit';
import { rankIntervals } from '../evaluation/statistics';
import { publishedRecipe } from '../recipe';

export interface HoldoutEvaluation {
  /** The figures recorded with the version (means, cases, intervals). */
  results: HoldoutResults;
  /** Per model, each holdout case's rank (case order): the gate's paired comparisons. */
  ranks: Partial<Record<HoldoutModel, Int32Array>>;
}

/** HR/NDCG at 10 and 20 of `popular`, `itemcf` and `published` on a holdout (evaluation/splits.ts carveHoldout), with intervals. */
export async function evaluateHoldout(holdout: Split, policy: Policy, opts: { fit?: FitOptions } = {}): Promise<HoldoutEvaluation> {
  const recipe = await publishedRecipe(holdout.train, policy, { fit: opts.fit });
  const evaluated = evaluateSplit(holdout, policy, MODELS, recipe.fit, recipe.seconds);
  const results: HoldoutResults = {};
  const ranks: HoldoutEvaluation['ranks'] = {};
  for (const r of evaluated) {
    const metrics: HoldoutMetrics = {
      hr10: r.hr10,
      ndcg10: r.ndcg10,
      hr20: r.hr20,
      ndcg20: r.ndcg20,
      users: holdout.cases.length,
      fitSeconds: r.fitSeconds,
      recommendSeconds: r.recommendSeconds,
      ci95: rankIntervals(r.ranks),
    };
    results[r.model as HoldoutModel] = metrics;
    ranks[r.model as HoldoutModel] = r.ranks;
  }
  return { results, ranks };
}
