/**
 * Trains a version from a dataset: fits the models (model.ts), builds the VersionMeta the service
 * loads and, lazily, every user's packed-list value. Also the holdout evaluation the quality gate
 * reads (fit on the rest, score each sampled user's held-out last interaction).
 */
import type { Policy } from '../../src/config/policy';
import { Segment, SEGMENTS } from '../../src/domain/types';
import type { UserRecommendations } from '../../src/model/packedList';
import type { VersionMeta } from '../../src/model/versionMeta';
import { Dataset, filterDataset, TYPE_PURCHASE } from '../data/dataset';
import { evaluateSplit, ModelName, MODELS, TestCase } from './evaluate';
import { DEFAULT_FIT, fitModel, FitOptions } from '../ranking/fit';
import { Ranker } from '../ranking/ranker';
import { mulberry32 } from '../../src/util/prng';
import { tuneRankParams } from '../tuning/search';
import { embeddingFits, embeddingNeighbours, fitEmbeddingFor, prepareEmbedding } from '../recipe';
import type { EmbeddingModel } from '../models/embedding/model';
import { markStage } from '../../src/observability/stages';
import { ExclusionMode, userRecommendations } from '../ranking/userLists';
import { packedUserLists } from '../ranking/parallelLists';

/** Resolves `auto`: data without any purchase is a consumption log, where every event is the consumption. */
export function exclusionMode(ds: Dataset, policy: Policy): ExclusionMode {
  const setting = policy.training.excludeInteracted;
  if (setting !== 'auto') return setting;
  for (let k = 0; k < ds.nEvents; k++) if (ds.evType[k] === TYPE_PURCHASE) return 'purchased';
  return 'all';
}
/** Ranking every sampled user is linear; this bounds the gate's cost on very large user bases. */
export const MAX_HOLDOUT_USERS = 20000;

export interface TrainOptions {
  version: string;
  createdAt: number;
  log?: (msg: string) => void;
  fit?: FitOptions;
}

export interface TrainedVersion {
  meta: VersionMeta;
  /** Every user's list, computed on demand (one user at a time: nothing is held for all users). */
  users(): Iterable<[userId: string, rec: UserRecommendations]>;
  /**
   * Every user's packed list (encodeUserRecommendations of users()), in user order and in chunks;
   * computed on worker threads at scale. What the artifacts store.
   */
  packedLists(): AsyncIterable<Array<[userId: string, packed: Buffer]>>;
  /** Segment of a user at training time; unknown users are `new`. */
  segmentOf(userId: string): Segment;
  metrics: Record<string, unknown>;
  /** Seconds per stage. */
  timings: Record<string, number>;
  /** The embedding model when the blend uses it (saved with the version's artifacts). */
  embedding?: EmbeddingModel;
}

export async function trainModels(dataset: Dataset, policy: Policy, opts: TrainOptions): Promise<TrainedVersion> {
  const ds = dataset;
  const log = opts.log ?? (() => undefined);
  const t0 = process.hrtime.bigint();
  // The same procedure evaluation scores as `published`: ranking weights tuned on a validation
  // split carved from this data, then the fit.
  markStage('tune');
  const tuned = tuneRankParams(ds, policy, { fit: opts.fit, log });
  markStage('embeddings');
  const emb = await prepareEmbedding(ds, policy, { ...opts.fit, rank: tuned.params });
  log(`embedding: weight ${emb.choice.weight}${emb.choice.skipped ? ` (${emb.choice.skipped})` : ''} in ${emb.choice.seconds.toFixed(1)}s`);
  markStage('fit');
  const fitted = fitModel(ds, policy, emb.fit);
  markStage('embeddings');
  // Even when the blend leaves it out, the embedding's neighbours serve /similar beside item-CF.
  const embeddingModel = emb.model ?? (embeddingFits(ds, policy) ? await fitEmbeddingFor(ds, policy) : undefined);
  const similarEmbedding = embeddingModel ? await embeddingNeighbours(embeddingModel, ds, policy.training.neighbours) : undefined;
  markStage('fit done');
  log(
    `fitted ${ds.nUsers} users, ${ds.nItems} items, ${ds.nEvents} events in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2)}s`,
  );
  const { model, segments, fallback, similar } = fitted;

  const meta: VersionMeta = {
    version: opts.version,
    createdAt: opts.createdAt,
    now: ds.now,
    users: ds.nUsers,
    bucketCount: Math.max(1, Math.ceil(ds.nUsers / policy.cache.usersPerBucket)),
    itemIds: ds.itemIds,
    categories: ds.categories,
    itemCategory: ds.itemCategory,
    itemAvailable: ds.itemAvailable,
    itemNew: newArrivalFlags(ds, policy),
    similar,
    ...(similarEmbedding ? { similarEmbedding } : {}),
    lists: fallback.lists,
    categoryLists: fallback.categoryLists,
    segmentLists: fallback.segmentLists,
    segmentSizes: segments.sizes,
    info: {
      models: {
        itemcf: { ...fitted.itemcfParams, decay: opts.fit?.itemcfDecay ?? DEFAULT_FIT.itemcfDecay },
        rank: fitted.rankParams,
        popularity: { combine: opts.fit?.combine ?? DEFAULT_FIT.combine, decayHalfLifeDays: policy.training.decayHalfLifeDays },
      },
      embedding: embeddingModel
        ? { ...emb.choice, dim: embeddingModel.dim, backend: embeddingModel.info.backend, fitSeconds: embeddingModel.info.fitSeconds }
        : emb.choice,
      tuning: { kind: tuned.kind, cases: tuned.cases, folds: tuned.folds, before: tuned.before, after: tuned.after, seconds: tuned.seconds },
      highValueThreshold: Number.isFinite(segments.highValueThreshold) ? segments.highValueThreshold : null,
      events: ds.nEvents,
    },
  };

  const neighbours = similar.indptr[ds.nItems];
  const metrics: Record<string, unknown> = {
    users: ds.nUsers,
    items: ds.nItems,
    events: ds.nEvents,
    matrixEntries: fitted.ui.indptr[fitted.ui.nRows],
    neighboursPerItem: ds.nItems > 0 ? neighbours / ds.nItems : 0,
    itemsWithNeighbours: countRows(similar.indptr),
    segments: segments.sizes,
  };

  const exclusion = exclusionMode(ds, policy);
  (meta.info as Record<string, unknown>).exclude = exclusion;
  const users = function* (): Iterable<[string, UserRecommendations]> {
    const ranker = new Ranker(model); // only when iterated (the artifacts use packedLists)
    for (let u = 0; u < ds.nUsers; u++) {
      yield [ds.userIds[u], userRecommendations(ds, ranker, model.favourites, segments.codes, u, policy.training.topN, exclusion, segments.features)];
    }
  };

  const packedLists = () => packedUserLists(ds, model, { topN: policy.training.topN, exclusion, features: segments.features });

  return {
    meta,
    users,
    packedLists,
    segmentOf: (userId) => {
      const u = ds.userIndex.get(userId);
      return u === undefined ? 'new' : SEGMENTS[segments.codes[u]];
    },
    metrics,
    timings: { ...fitted.timings, tuning: tuned.seconds, embedding: emb.choice.seconds + (embeddingModel?.info.fitSeconds ?? 0) },
    ...(embeddingModel ? { embedding: embeddingModel } : {}),
  };
}

