/**
 * The promotion gate. A candidate is published only if, on a holdout carved from the latest data,
 * it beats popularity and does not lose to the live version by more than the tolerance.
 *
 * The comparison with the live version is paired: the holdout cases whose target happened after
 * the live version's "now" are scored twice, once with the candidate fitted without them and once
 * with the lists the live version actually serves (its artifacts), so neither side has seen the
 * targets. When too few such cases exist (retraining on the same data), the live version's stored
 * holdout metrics are the fallback yardstick.
 */
import type { Policy } from '../src/config/policy';
import { decodeUserRecommendations } from '../src/model/packedList';
import { decodeVersionMeta } from '../src/model/versionMeta';
import { Dataset, TYPE_PURCHASE } from './dataset';
import { hitAndNdcg } from './evaluate';
import { fitModel } from './model';
import { Ranker } from './rank';
import { carveHoldout, exclusionMode } from './train';
import { readManifest, readMetaBytes, readUserLists } from './artifacts';

export interface Metric {
  hr10: number;
  ndcg10: number;
}

export interface PairedComparison {
  liveVersion: string;
  cases: number;
  candidate: Metric;
  live: Metric;
}

export interface GateDecision {
  passed: boolean;
  forced: boolean;
  reasons: string[];
  paired?: PairedComparison;
}

const K = 10;

/** Scores candidate and live on the holdout cases newer than the live version; null if too few. */
export async function compareWithLive(
  dataset: Dataset,
  policy: Policy,
  modelsDir: string,
  liveVersion: string,
): Promise<PairedComparison | null> {
  let liveNow: number;
  try {
    liveNow = Date.parse((await readManifest(modelsDir, liveVersion)).now);
  } catch {
    return null; // the live version's artifacts are gone: nothing to pair with
  }
  const { train, cases } = carveHoldout(dataset, policy);
  const fresh = cases.filter((c) => dataset.evTs[dataset.userStart[c.user + 1] - 1] > liveNow);
  if (fresh.length < policy.gate.minPairedCases) return null;

  const all = exclusionMode(dataset, policy) === 'all';
  const excludedOf = (u: number): Set<string> => {
    const out = new Set<string>();
    for (let k = train.userStart[u]; k < train.userStart[u + 1]; k++) {
      if (all || train.evType[k] === TYPE_PURCHASE) out.add(train.itemIds[train.evItem[k]]);
    }
    return out;
  };

  // Candidate: fitted without the targets, ranked as publishing would.
  const ranker = new Ranker(fitModel(train, policy).model);
  const candidate: Metric = { hr10: 0, ndcg10: 0 };
  for (const c of fresh) {
    const list = ranker.rank(c.user, K, all ? 'history' : 'bought');
    const pos = Array.from(list.items).indexOf(c.item);
    const m = hitAndNdcg(pos + 1, K);
    candidate.hr10 += m.hr;
    candidate.ndcg10 += m.ndcg;
  }

  // Live: the lists it serves, with the service's filters and its `new`-user fallback.
  const meta = decodeVersionMeta(await readMetaBytes(modelsDir, liveVersion));
  const wanted = new Set(fresh.map((c) => dataset.userIds[c.user]));
  const lists = new Map<string, string[]>();
  for await (const chunk of readUserLists(modelsDir, liveVersion)) {
    for (const [userId, packed] of chunk) {
      if (!wanted.has(userId)) continue;
      lists.set(userId, Array.from(decodeUserRecommendations(packed).items, (i) => meta.itemIds[i]));
    }
  }
  const fallback = [...(meta.lists.trending ?? []), ...(meta.lists.popular ?? [])].map((i) => meta.itemIds[i]);
  const live: Metric = { hr10: 0, ndcg10: 0 };
  for (const c of fresh) {
    const userId = dataset.userIds[c.user];
    const excluded = excludedOf(c.user);
    const shown: string[] = [];
    for (const id of [...(lists.get(userId) ?? []), ...fallback]) {
      if (shown.length >= K) break;
      if (!excluded.has(id) && !shown.includes(id)) shown.push(id);
    }
    const m = hitAndNdcg(shown.indexOf(dataset.itemIds[c.item]) + 1, K);
    live.hr10 += m.hr;
    live.ndcg10 += m.ndcg;
  }
  const n = fresh.length;
  return {
    liveVersion,
    cases: n,
    candidate: { hr10: candidate.hr10 / n, ndcg10: candidate.ndcg10 / n },
    live: { hr10: live.hr10 / n, ndcg10: live.ndcg10 / n },
  };
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
  force: boolean;
}): GateDecision {
  const { tolerance } = args;
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
        `candidate NDCG@10 ${candidate.ndcg10.toFixed(4)} is below live ${liveVersion}'s ${live.ndcg10.toFixed(4)} on ${cases} holdout cases newer than it (tolerance ${pct})`,
      );
    }
  } else if (cand) {
    const stored = holdoutMetric(args.liveMetrics, 'published');
    if (stored && cand.ndcg10 < stored.ndcg10 * (1 - tolerance)) {
      reasons.push(`candidate NDCG@10 ${cand.ndcg10.toFixed(4)} is below the live version's recorded ${stored.ndcg10.toFixed(4)} (tolerance ${pct})`);
    }
  }
  return {
    passed: reasons.length === 0 || args.force,
    forced: args.force && reasons.length > 0,
    reasons,
    ...(args.paired ? { paired: args.paired } : {}),
  };
}
