/**
 * Fits everything the ranking needs from one dataset: weighted matrix, popularity, item-item
 * neighbours, segments, favourite categories and fallback lists. Shared by training (publish) and
 * evaluation so both rank with identically fitted parts.
 */
import type { Policy } from '../../src/config/policy';
import { type Dataset, entryPositions, eventWeights, userItemMatrix, type WeightedCsr } from '../data/dataset';
import { DEFAULT_ITEMCF, fitItemCf, type ItemCfParams } from '../models/itemcf';
import { buildFallbackLists, type FallbackLists, itemPopularity, type Popularity } from '../models/popularity';
import type { RankModel } from './ranker';
import type { EmbeddingCandidates } from './embeddingSource';
import { DEFAULT_RANK, type RankParams } from './params';
import { computeSegments, favouriteCategories, type SegmentResult } from '../models/segments';
import type { Csr } from '../../src/contracts/versionMeta';
import { markStage } from '../../src/observability/stages';

export const FAVOURITE_CATEGORIES = 3;

export interface FitOptions {
  itemcf?: Partial<Omit<ItemCfParams, 'k'>>;
  rank?: Partial<RankParams>;
  /** How repeated (user, item) events combine in the matrix (max measured better than sum). */
  combine?: 'sum' | 'max';
  /** Apply time decay to the matrix itemcf learns from (popularity is always decayed). */
  itemcfDecay?: boolean;
  /** The embedding's candidates, fitted on the same dataset. */
  embedding?: EmbeddingCandidates;
}

export interface FittedModel {
  model: RankModel;
  ui: WeightedCsr;
  popularity: Popularity;
  similar: Csr;
  segments: SegmentResult;
  fallback: FallbackLists;
  weights: Float32Array;
  itemcfParams: ItemCfParams;
  rankParams: RankParams;
  /** Seconds per stage. */
  timings: Record<string, number>;
}

/**
 * itemcf learns from undecayed weights: decay relative to a global "now" shrinks old users'
 * co-occurrences towards nothing.
 */
export const DEFAULT_FIT: Required<Pick<FitOptions, 'combine' | 'itemcfDecay'>> = { combine: 'max', itemcfDecay: false };

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Weighted matrix and popularity only (the `popular` model). */
export function fitPopularity(
  ds: Dataset,
  policy: Policy,
  opts: FitOptions = {},
): { ui: WeightedCsr; weights: Float32Array; popularity: Popularity } {
  const weights = eventWeights(ds, policy, true);
  const ui = userItemMatrix(ds, policy, { weights, combine: opts.combine ?? DEFAULT_FIT.combine });
  return { ui, weights, popularity: itemPopularity(ds, ui) };
}

export function fitModel(ds: Dataset, policy: Policy, opts: FitOptions = {}): FittedModel {
  const timings: Record<string, number> = {};
  markStage('fit:item-item');
  let t0 = process.hrtime.bigint();
  const { ui, weights, popularity } = fitPopularity(ds, policy, opts);
  timings.matrix = seconds(t0);

  t0 = process.hrtime.bigint();
  const itemcfParams: ItemCfParams = { ...DEFAULT_ITEMCF, ...opts.itemcf, k: policy.training.neighbours };
  const itemcfDecay = opts.itemcfDecay ?? DEFAULT_FIT.itemcfDecay;
  const cfMatrix = itemcfDecay ? ui : userItemMatrix(ds, policy, { combine: opts.combine ?? DEFAULT_FIT.combine, decay: false });
  const positions = itemcfParams.proximity > 0 ? entryPositions(ds, cfMatrix) : undefined;
  const similar = fitItemCf(cfMatrix, itemcfParams, ds.itemOrder, positions);
  timings.itemcf = seconds(t0);

  markStage('fit:segments');
  t0 = process.hrtime.bigint();
  const segments = computeSegments(ds, policy);
  const favourites = favouriteCategories(ds, weights, FAVOURITE_CATEGORIES);
  timings.segments = seconds(t0);

  markStage('fit:fallback lists');
  t0 = process.hrtime.bigint();
  const fallback = buildFallbackLists(ds, policy, ui, popularity, segments.codes);
  timings.lists = seconds(t0);

  const rankParams: RankParams = { ...DEFAULT_RANK, ...opts.rank };
  const model: RankModel = {
    ds,
    policy,
    params: rankParams,
    similar,
    popularity,
    fallback,
    segments: segments.codes,
    favourites,
    ...(opts.embedding ? { embedding: opts.embedding } : {}),
  };
  return { model, ui, popularity, similar, segments, fallback, weights, itemcfParams, rankParams, timings };
}
