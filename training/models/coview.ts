/**
 * Session co-views: coview(a, b) is the number of sessions (a shopper's events split at gaps over
 * 30 minutes) that touch both a and b. What a shopper looks at next on a product page is most often
 * something others looked at in the same visit. Pairs are counted by sorting packed pair keys, so
 * memory and time stay linear in the pairs (bounded per session by maxSessionItems).
 */
import type { Csr } from '../../src/contracts/versionMeta';
import type { Dataset } from '../data/dataset';

export interface CoviewOptions {
  /** A session ends at a gap longer than this (ms). */
  gapMs: number;
  /** Distinct items of one session that pair up (its first ones); bounds the quadratic pairs. */
  maxSessionItems: number;
}

export const DEFAULT_COVIEW: CoviewOptions = { gapMs: 1800 * 1000, maxSessionItems: 200 };

/**
 * Calls `visit` with each session's distinct items in first-touch order (at most maxSessionItems),
 * sessions being a shopper's events split at gaps over gapMs. The array is reused between calls.
 */
export function forEachSession(ds: Dataset, opts: CoviewOptions, visit: (items: number[]) => void): void {
  const seen = new Int32Array(ds.nItems).fill(-1);
  let stamp = 0;
  const distinct: number[] = [];
  for (let u = 0; u < ds.nUsers; u++) {
    const a = ds.userStart[u];
    const b = ds.userStart[u + 1];
    distinct.length = 0;
    stamp++;
    for (let k = a; k < b; k++) {
      if (k > a && ds.evTs[k] - ds.evTs[k - 1] > opts.gapMs) {
        visit(distinct);
        distinct.length = 0;
        stamp++;
      }
      const it = ds.evItem[k];
      if (seen[it] !== stamp) {
        seen[it] = stamp;
        if (distinct.length < opts.maxSessionItems) distinct.push(it);
      }
    }
    if (distinct.length) visit(distinct);
  }
}

/** Every item's co-viewed items with their counts, rows sorted by item index (not by count). */
export function sessionCoviews(ds: Dataset, opts: CoviewOptions = DEFAULT_COVIEW): Csr {
  const n = ds.nItems;
  // Pass 1: count the pairs, to size the key array.
  let pairs = 0;
  forEachSession(ds, opts, (items) => {
    pairs += items.length * (items.length - 1);
  });
  // Pass 2: both directions of every pair as a key a * n + b (exact in a double below 2^53).
  const keys = new Float64Array(pairs);
  let p = 0;
  forEachSession(ds, opts, (items) => {
    for (let x = 0; x < items.length; x++) {
      for (let y = 0; y < items.length; y++) if (x !== y) keys[p++] = items[x] * n + items[y];
    }
  });
  const indptr = new Int32Array(n + 1);
  const indices: number[] = [];
  const scores: number[] = [];
  forEachPairCount(keys, n, (a, b, count) => {
    indices.push(b);
    scores.push(count);
    indptr[a + 1]++;
  });
  for (let a = 0; a < n; a++) indptr[a + 1] += indptr[a];
  return { indptr, indices: Int32Array.from(indices), scores: Float32Array.from(scores) };
}

/**
 * Sorts pair keys a * n + b and calls `visit` once per distinct pair with how often it occurs, in
 * (a, b) order: counting pairs this way keeps memory linear in the pairs.
 */
export function forEachPairCount(keys: Float64Array, n: number, visit: (a: number, b: number, count: number) => void): void {
  keys.sort();
  for (let x = 0; x < keys.length; ) {
    let y = x + 1;
    while (y < keys.length && keys[y] === keys[x]) y++;
    const a = Math.floor(keys[x] / n);
    visit(a, keys[x] - a * n, y - x);
    x = y;
  }
}
