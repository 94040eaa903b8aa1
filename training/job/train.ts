/**
 * Trains a version from a dataset by the published recipe: fits the models, builds the VersionMeta
 * the service loads and, lazily, every user's packed-list value.
 */
import type { Policy } from '../../src/config/policy';
import { type Segment, SEGMENTS } from '../../src/domain/types';
import type { UserRecommendations } from '../../src/contracts/packedList';
import type { VersionMeta } from '../../src/contracts/versionMeta';
import type { VersionMetrics } from '../../src/contracts/versionRecord';
import { markStage } from '../../src/observability/stages';
import type { Dataset } from '../data/dataset';
import type { EmbeddingModel } from '../models/embedding/model';
import { DEFAULT_FIT, fitModel, type FitOptions } from '../ranking/fit';
import { Ranker } from '../ranking/ranker';
import { userRecommendations } from '../ranking/userLists';
import { packedUserLists } from '../ranking/parallelLists';
import { servedExclusion } from '../evaluation/protocol';
import { fitPageModel } from '../models/pageNeighbours';
import { fitComplements } from '../models/complements';
import { publishedRecipe } from '../recipe';

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
  /** Every user's segment at training time, in user order. */
  segmentRows(): Iterable<readonly [userId: string, segment: Segment]>;
  /** Everything but the holdout and the gate, which the pipeline adds. */
  metrics: VersionMetrics;
  /** Seconds per stage. */
  timings: Record<string, number>;
  /** The embedding model when the blend uses it (saved with the version's artifacts). */
  embedding?: EmbeddingModel;
}

export async function trainModels(dataset: Dataset, policy: Policy, opts: TrainOptions): Promise<TrainedVersion> {
  const ds = dataset;
  const log = opts.log ?? (() => undefined);
  const t0 = process.hrtime.bigint();
  // The procedure evaluation scores as `published`.
  const recipe = await publishedRecipe(ds, policy, { fit: opts.fit, log, finalEmbedding: true });
  const { tuning, embedding } = recipe;
  markStage('fit');
  const fitted = fitModel(ds, policy, recipe.fit);
  // Even when the blend leaves it out, the embedding's neighbours serve the product page beside co-views.
  const embeddingModel = recipe.embeddingModel;
  const similarEmbedding = recipe.embeddingNeighbours;
  markStage('fit:page and cart');
  const page = fitPageModel(ds, policy.placements.product.page, fitted.similar);
  const complements = fitComplements(ds, policy.placements.cart.complementWindowHours, policy.placements.cart.complementsPerItem);
  log(`fitted ${ds.nUsers} users, ${ds.nItems} items, ${ds.nEvents} events in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2)}s`);
  const { model, segments, fallback, similar } = fitted;
  const exclude = servedExclusion(ds, policy);

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
    pageNeighbours: page.neighbours,
    pageCategoryItems: page.categoryItems,
    pagePopular: page.popular,
    complements,
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
        ? { ...embedding, dim: embeddingModel.dim, backend: embeddingModel.info.backend, fitSeconds: embeddingModel.info.fitSeconds }
        : embedding,
      tuning: {
        kind: tuning.kind,
        cases: tuning.cases,
        folds: tuning.folds,
        before: tuning.before,
        after: tuning.after,
        seconds: tuning.seconds,
      },
      exclude,
      highValueThreshold: Number.isFinite(segments.highValueThreshold) ? segments.highValueThreshold : null,
      events: ds.nEvents,
    },
  };

  const neighbours = similar.indptr[ds.nItems];
  const metrics: VersionMetrics = {
    users: ds.nUsers,
    items: ds.nItems,
    events: ds.nEvents,
    matrixEntries: fitted.ui.indptr[fitted.ui.nRows],
    neighboursPerItem: ds.nItems > 0 ? neighbours / ds.nItems : 0,
    itemsWithNeighbours: countRows(similar.indptr),
    segments: segments.sizes,
  };

  const users = function* (): Iterable<[string, UserRecommendations]> {
    const ranker = new Ranker(model); // only when iterated (the artifacts use packedLists)
    for (let u = 0; u < ds.nUsers; u++) {
      yield [
        ds.userIds[u],
        userRecommendations(ds, ranker, model.favourites, segments.codes, u, policy.training.topN, exclude, segments.features),
      ];
    }
  };

  const packedLists = () => packedUserLists(ds, model, { topN: policy.training.topN, exclude, features: segments.features });

  return {
    meta,
    users,
    packedLists,
    segmentRows: function* () {
      for (let u = 0; u < ds.nUsers; u++) yield [ds.userIds[u], SEGMENTS[segments.codes[u]]] as const;
    },
    segmentOf: (userId) => {
      const u = ds.userIndex.get(userId);
      return u === undefined ? 'new' : SEGMENTS[segments.codes[u]];
    },
    metrics,
    timings: { ...fitted.timings, tuning: tuning.seconds, embedding: embedding.seconds + (embeddingModel?.info.fitSeconds ?? 0) },
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
