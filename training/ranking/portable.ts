/**
 * A fitted ranking model as plain data on shared memory, for the worker threads: typed arrays on
 * SharedArrayBuffers (copied once per source array), the dataset without its id dictionaries.
 * Workers rank with the same Ranker, so their lists equal the main thread's.
 */
import type { Dataset } from '../data/dataset';
import { PARALLEL_THRESHOLDS, type SharedTyped, toShared, trainThreads } from '../parallel/pool';
import type { RankModel } from './ranker';

/** Whether ranking `model` may use workers: threads > 1, large data, and no closure sources (they cannot cross threads). */
export function parallelRanking(model: RankModel, threads = trainThreads()): boolean {
  return threads > 1 && model.ds.nEvents >= PARALLEL_THRESHOLDS.rankEvents && !(model.sources && model.sources.length);
}

/** Shared copies, one per source array (so a dataset or model sent repeatedly is copied once). */
const sharedCopies = new WeakMap<object, SharedTyped>();

function share<T extends SharedTyped>(a: T): T {
  let s = sharedCopies.get(a) as T | undefined;
  if (!s) {
    s = toShared(a);
    sharedCopies.set(a, s);
  }
  return s;
}

/** Replaces every typed array in plain objects / arrays by its shared copy. */
export function shareDeep<T>(v: T): T {
  if (ArrayBuffer.isView(v)) return share(v as unknown as SharedTyped) as unknown as T;
  if (Array.isArray(v)) return v.map(shareDeep) as unknown as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = shareDeep(x);
    return out as T;
  }
  return v;
}

/** What ranking reads of a dataset (no id strings or dictionaries: those stay on the main thread). */
function portableDataset(ds: Dataset): Dataset {
  return shareDeep({
    ...ds,
    userIds: [],
    itemIds: [],
    userIndex: new Map(),
    itemIndex: new Map(),
    evUser: new Int32Array(0),
  });
}

export type PortableModel = Omit<RankModel, 'sources'>;

const portableCache = new WeakMap<Dataset, Dataset>();

export function portableModel(model: RankModel): PortableModel {
  let ds = portableCache.get(model.ds);
  if (!ds) {
    ds = portableDataset(model.ds);
    portableCache.set(model.ds, ds);
  }
  const { ds: _ds, sources: _sources, ...rest } = model;
  return { ...shareDeep(rest), ds };
}
