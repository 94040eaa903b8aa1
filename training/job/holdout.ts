/** The holdout evaluation the quality gate reads: the published recipe fitted on the holdout's training side. */
import type { Policy } from '../../src/config/policy';
import type { HoldoutMetrics, HoldoutModel, HoldoutResults } from '../../src/contracts/versionRecord';
import { evaluateSplit, MODELS } from '../evaluation/models';
import type { Split } from '../evaluation/splits';
import type { FitOptions } from '../ranking/fit';
import { publishedRecipe } from '../recipe';

/** HR/NDCG at 10 and 20 of `popular`, `itemcf` and `published` on a holdout (evaluation/splits.ts carveHoldout). */
export async function evaluateHoldout(holdout: Split, policy: Policy, opts: { fit?: FitOptions } = {}): Promise<HoldoutResults> {
  const recipe = await publishedRecipe(holdout.train, policy, { fit: opts.fit });
  const results = evaluateSplit(holdout, policy, MODELS, recipe.fit, recipe.seconds);
  const out: HoldoutResults = {};
  for (const r of results) {
    const metrics: HoldoutMetrics = {
      hr10: r.hr10,
      ndcg10: r.ndcg10,
      hr20: r.hr20,
      ndcg20: r.ndcg20,
      users: holdout.cases.length,
      fitSeconds: r.fitSeconds,
      recommendSeconds: r.recommendSeconds,
    };
    out[r.model as HoldoutModel] = metrics;
  }
  return out;
}
