/**
 * Per-user ranking on worker threads: scoring evaluation/validation cases (tuning's many settings,
 * the holdout) and computing every user's packed list for the artifacts. The workers get the
 * fitted model as shared typed arrays (the dataset without its id dictionaries) and rank with the
 * same Ranker, so every user's list is exactly the single-threaded one; evaluation sums the per-case
 * ranks in case order on the main thread, so metrics are bit-identical too.
 *
 * Used only at scale (PARALLEL_THRESHOLDS.rankEvents events and more: the bundled samples,
 * ml-100k and the Taobao sample rank on the main thread) and when the model has no
 * extra candidate sources (the embedding source lives in TF.js memory of the main thread).
 */
import type { Dataset } from '../data/dataset';
import type { ExcludeMode, RankModel } from './ranker';
import { Ranker } from './ranker';
import type { Split, TestCase } from '../job/evaluate';
import { Scorer } from '../evaluation/metrics';
import { encodeUserRecommendations } from '../../src/model/packedList';
import type { UserFeatures } from '../models/segments';
import { PARALLEL_THRESHOLDS, parallelForSync, runOnWorker, sharedArray, SharedTyped, toShared, trainThreads } from '../parallel/pool';
import { ExclusionMode, userRecommendations } from './userLists';

/** Cases per chunk when scoring. */
const CASE_CHUNK = 256;

/** Whether ranking `model` may use workers (threads > 1, large data, no extra sources). */
export function parallelRanking(model: RankModel, threads = trainThreads()): boolean {
  return threads > 1 && model.ds.nEvents >= PARALLEL_THRESHOLDS.rankEvents && !(model.sources && model.sources.length);
}

