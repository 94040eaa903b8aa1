/**
 * Popularity-based lists: the fallbacks every answer ends with (SPEC: never an empty list).
 * Unavailable items are never listed; every list is at most policy.training.fallbackListSize long.
 */
import { type Segment, SEGMENTS } from '../../src/domain/types';
import type { Policy } from '../../src/config/policy';
import type { Csr } from '../../src/contracts/versionMeta';
import { type Dataset, DAY_MS, TYPE_PURCHASE, type WeightedCsr } from '../data/dataset';
import { TopK } from '../data/topk';

/** Best-converting needs this many distinct viewers before its rate is trusted. */
export const MIN_CONVERSION_VIEWERS = 5;
/** Beta prior strength (in viewers) pulling conversion rates towards the global rate. */
export const CONVERSION_PRIOR = 20;

export interface Popularity {
  /** Per item: sum over users of their (decayed, weighted) interaction with it. */
  score: Float64Array;
  /** Every available item with a positive score, best first (ties: item id order). */
  order: Int32Array;
}

/** Column sums of the user-item matrix: users count once per item, recent and strong count more. */
export function itemPopularity(ds: Dataset, ui: WeightedCsr): Popularity {
  const score = new Float64Array(ds.nItems);
  const nnz = ui.indptr[ui.nRows];
  for (let p = 0; p < nnz; p++) score[ui.indices[p]] += ui.data[p];
  return { score, order: rankItems(ds, score, ds.nItems) };
}

/** Available items with score > 0, best first, at most `limit` (O(n log limit)). */
export function rankItems(ds: Dataset, score: ArrayLike<number>, limit: number, subset?: ArrayLike<number>): Int32Array {
  const heap = new TopK(Math.max(0, limit), ds.itemOrder);
  const n = subset ? subset.length : ds.nItems;
  for (let x = 0; x < n; x++) {
    const i = subset ? subset[x] : x;
    if (ds.itemAvailable[i] && score[i] > 0) heap.push(i, score[i]);
  }
  return heap.drain().ids;
}

export interface FallbackLists {
  lists: Record<string, Int32Array>;
  categoryLists: Record<string, Csr>;
  segmentLists: Partial<Record<Segment, Int32Array>>;
  /** Per-item facts used to build the lists, for debugging. */
  trendingScore: Float64Array;
  conversion: Float64Array;
}

/**
 * Builds every fallback list of a version. `ui` is the decayed weighted user-item matrix,
 * `segmentCodes` the users' segment codes (index into SEGMENTS).
 */
export function buildFallbackLists(ds: Dataset, policy: Policy, ui: WeightedCsr, pop: Popularity, segmentCodes: Uint8Array): FallbackLists {
  const L = policy.training.fallbackListSize;
  const trendingScore = trending(ds, policy);
  const conversion = bestConverting(ds);
  const lists: Record<string, Int32Array> = {
    popular: pop.order.slice(0, L),
    trending: rankItems(ds, trendingScore, L),
    best_converting: rankItems(ds, conversion, L),
    new_arrivals: newArrivals(ds, policy, pop.score, L),
  };

  const categoryLists: Record<string, Csr> = { category_popular: perCategory(ds, pop.score, L) };
  const segmentLists: Partial<Record<Segment, Int32Array>> = {};
  // Popularity among each segment's users: one pass over the matrix into one row per segment.
  const bySegment = SEGMENTS.map(() => new Float64Array(ds.nItems));
  for (let u = 0; u < ui.nRows; u++) {
    const acc = bySegment[segmentCodes[u]];
    for (let p = ui.indptr[u]; p < ui.indptr[u + 1]; p++) acc[ui.indices[p]] += ui.data[p];
  }
  SEGMENTS.forEach((s, code) => {
    segmentLists[s] = rankItems(ds, bySegment[code], L);
    categoryLists[`segment:${s}`] = perCategory(ds, bySegment[code], L);
  });
  return { lists, categoryLists, segmentLists, trendingScore, conversion };
}

/**
 * Gain of distinct users in the last trendingWindowDays over the item's earlier per-window rate:
 * (recent - expected) / sqrt(expected + 1), so a jump from nothing beats steady popularity but
 * one extra visitor on a quiet item does not beat a real surge.
 */
