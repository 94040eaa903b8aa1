/**
 * Every user's packed list for the artifacts, computed by the worker threads and the main thread
 * at scale. Workers get the fitted model as shared typed arrays (ranking/portable.ts) and rank with
 * the same Ranker, so every user's list is exactly the single-threaded one.
 */
import type { Dataset } from '../data/dataset';
import { encodeUserRecommendations } from '../../src/contracts/packedList';
import type { UserFeatures } from '../models/segments';
import { PARALLEL_THRESHOLDS, runOnWorker, trainThreads } from '../parallel/pool';
import { parallelRanking, type PortableModel, portableModel, shareDeep } from './portable';
import { Ranker } from './ranker';
import type { ExcludeMode, RankModel } from './ranker';
import { userRecommendations } from './userLists';

export interface UserListsData {
  /** Identifies the model: a worker keeps one Ranker per key across requests. */
  key: string;
  model: PortableModel;
  features?: UserFeatures;
  topN: number;
  exclude: ExcludeMode;
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
    const packed = encodeUserRecommendations(userRecommendations(m.ds, ranker, m.favourites, m.segments, u, d.topN, d.exclude, d.features));
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
  opts: { topN: number; exclude: ExcludeMode; features?: UserFeatures },
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
    results.set(
      next++,
      packUsers(local, {
        topN: opts.topN,
        exclude: opts.exclude,
        features: opts.features,
        from,
        to: Math.min(ds.nUsers, from + USER_CHUNK),
      }),
    );
  };
  const assign = (c: number) => {
    while (next < nChunks && next < c + LOOKAHEAD) {
      const w = busy.findIndex((n) => n < IN_FLIGHT);
      if (w < 0) return;
      const chunk = next++;
      const from = chunk * USER_CHUNK;
      const data: UserListsData = {
        key,
        model: pm!,
        features,
        topN: opts.topN,
        exclude: opts.exclude,
        from,
        to: Math.min(ds.nUsers, from + USER_CHUNK),
      };
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