// ---------------------------------------------------------------------------------------------
// The model as plain data on shared memory.

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
function shareDeep<T>(v: T): T {
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

type PortableModel = Omit<RankModel, 'sources'>;

const portableCache = new WeakMap<Dataset, Dataset>();

function portableModel(model: RankModel): PortableModel {
  let ds = portableCache.get(model.ds);
  if (!ds) {
    ds = portableDataset(model.ds);
    portableCache.set(model.ds, ds);
  }
  const { ds: _ds, sources: _sources, ...rest } = model;
  return { ...shareDeep(rest), ds };
}

// ---------------------------------------------------------------------------------------------
// Evaluation cases.

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
export function scoreCases(split: Split, model: RankModel, k: number, fill = true): { hr10: number; ndcg10: number; hr20: number; ndcg20: number } {
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

// ---------------------------------------------------------------------------------------------
// Per-user lists.

export interface UserListsData {
  /** Identifies the model: a worker keeps one Ranker per key across requests. */
  key: string;
  model: PortableModel;
  features?: UserFeatures;
  topN: number;
  exclusion: ExclusionMode;
  from: number;
  to: number;
}

let cached: { key: string; ranker: Ranker } | undefined;

/** Packs users [from, to): the concatenated packed lists and their end offsets. */
function packUsers(ranker: Ranker, d: Omit<UserListsData, 'key' | 'model'>): { bytes: Uint8Array; ends: Int32Array } {
  const m = ranker.model;
  const parts: Buffer[] = [];
  const ends = new Int32Array(d.to - d.from);
  let total = 0;
  for (let u = d.from; u < d.to; u++) {
    const packed = encodeUserRecommendations(userRecommendations(m.ds, ranker, m.favourites, m.segments, u, d.topN, d.exclusion, d.features));
    parts.push(packed);
    total += packed.length;
    ends[u - d.from] = total;
  }
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return { bytes, ends };
}

export function userListsJob(d: UserListsData): { value: { bytes: Uint8Array; ends: Int32Array }; transfer: ArrayBuffer[] } {
  if (!cached || cached.key !== d.key) cached = { key: d.key, ranker: new Ranker(d.model) };
  const value = packUsers(cached.ranker, d);
  return { value, transfer: [value.bytes.buffer as ArrayBuffer, value.ends.buffer as ArrayBuffer] };
}

let listRuns = 0;

/**
 * Every user's packed list in user order, in chunks computed by the workers and the main thread
 * (see assign and computeNext), so output order and bytes equal the sequential encoding of
 * userRecommendations.
 */
export async function* packedUserLists(
  ds: Dataset,
  model: RankModel,
  opts: { topN: number; exclusion: ExclusionMode; features?: UserFeatures },
  threads = trainThreads(),
): AsyncGenerator<Array<[string, Buffer]>> {
  const local = new Ranker(model);
  const USER_CHUNK = Math.max(1, PARALLEL_THRESHOLDS.userChunk);
  const nChunks = Math.ceil(ds.nUsers / USER_CHUNK);
  const nWorkers = parallelRanking(model, threads) ? Math.min(threads - 1, nChunks - 1) : 0;
  const team = nWorkers + 1;
  const key = `lists-${++listRuns}`; // the workers are this process's threads
  const pm = nWorkers > 0 ? portableModel(model) : undefined;
  const features = nWorkers > 0 && opts.features ? shareDeep(opts.features) : opts.features;
  // Chunks are handed out in order: a worker with fewer than IN_FLIGHT requests takes the next one;
  // the main thread computes the next one itself whenever the chunk it must write next is still on a
  // worker (and the one it reaches unassigned). At most LOOKAHEAD chunks are held ahead. Output is
  // consumed in chunk order, so it is the same whoever computed what.
  type Packed = { bytes: Uint8Array; ends: Int32Array };
  const IN_FLIGHT = 2;
  const LOOKAHEAD = 4 * team;
  const results = new Map<number, Packed | Promise<Packed>>();
  const ready = new Set<number>();
  const busy = new Array<number>(nWorkers).fill(0);
  let next = 0;
  const computeNext = () => {
    const from = next * USER_CHUNK;
    results.set(next++, packUsers(local, { topN: opts.topN, exclusion: opts.exclusion, features: opts.features, from, to: Math.min(ds.nUsers, from + USER_CHUNK) }));
  };
  const assign = (c: number) => {
    while (next < nChunks && next < c + LOOKAHEAD) {
      const w = busy.findIndex((n) => n < IN_FLIGHT);
      if (w < 0) return;
      const chunk = next++;
      const from = chunk * USER_CHUNK;
      const data: UserListsData = { key, model: pm!, features, topN: opts.topN, exclusion: opts.exclusion, from, to: Math.min(ds.nUsers, from + USER_CHUNK) };
      busy[w]++;
      const p = runOnWorker<Packed>(w, nWorkers, 'user-lists', data);
      const settle = () => {
        busy[w]--;
        ready.add(chunk);
      };
      p.then(settle, settle);
      results.set(chunk, p);
    }
  };
  for (let c = 0; c < nChunks; c++) {
    for (;;) {
      if (nWorkers > 0) assign(c);
      if (!results.has(c)) {
        computeNext(); // next === c: every chunk before `next` is assigned or computed
        break;
      }
      if (!(results.get(c) instanceof Promise) || ready.has(c)) break;
      if (next < nChunks && next < c + LOOKAHEAD) {
        computeNext();
        await new Promise<void>((resolve) => setImmediate(resolve)); // lets worker replies in
      } else {
        await (results.get(c) as Promise<Packed>).catch(() => undefined);
      }
    }
    if (nWorkers > 0) assign(c);
    const from = c * USER_CHUNK;
    const to = Math.min(ds.nUsers, from + USER_CHUNK);
    const out = await results.get(c)!;
    results.delete(c);
    ready.delete(c);
    const bytes = Buffer.from(out.bytes.buffer, out.bytes.byteOffset, out.bytes.byteLength);
    const chunk: Array<[string, Buffer]> = new Array(to - from);
    let start = 0;
    for (let u = from; u < to; u++) {
      const end = out.ends[u - from];
      chunk[u - from] = [ds.userIds[u], bytes.subarray(start, end)];
      start = end;
    }
    yield chunk;
  }
}
