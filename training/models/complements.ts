/**
 * Complements for the cart: b complements a when a shopper who carted or bought a bought b within
 * `windowHours` of it (either order: the same visit, or shortly after). Per item, its complements by
 * the number of shoppers pairing them, best first; the cart's ranking leaves out the cart items' own categories (substitutes).
 */
import type { Csr } from '../../src/contracts/versionMeta';
import { type Dataset, TYPE_CART, TYPE_PURCHASE } from '../data/dataset';
import { TopK } from '../data/topk';
import { forEachPairCount } from './coview';

/** A heavy buyer's last this many cart and purchase events pair up (bounds the quadratic pairs). */
const MAX_USER_EVENTS = 200;

export function fitComplements(ds: Dataset, windowHours: number, k: number): Csr {
  const window = windowHours * 3600 * 1000;
  const n = ds.nItems;
  const collect = (visit: (a: number, b: number) => void) => {
    for (let u = 0; u < ds.nUsers; u++) {
      const evs: number[] = [];
      for (let e = ds.userStart[u + 1] - 1; e >= ds.userStart[u] && evs.length < MAX_USER_EVENTS; e--) {
        if (ds.evType[e] === TYPE_CART || ds.evType[e] === TYPE_PURCHASE) evs.push(e);
      }
      // A pair counts once per shopper, however often they carted or bought the two.
      const paired = new Set<number>();
      for (const x of evs) {
        if (ds.evType[x] !== TYPE_PURCHASE) continue;
        for (const y of evs) {
          const a = ds.evItem[y];
          const b = ds.evItem[x];
          if (a === b || Math.abs(ds.evTs[x] - ds.evTs[y]) > window) continue;
          const key = a * n + b;
          if (paired.has(key)) continue;
          paired.add(key);
          visit(a, b);
        }
      }
    }
  };
  let pairs = 0;
  collect(() => pairs++);
  const keys = new Float64Array(pairs);
  let p = 0;
  collect((a, b) => (keys[p++] = a * n + b));
  const indptr = new Int32Array(n + 1);
  const indices: number[] = [];
  const scores: number[] = [];
  let row = -1;
  const top = new TopK(k, ds.itemOrder);
  const flushRow = () => {
    if (row < 0) return;
    const { ids, scores: s } = top.drain();
    for (let r = 0; r < ids.length; r++) {
      indices.push(ids[r]);
      scores.push(s[r]);
    }
    indptr[row + 1] = indices.length;
  };
  // drain() empties the heap: one serves every row.
  forEachPairCount(keys, n, (a, b, count) => {
    if (a !== row) {
      flushRow();
      for (let r = row + 1; r < a; r++) indptr[r + 1] = indices.length;
      row = a;
    }
    top.push(b, count);
  });
  flushRow();
  for (let r = row + 1; r < n; r++) indptr[r + 1] = indices.length;
  return { indptr, indices: Int32Array.from(indices), scores: Float32Array.from(scores) };
}
