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
import { buildPolicy, Policy } from '../../src/config/policy';
import type { Dataset } from '../data/dataset';
import { evaluateSplit } from './evaluate';
import { carveHoldout, exclusionMode } from './train';
import { readManifest } from './artifacts';
import { tuneRankParams } from '../tuning/search';
import { prepareEmbedding } from '../recipe';

export interface Metric {
  hr10: number;
  ndcg10: number;
}

export interface PairedComparison {
  liveVersion: string;
  /** Holdout cases both were scored on. */
  cases: number;
  candidate: Metric;
  live: Metric;
  /** True when the live version's policy equals the candidate's (the live side was not refitted). */
  samePolicy: boolean;
}

export interface GateDecision {
  passed: boolean;
  forced: boolean;
  reasons: string[];
  paired?: PairedComparison;
}

/**
 * Fits the live version's recorded policy on the candidate's holdout split and scores both on the
 * same cases. Null when the live version's manifest (and so its policy) is not on disk.
 */
export async function compareWithLive(
  dataset: Dataset,
  policy: Policy,
  modelsDir: string,
  liveVersion: string,
  candidate: Metric,
): Promise<PairedComparison | null> {
  let livePolicy: Policy;
  try {
    livePolicy = buildPolicy((await readManifest(modelsDir, liveVersion)).policy);
  } catch {
    return null;
  }
  const split = carveHoldout(dataset, policy);
  const samePolicy = isDeepStrictEqual(livePolicy, policy);
  let live: Metric = candidate;
  if (!samePolicy) {
    // Each side filters as it would when serving; the targets are the same.
    const exclude = exclusionMode(dataset, livePolicy) === 'all' ? 'history' : 'bought';
    const tuned = tuneRankParams(split.train, livePolicy);
    const emb = await prepareEmbedding(split.train, livePolicy, { rank: tuned.params });
    const [r] = evaluateSplit({ ...split, exclude }, livePolicy, ['published'], emb.fit, tuned.seconds);
    live = { hr10: r.hr10, ndcg10: r.ndcg10 };
  }
  return { liveVersion, cases: split.cases.length, candidate, live, samePolicy };
}

function holdoutMetric(metrics: Record<string, unknown> | undefined, model: string): Metric | undefined {
  const h = (metrics?.holdout as Record<string, Metric> | undefined)?.[model];
  return h && typeof h.ndcg10 === 'number' ? h : undefined;
}

/** Publishes only a candidate that beats popularity and does not lose to the live version. */
export function decideGate(args: {
  candidateMetrics: Record<string, unknown>;
  liveMetrics?: Record<string, unknown>;
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
