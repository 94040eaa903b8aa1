/**
 * Scores test cases with a ranking model: each case's list ranked by the Ranker and its rank found
 * by the Scorer, on every thread at scale. Per-case ranks are summed in case order on the main
 * thread, so the metrics are bit-identical whatever the number of threads.
 */
import { Ranker } from '../ranking/ranker';
import type { ExcludeMode, RankModel } from '../ranking/ranker';
import { parallelRanking, type PortableModel, portableModel } from '../ranking/portable';
import { parallelForSync, sharedArray, trainThreads } from '../parallel/pool';
import { type CaseMetrics, Scorer } from './metrics';
import type { Split, TestCase } from './splits';

/** Cases per chunk when scoring. */
const CASE_CHUNK = 256;

export interface RankCasesData {
  model: PortableModel;
  users: Int32Array;
  items: Int32Array;
  k: number;
  exclude: ExcludeMode;
  /** Fill lists from the fallbacks (Ranker.rank's `fill`). */
  fill: boolean;
  chunkSize: number;
  /** Out: per case, its 1-based rank in the completed top 20 (0 = outside). */
  ranks: Int32Array;
}

export function rankCasesJob(d: RankCasesData): (chunk: number) => void {
  const ranker = new Ranker(d.model);
  const scorer = new Scorer(d.model.ds, d.exclude);
  return (chunk) => {
    const end = Math.min(d.users.length, (chunk + 1) * d.chunkSize);
    for (let x = chunk * d.chunkSize; x < end; x++) {
      const c: TestCase = { user: d.users[x], item: d.items[x] };
      d.ranks[x] = scorer.rankOf(c, ranker.rank(c.user, d.k, d.exclude, d.fill));
    }
  };
}

/**
 * HR/NDCG of `model` (fitted on split.train; lists of length k, filled unless `fill` is false) on
 * the split's cases: exactly what adding every case's ranked list to a Scorer in case order gives,
 * computed on all threads at scale.
 */
export function scoreCases(split: Split, model: RankModel, k: number, fill = true): CaseMetrics {
  const scorer = new Scorer(split.train, split.exclude);
  const threads = trainThreads();
  if (!parallelRanking(model, threads) || split.cases.length < 2 * CASE_CHUNK) {
    const ranker = new Ranker(model);
    for (const c of split.cases) scorer.add(c, ranker.rank(c.user, k, split.exclude, fill));
    return scorer.result();
  }
  const n = split.cases.length;
  const pm = portableModel(model);
  const data: RankCasesData = {
    model: pm,
    users: sharedArray(Int32Array, n),
    items: sharedArray(Int32Array, n),
    k,
    exclude: split.exclude,
    fill,
    chunkSize: CASE_CHUNK,
    ranks: sharedArray(Int32Array, n),
  };
  split.cases.forEach((c, x) => {
    data.users[x] = c.user;
    data.items[x] = c.item;
  });
  parallelForSync('rank-cases', data, Math.ceil(n / CASE_CHUNK), rankCasesJob(data), threads);
  for (let x = 0; x < n; x++) scorer.addRank(data.ranks[x]);
  return scorer.result();
}
