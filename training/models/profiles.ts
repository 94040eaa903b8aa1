/**
 * The playbook's shopper portrait, per user: price band (the median price of what they bought or
 * carted against the catalogue's price terciles), purchase cadence (median days between
 * purchases) and the event type they do most. Favourite categories and lifecycle age come from
 * segments.ts (favourites, first seen).
 */
import { PRICE_BANDS } from '../../src/domain/types';
import { type Dataset, DAY_MS, TYPE_CART, TYPE_PURCHASE } from '../data/dataset';

export interface UserProfiles {
  /** 0 unknown (no priced purchase or cart), else 1 + index into PRICE_BANDS. */
  priceBand: Uint8Array;
  /** Median days between consecutive purchases; NaN with fewer than two. */
  cadenceDays: Float32Array;
  /** The most frequent event type (code; ties go to the stronger type). */
  dominantType: Uint8Array;
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const m = values.length >> 1;
  return values.length % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

export function userProfiles(ds: Dataset): UserProfiles {
  const n = ds.nUsers;
  const priceBand = new Uint8Array(n);
  const cadenceDays = new Float32Array(n).fill(NaN);
  const dominantType = new Uint8Array(n);
  const priced: number[] = [];
  for (let i = 0; i < ds.nItems; i++) if (Number.isFinite(ds.itemPrice[i])) priced.push(ds.itemPrice[i]);
  priced.sort((a, b) => a - b);
  const lowUpTo = priced.length ? priced[Math.floor(priced.length / 3)] : NaN;
  const midUpTo = priced.length ? priced[Math.floor((2 * priced.length) / 3)] : NaN;
  const counts = new Int32Array(4);
  const prices: number[] = [];
  const buys: number[] = [];
  for (let u = 0; u < n; u++) {
    counts.fill(0);
    prices.length = 0;
    buys.length = 0;
    for (let k = ds.userStart[u]; k < ds.userStart[u + 1]; k++) {
      const type = ds.evType[k];
      counts[type]++;
      if (type === TYPE_PURCHASE || type === TYPE_CART) {
        const p = ds.itemPrice[ds.evItem[k]];
        if (Number.isFinite(p)) prices.push(p);
      }
      if (type === TYPE_PURCHASE && (buys.length === 0 || ds.evTs[k] > buys[buys.length - 1])) buys.push(ds.evTs[k]);
    }
    let best = 0;
    for (let t = 1; t < 4; t++) if (counts[t] >= counts[best]) best = t;
    dominantType[u] = best;
    if (prices.length) {
      const p = median(prices);
      priceBand[u] = 1 + (p <= lowUpTo ? 0 : p <= midUpTo ? 1 : 2);
    }
    if (buys.length >= 2) {
      const gaps: number[] = [];
      for (let x = 1; x < buys.length; x++) gaps.push((buys[x] - buys[x - 1]) / DAY_MS);
      cadenceDays[u] = median(gaps);
    }
  }
  return { priceBand, cadenceDays, dominantType };
}

export function priceBandName(code: number): (typeof PRICE_BANDS)[number] | null {
  return code > 0 ? PRICE_BANDS[code - 1] : null;
}
