/**
 * The promotion gate. A candidate is published only if, on a holdout carved from the latest data,
 * it is significantly better than popularity and not significantly worse than the live version.
 *
 * The comparison with the live version is paired: the live version's recorded policy is fitted on
 * the very same training split and scored on the very same holdout cases as the candidate, so
 * the only difference is the configuration (a regression such as a crippled neighbour count is
 * caught). Both comparisons are bootstraps over the per-case NDCG@10 differences
 * (evaluation/statistics.ts): the candidate passes when the one-sided 95% lower bound of
 * candidate - live stays above -tolerance x live, and that of candidate - popularity above 0. A
 * holdout below `gate.minCases` is too small for that; the gate then compares point figures with
 * the tolerance and says so. The live version's recorded holdout figure is also checked, by its
 * recorded interval, which catches a bad night of data that makes every configuration worse.
 */
import { isDeepStrictEqual } from 'util';
import { buildPolicy, type Policy } from '../../src/config/policy';
import type { GateDecision, GateDifference, GateMetric, PairedComparison, VersionMetrics } from '../../src/contracts/versionRecord';
import type { Dataset } from '../data/dataset';
import { evaluateSplit } from '../evaluation/models';
import { servedExclusion } from '../evaluation/protocol';
import type { Split } from '../evaluation/splits';
import { pairedLowerBound, perCase } from '../evaluation/statistics';
import { publishedRecipe } from '../recipe';
import { readManifest } from './artifacts';

/** The live side of the paired comparison, with its per-case ranks on the holdout. */
export interface LiveComparison {
  comparison: PairedComparison;
  liveRanks: Int32Array;
}

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
  candidate: GateMetric & { ranks: Int32Array },
): Promise<LiveComparison | null> {
  let livePolicy: Policy;
  try {
    livePolicy = buildPolicy((await readManifest(modelsDir, liveVersion)).policy);
  } catch {
    return null;
  }
  const samePolicy = isDeepStrictEqual(livePolicy, policy);
  let live: GateMetric = { hr10: candidate.hr10, ndcg10: candidate.ndcg10 };
  let liveRanks = candidate.ranks;
  if (!samePolicy) {
    // Each side filters as it would when serving; the targets are the same.
    const exclude = servedExclusion(dataset, livePolicy);
    const recipe = await publishedRecipe(holdout.train, livePolicy);
    const [r] = evaluateSplit({ ...holdout, exclude }, livePolicy, ['published'], recipe.fit, recipe.seconds);
    live = { hr10: r.hr10, ndcg10: r.ndcg10 };
    liveRanks = r.ranks;
  }
  return {
    comparison: {
      liveVersion,
      cases: holdout.cases.length,
      candidate: { hr10: candidate.hr10, ndcg10: candidate.ndcg10 },
      live,
      samePolicy,
    },
    liveRanks,
  };
}

function holdoutMetric(metrics: Partial<VersionMetrics> | undefined, model: 'published' | 'popular') {
  const h = metrics?.holdout?.[model];
  return h && typeof h.ndcg10 === 'number' ? h : undefined;
}

const f4 = (x: number) => x.toFixed(4);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
const ci = (i: [number, number]) => `[${f4(i[0])}, ${f4(i[1])}]`;

function ndcgDifference(a: Int32Array, b: Int32Array): GateDifference {
  return pairedLowerBound(perCase(a, 'ndcg10'), perCase(b, 'ndcg10'));
}

/**
 * Publishes a candidate that beats popularity and does not lose to the live version: by
 * significance on the same holdout cases when their ranks are given and there are at least
 * `minCases`, else by the tolerance on point figures.
 */
