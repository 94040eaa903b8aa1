/**
 * The promotion gate. A candidate is published only if, on a holdout carved from the latest data,
 * it beats popularity and does not lose to the live version by more than the tolerance.
 *
 * The comparison with the live version is paired: the live version's recorded policy is fitted on
 * the very same training split and scored on the very same holdout cases as the candidate, so
 * the only difference is the configuration (a regression such as a crippled neighbour count is
 * caught). The live version's recorded holdout metric is also checked with a wider drift
 * tolerance, which catches a bad night of data that makes every configuration worse.
 */
import { isDeepStrictEqual } from 'util';
import { buildPolicy, type Policy } from '../../src/config/policy';
import type { GateDecision, GateMetric, PairedComparison, VersionMetrics } from '../../src/contracts/versionRecord';
import type { Dataset } from '../data/dataset';
import { evaluateSplit } from '../evaluation/models';
import { servedExclusion } from '../evaluation/protocol';
import type { Split } from '../evaluation/splits';
import { publishedRecipe } from '../recipe';
import { readManifest } from './artifacts';

/**
 * Fits the live version's recorded policy on the candidate's holdout (carved once per run from
 * `dataset`) and scores both on the same cases. Null when the live version's manifest (and so
 * its policy) is not on disk.
 */
export async function compareWithLive(
  holdout: Split,
  dataset: Dataset,
  policy: Policy,
  modelsDir: string,
  liveVersion: string,
  candidate: GateMetric,
): Promise<PairedComparison | null> {
  let livePolicy: Policy;
  try {
    livePolicy = buildPolicy((await readManifest(modelsDir, liveVersion)).policy);
  } catch {
    return null;
  }
  const samePolicy = isDeepStrictEqual(livePolicy, policy);
  let live: GateMetric = candidate;
  if (!samePolicy) {
    // Each side filters as it would when serving; the targets are the same.
    const exclude = servedExclusion(dataset, livePolicy);
    const recipe = await publishedRecipe(holdout.train, livePolicy);
    const [r] = evaluateSplit({ ...holdout, exclude }, livePolicy, ['published'], recipe.fit, recipe.seconds);
    live = { hr10: r.hr10, ndcg10: r.ndcg10 };
  }
  return { liveVersion, cases: holdout.cases.length, candidate, live, samePolicy };
}

function holdoutMetric(metrics: Partial<VersionMetrics> | undefined, model: 'published' | 'popular'): GateMetric | undefined {
  const h = metrics?.holdout?.[model];
  return h && typeof h.ndcg10 === 'number' ? h : undefined;
}

/** Publishes only a candidate that beats popularity and does not lose to the live version. */
export function decideGate(args: {
  candidateMetrics: Partial<VersionMetrics>;
  liveMetrics?: Partial<VersionMetrics>;
  paired?: PairedComparison | null;
  tolerance: number;
  driftTolerance: number;
  force: boolean;
}): GateDecision {
  const { tolerance, driftTolerance } = args;
  const reasons: string[] = [];
  const cand = holdoutMetric(args.candidateMetrics, 'published');
  const pop = holdoutMetric(args.candidateMetrics, 'popular');
  if (!cand) reasons.push('the candidate has no holdout metrics');
  else if (pop && cand.ndcg10 < pop.ndcg10 && cand.hr10 <= pop.hr10) {
    reasons.push(`candidate NDCG@10 ${cand.ndcg10.toFixed(4)} is below popularity's ${pop.ndcg10.toFixed(4)} on the holdout`);
  }
  const pct = `${(tolerance * 100).toFixed(1)}%`;
  if (args.paired) {
    const { candidate, live, cases, liveVersion } = args.paired;
    if (candidate.ndcg10 < live.ndcg10 * (1 - tolerance)) {
      reasons.push(
        `candidate NDCG@10 ${candidate.ndcg10.toFixed(4)} is below live ${liveVersion}'s ${live.ndcg10.toFixed(4)} on the same ${cases} holdout cases (tolerance ${pct})`,
      );
    }
  }
  const stored = holdoutMetric(args.liveMetrics, 'published');
  if (cand && stored && cand.ndcg10 < stored.ndcg10 * (1 - driftTolerance)) {
    reasons.push(
      `candidate NDCG@10 ${cand.ndcg10.toFixed(4)} dropped below the live version's recorded ${stored.ndcg10.toFixed(4)} by more than ${(driftTolerance * 100).toFixed(0)}%`,
    );
  }
  return {
    passed: reasons.length === 0 || args.force,
    forced: args.force && reasons.length > 0,
    reasons,
    ...(args.paired ? { paired: args.paired } : {}),
  };
}
