/**
 * The search over the ranking blend's parameters on pooled validation folds (folds.ts): a small
 * deterministic coordinate search over RankParams. Only the recipe calls tuneRankParams.
 */
import type { Policy } from '../../src/config/policy';
import type { Dataset } from '../data/dataset';
import type { FitOptions } from '../ranking/fit';
import { DEFAULT_RANK, type RankParams } from '../ranking/params';
import type { Protocol } from '../evaluation/protocol';
import { protocolOf } from '../evaluation/protocol';
import { scoreCases } from '../evaluation/scoreCases';
import type { Split } from '../evaluation/splits';
import type { FittedModel } from '../ranking/fit';
import { carveValidationFolds, fitFolds, MIN_VALIDATION_CASES, pooledCases, type ValidationFold } from './folds';

export interface ParamScore {
  hr10: number;
  ndcg10: number;
  hr20: number;
  ndcg20: number;
}

/** Scores one RankParams setting on a split with parts already fitted on split.train. */
export function scoreParams(split: Split, fitted: FittedModel, params: RankParams, k = 20): ParamScore {
  // Every case ranked exactly as `new Ranker(model).rank(user, k, exclude, true)`; on all threads at scale.
  const { hr10, ndcg10, hr20, ndcg20 } = scoreCases(split, { ...fitted.model, params }, k);
  return { hr10, ndcg10, hr20, ndcg20 };
}

/** The search's noise guard for `cases` validation cases: two more hits' worth, at least 0.002. */
export function minGainFor(cases: number): number {
  return Math.max(0.002, 2 / cases);
}

/** Scores one RankParams setting on pooled folds: every case counts once, whatever its fold. */
export function scoreFolds(folds: ValidationFold[], params: RankParams): ParamScore {
  const sum: ParamScore = { hr10: 0, ndcg10: 0, hr20: 0, ndcg20: 0 };
  const metrics = Object.keys(sum) as Array<keyof ParamScore>;
  for (const f of folds) {
    const s = scoreParams(f.split, f.fitted, params);
    for (const m of metrics) sum[m] += s[m] * f.split.cases.length;
  }
  const n = Math.max(1, pooledCases(folds.map((f) => f.split)));
  for (const m of metrics) sum[m] /= n;
  return sum;
}

/** The objective the search maximises: NDCG@10 plus HR@10 (HR is what a storefront sees, NDCG breaks its ties). */
export function objective(s: ParamScore): number {
  return s.ndcg10 + s.hr10;
}

/** Values tried per parameter, in coordinate-search order. */
export type SearchSpace = Partial<Record<keyof RankParams, number[]>>;

/**
 * Kept small: every value costs a scoring pass over the folds, and only terms that moved the
 * validation objective beyond the noise guard are searched (docs/experiments.md has the figures).
 */
export const PURCHASE_SPACE: SearchSpace = {
  seedDecay: [0.3, 0.5, 0.7, 0.9],
  refindWeight: [1, 2, 4],
  refindAlpha: [0, 0.5, 0.7],
  refindTauHours: [0.5, 1, 2],
  refindCartAlpha: [0.2, 0.3, 0.5],
  refindHalfLifeHours: [6, 12, 24, 48],
  refindCart: [1, 3, 6],
  refindPositionWeight: [0, 1],
  intentWeight: [0, 0.5],
  categoryWeight: [0, 0.05],
  focusWeight: [0, 0.1, 0.3],
  dwellWeight: [0, 0.5, 1, 2],
  dwellHalfLifeHours: [0, 6, 24],
  dwellCapMinutes: [10, 30],
};

export const LOO_SPACE: SearchSpace = {
  seedDecay: [0.5, 0.6, 0.7, 0.8, 0.9, 1],
  popularityWeight: [0, 0.02, 0.05, 0.1],
  categoryWeight: [0, 0.05, 0.2],
};