/** New arrivals: catalogue createdAt (else first event) within training.newArrivalDays before now. */
export function newArrivalFlags(ds: Dataset, policy: Policy): Uint8Array {
  const since = ds.now - policy.training.newArrivalDays * 24 * 3600 * 1000;
  const out = new Uint8Array(ds.nItems);
  for (let i = 0; i < ds.nItems; i++) {
    const born = Number.isFinite(ds.itemCreatedAt[i]) ? ds.itemCreatedAt[i] : ds.itemFirstSeen[i];
    out[i] = Number.isFinite(born) && born >= since ? 1 : 0;
  }
  return out;
}

function countRows(indptr: Int32Array): number {
  let n = 0;
  for (let r = 0; r + 1 < indptr.length; r++) if (indptr[r + 1] > indptr[r]) n++;
  return n;
}

export interface HoldoutMetrics {
  hr10: number;
  ndcg10: number;
  hr20: number;
  ndcg20: number;
  users: number;
  fitSeconds: number;
  recommendSeconds: number;
}


/**
 * Holdout carved from the training data: for a seeded sample of `holdoutUsers` of the users with at
 * least two distinct items, the item of the last event is the target and the trailing run of
 * events on that item is removed (predicting a repeat of what was just done would be trivial);
 * everything else trains. Scored like the service serves: only the excluded items (see exclusionMode) are skipped.
 */
export function carveHoldout(ds: Dataset, policy: Policy): { train: Dataset; cases: TestCase[] } {
  const rnd = mulberry32(policy.training.seed);
  const eligible: number[] = [];
  for (let u = 0; u < ds.nUsers; u++) {
    const a = ds.userStart[u];
    const b = ds.userStart[u + 1];
    for (let k = a; k < b; k++) {
      if (ds.evItem[k] !== ds.evItem[b - 1]) {
        eligible.push(u);
        break;
      }
    }
  }
  for (let x = eligible.length - 1; x > 0; x--) {
    const y = Math.floor(rnd() * (x + 1));
    const t = eligible[x];
    eligible[x] = eligible[y];
    eligible[y] = t;
  }
  const n = Math.min(MAX_HOLDOUT_USERS, Math.round(policy.training.holdoutUsers * eligible.length));
  const sampled = eligible.slice(0, n).sort((a, b) => a - b);
  const keep = new Uint8Array(ds.nEvents).fill(1);
  const cases: TestCase[] = [];
  for (const u of sampled) {
    const a = ds.userStart[u];
    const b = ds.userStart[u + 1];
    const item = ds.evItem[b - 1];
    for (let k = b - 1; k >= a && ds.evItem[k] === item; k--) keep[k] = 0;
    cases.push({ user: u, item });
  }
  return { train: filterDataset(ds, keep), cases };
}

/** HR/NDCG at 10 and 20 of `popular`, `itemcf` and `published` on the carved holdout. */
export async function evaluateHoldout(dataset: Dataset, policy: Policy, opts: { fit?: FitOptions } = {}): Promise<Record<ModelName, HoldoutMetrics>> {
  const { train, cases } = carveHoldout(dataset, policy);
  const exclude = exclusionMode(dataset, policy) === 'all' ? 'history' : 'bought';
  const tuned = tuneRankParams(train, policy, { fit: opts.fit });
  const emb = await prepareEmbedding(train, policy, { ...opts.fit, rank: tuned.params });
  const extraSeconds = tuned.seconds + emb.choice.seconds + (emb.model?.info.fitSeconds ?? 0);
  const results = evaluateSplit({ train, cases, exclude }, policy, MODELS, emb.fit, extraSeconds);
  const out = {} as Record<ModelName, HoldoutMetrics>;
  for (const r of results) {
    out[r.model as ModelName] = {
      hr10: r.hr10,
      ndcg10: r.ndcg10,
      hr20: r.hr20,
      ndcg20: r.ndcg20,
      users: cases.length,
      fitSeconds: r.fitSeconds,
      recommendSeconds: r.recommendSeconds,
    };
  }
  return out;
}