export function trending(ds: Dataset, policy: Policy): Float64Array {
  const win = policy.training.trendingWindowDays * DAY_MS;
  const cut = ds.now - win;
  let first = Infinity;
  for (let k = 0; k < ds.nEvents; k++) if (ds.evTs[k] < first) first = ds.evTs[k];
  const priorSpan = Math.max(win, cut - first);
  const recent = new Float64Array(ds.nItems);
  const prior = new Float64Array(ds.nItems);
  const lastRecent = new Int32Array(ds.nItems).fill(-1);
  const lastPrior = new Int32Array(ds.nItems).fill(-1);
  for (let u = 0; u < ds.nUsers; u++) {
    for (let k = ds.userStart[u]; k < ds.userStart[u + 1]; k++) {
      const it = ds.evItem[k];
      if (ds.evTs[k] >= cut) {
        if (lastRecent[it] !== u) {
          lastRecent[it] = u;
          recent[it]++;
        }
      } else if (lastPrior[it] !== u) {
        lastPrior[it] = u;
        prior[it]++;
      }
    }
  }
  const out = new Float64Array(ds.nItems);
  const scale = win / priorSpan;
  for (let i = 0; i < ds.nItems; i++) {
    if (recent[i] === 0) continue;
    const expected = prior[i] * scale;
    out[i] = Math.max(0, (recent[i] - expected) / Math.sqrt(expected + 1));
  }
  return out;
}

/** Smoothed buyers / viewers (distinct users), only for items with enough viewers and a buyer. */
export function bestConverting(ds: Dataset): Float64Array {
  const viewers = new Float64Array(ds.nItems);
  const buyers = new Float64Array(ds.nItems);
  const lastV = new Int32Array(ds.nItems).fill(-1);
  const lastB = new Int32Array(ds.nItems).fill(-1);
  for (let u = 0; u < ds.nUsers; u++) {
    for (let k = ds.userStart[u]; k < ds.userStart[u + 1]; k++) {
      const it = ds.evItem[k];
      if (lastV[it] !== u) {
        lastV[it] = u;
        viewers[it]++;
      }
      if (ds.evType[k] === TYPE_PURCHASE && lastB[it] !== u) {
        lastB[it] = u;
        buyers[it]++;
      }
    }
  }
  let tv = 0;
  let tb = 0;
  for (let i = 0; i < ds.nItems; i++) {
    tv += viewers[i];
    tb += buyers[i];
  }
  const g = tv > 0 ? tb / tv : 0;
  const out = new Float64Array(ds.nItems);
  for (let i = 0; i < ds.nItems; i++) {
    if (viewers[i] >= MIN_CONVERSION_VIEWERS && buyers[i] > 0) {
      out[i] = (buyers[i] + CONVERSION_PRIOR * g) / (viewers[i] + CONVERSION_PRIOR);
    }
  }
  return out;
}

/** Items created (catalogue createdAt, else first seen) within newArrivalDays of now, newest first. */
export function newArrivals(ds: Dataset, policy: Policy, popScore: Float64Array, limit: number): Int32Array {
  const since = ds.now - policy.training.newArrivalDays * DAY_MS;
  const items: number[] = [];
  const born = new Float64Array(ds.nItems);
  for (let i = 0; i < ds.nItems; i++) {
    const t = Number.isFinite(ds.itemCreatedAt[i]) ? ds.itemCreatedAt[i] : ds.itemFirstSeen[i];
    born[i] = t;
    if (ds.itemAvailable[i] && Number.isFinite(t) && t >= since) items.push(i);
  }
  items.sort((a, b) => born[b] - born[a] || popScore[b] - popScore[a] || ds.itemOrder[a] - ds.itemOrder[b]);
  return Int32Array.from(items.slice(0, limit));
}

/** One row per category: its available items by `score`, best first, at most `limit`. */
export function perCategory(ds: Dataset, score: Float64Array, limit: number): Csr {
  const nCat = ds.categories.length;
  const count = new Int32Array(nCat + 1);
  for (let i = 0; i < ds.nItems; i++) {
    const c = ds.itemCategory[i];
    if (c >= 0 && ds.itemAvailable[i] && score[i] > 0) count[c + 1]++;
  }
  for (let c = 0; c < nCat; c++) count[c + 1] += count[c];
  const members = new Int32Array(count[nCat]);
  const cursor = count.slice(0, nCat);
  for (let i = 0; i < ds.nItems; i++) {
    const c = ds.itemCategory[i];
    if (c >= 0 && ds.itemAvailable[i] && score[i] > 0) members[cursor[c]++] = i;
  }
  const indptr = new Int32Array(nCat + 1);
  const rows: Int32Array[] = [];
  for (let c = 0; c < nCat; c++) {
    const row = rankItems(ds, score, limit, members.subarray(count[c], count[c + 1]));
    rows.push(row);
    indptr[c + 1] = indptr[c] + row.length;
  }
  const indices = new Int32Array(indptr[nCat]);
  const scores = new Float32Array(indptr[nCat]);
  rows.forEach((row, c) => {
    indices.set(row, indptr[c]);
    for (let x = 0; x < row.length; x++) scores[indptr[c] + x] = score[row[x]];
  });
  return { indptr, indices, scores };
}