export interface TuneOptions {
  fit?: FitOptions;
  /** Starting point (default DEFAULT_RANK overridden by fit.rank). */
  start?: Partial<RankParams>;
  space?: SearchSpace;
  /** Coordinate-search sweeps over the space. */
  rounds?: number;
  /**
   * A change is kept only when it raises the objective by more than this (guards against noise);
   * default minGainFor(the pooled cases).
   */
  minGain?: number;
  log?: (msg: string) => void;
}

export interface TuneResult {
  params: RankParams;
  kind: Protocol;
  /** Validation cases, pooled over the folds. */
  cases: number;
  folds: number;
  /** Validation scores of the start and of the chosen params. */
  before: ParamScore;
  after: ParamScore;
  evaluations: number;
  seconds: number;
}

/**
 * Coordinate search: for each parameter in turn, try its values with the others fixed and keep the
 * best (ties and gains below minGain keep the current value). Deterministic: fixed order, fixed data.
 */
export function searchRankParams(
  folds: ValidationFold[],
  start: RankParams,
  space: SearchSpace,
  rounds = 2,
  minGain = minGainFor(pooledCases(folds.map((f) => f.split))),
): {
  params: RankParams;
  before: ParamScore;
  after: ParamScore;
  evaluations: number;
} {
  let evaluations = 0;
  const cache = new Map<string, ParamScore>();
  const run = (p: RankParams): ParamScore => {
    const key = JSON.stringify(p);
    let s = cache.get(key);
    if (!s) {
      s = scoreFolds(folds, p);
      cache.set(key, s);
      evaluations++;
    }
    return s;
  };
  let current = { ...start };
  const before = run(current);
  let best = objective(before);
  for (let r = 0; r < rounds; r++) {
    let changed = false;
    for (const [name, values] of Object.entries(space) as Array<[keyof RankParams, number[]]>) {
      let bestValue = current[name];
      for (const v of values) {
        if (v === current[name]) continue;
        const o = objective(run({ ...current, [name]: v }));
        if (o > best + minGain) {
          best = o;
          bestValue = v;
        }
      }
      if (bestValue !== current[name]) {
        current = { ...current, [name]: bestValue };
        changed = true;
      }
    }
    if (!changed) break;
  }
  return { params: current, before, after: run(current), evaluations };
}

/**
 * RankParams for a dataset, tuned on a validation split carved from it. Returns the start params
 * unchanged when the data is too small to carve a meaningful split.
 */
export function tuneRankParams(ds: Dataset, policy: Policy, opts: TuneOptions = {}): TuneResult {
  const t0 = process.hrtime.bigint();
  const start: RankParams = { ...DEFAULT_RANK, ...opts.fit?.rank, ...opts.start };
  const kind = protocolOf(ds);
  const splits = carveValidationFolds(ds, kind);
  const cases = pooledCases(splits);
  const empty: ParamScore = { hr10: 0, ndcg10: 0, hr20: 0, ndcg20: 0 };
  if (cases < MIN_VALIDATION_CASES) {
    return { params: start, kind, cases, folds: splits.length, before: empty, after: empty, evaluations: 0, seconds: 0 };
  }
  const folds = fitFolds(splits, policy, { ...opts.fit, rank: start });
  const space = opts.space ?? (kind === 'purchase' ? PURCHASE_SPACE : LOO_SPACE);
  const r = searchRankParams(folds, start, space, opts.rounds ?? 2, opts.minGain); // undefined: minGainFor(cases)
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  opts.log?.(
    `tuned rank params on ${cases} ${kind} validation cases (${splits.map((s) => s.cases.length).join(' + ')} in ${splits.length} folds) ` +
      `in ${seconds.toFixed(2)}s (${r.evaluations} settings): ` +
      `HR@10 ${r.before.hr10.toFixed(4)} -> ${r.after.hr10.toFixed(4)}, NDCG@10 ${r.before.ndcg10.toFixed(4)} -> ${r.after.ndcg10.toFixed(4)}`,
  );
  return { params: r.params, kind, cases, folds: splits.length, before: r.before, after: r.after, evaluations: r.evaluations, seconds };
}