export function decideGate(args: {
  candidateMetrics: Partial<VersionMetrics>;
  liveMetrics?: Partial<VersionMetrics>;
  paired?: PairedComparison | null;
  /** Per-case ranks on the holdout (case order): the candidate's, popularity's, the live version's. */
  ranks?: { candidate: Int32Array; popular?: Int32Array; live?: Int32Array };
  tolerance: number;
  minCases: number;
  driftTolerance: number;
  force: boolean;
}): GateDecision {
  const { tolerance, driftTolerance, minCases } = args;
  const reasons: string[] = [];
  const notes: string[] = [];
  const cand = holdoutMetric(args.candidateMetrics, 'published');
  const pop = holdoutMetric(args.candidateMetrics, 'popular');
  const cases = args.ranks?.candidate.length ?? cand?.users ?? 0;
  const significance = args.ranks !== undefined && cases >= minCases;
  const rule: GateDecision['rule'] = significance ? 'significance' : 'tolerance';
  if (!significance)
    notes.push(
      args.ranks
        ? `holdout of ${cases} cases is below gate.minCases (${minCases}): tolerance rule, no significance test`
        : 'no per-case ranks: tolerance rule',
    );
  const pct = `${(tolerance * 100).toFixed(1)}%`;
  let vsPopular: GateDifference | undefined;
  let paired = args.paired ?? undefined;

  if (!cand) reasons.push('the candidate has no holdout metrics');
  else if (significance && args.ranks?.popular) {
    vsPopular = ndcgDifference(args.ranks.candidate, args.ranks.popular);
    if (!(vsPopular.lower > 0))
      reasons.push(
        `candidate NDCG@10 ${f4(cand.ndcg10)} is not significantly above popularity's ${pop ? f4(pop.ndcg10) : '?'} on the ${cases} holdout cases: ` +
          `paired difference ${signed(vsPopular.diff)}, 95% CI ${ci(vsPopular.ci95)}, one-sided 95% lower bound ${signed(vsPopular.lower)} (needs > 0)`,
      );
  } else if (pop && cand.ndcg10 < pop.ndcg10 && cand.hr10 <= pop.hr10) {
    reasons.push(`candidate NDCG@10 ${f4(cand.ndcg10)} is below popularity's ${f4(pop.ndcg10)} on the holdout`);
  }

  if (paired) {
    const { candidate, live, liveVersion } = paired;
    if (significance && args.ranks?.live) {
      const difference = ndcgDifference(args.ranks.candidate, args.ranks.live);
      paired = { ...paired, difference };
      const floor = -tolerance * live.ndcg10;
      if (difference.lower < floor)
        reasons.push(
          `candidate NDCG@10 ${f4(candidate.ndcg10)} is significantly below live ${liveVersion}'s ${f4(live.ndcg10)} on the same ${paired.cases} holdout cases: ` +
            `paired difference ${signed(difference.diff)}, 95% CI ${ci(difference.ci95)}, one-sided 95% lower bound ${signed(difference.lower)} below ${signed(floor)} (tolerance ${pct} of live)`,
        );
    } else if (candidate.ndcg10 < live.ndcg10 * (1 - tolerance)) {
      reasons.push(
        `candidate NDCG@10 ${f4(candidate.ndcg10)} is below live ${liveVersion}'s ${f4(live.ndcg10)} on the same ${paired.cases} holdout cases (tolerance rule, ${pct})`,
      );
    }
  }

  // A bad night of data: the candidate against the live version's recorded figure (other cases).
  const stored = holdoutMetric(args.liveMetrics, 'published');
  if (cand && stored) {
    if (cand.ci95 && stored.ci95) {
      if (cand.ci95.ndcg10[1] < stored.ci95.ndcg10[0])
        reasons.push(
          `candidate NDCG@10 ${f4(cand.ndcg10)} ${ci(cand.ci95.ndcg10)} lies wholly below the live version's recorded ${f4(stored.ndcg10)} ${ci(stored.ci95.ndcg10)}: a bad night of data?`,
        );
    } else if (cand.ndcg10 < stored.ndcg10 * (1 - driftTolerance)) {
      reasons.push(
        `candidate NDCG@10 ${f4(cand.ndcg10)} dropped below the live version's recorded ${f4(stored.ndcg10)} by more than ${(driftTolerance * 100).toFixed(0)}%`,
      );
    }
  }

  const passed = reasons.length === 0 || args.force;
  const forced = args.force && reasons.length > 0;
  const figures: string[] = [];
  if (paired?.difference) figures.push(`vs live ${paired.liveVersion} ${signed(paired.difference.diff)} ${ci(paired.difference.ci95)}`);
  else if (paired) figures.push(`vs live ${paired.liveVersion} ${f4(paired.candidate.ndcg10)} against ${f4(paired.live.ndcg10)}`);
  if (vsPopular) figures.push(`vs popularity ${signed(vsPopular.diff)} ${ci(vsPopular.ci95)}`);
  const verdict = forced ? 'forced past the gate' : passed ? 'promoted' : 'refused';
  const summary =
    `${verdict} by the ${rule} rule on ${cases} holdout cases` +
    (figures.length ? `: NDCG@10 ${figures.join(', ')}` : '') +
    (notes.length ? ` (${notes.join('; ')})` : '');
  return {
    passed,
    forced,
    reasons,
    rule,
    cases,
    summary,
    ...(paired ? { paired } : {}),
    ...(vsPopular ? { vsPopular } : {}),
  };
}
