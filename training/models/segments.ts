/**
 * Lifecycle segments (SPEC order, first match wins: new, churned, at_risk, high_value, paying,
 * active) from each user's own history, with "now" taken from the dataset, plus the features
 * behind each decision (for /debug) and each user's favourite categories.
 */
import { type Segment, SEGMENTS } from '../../src/domain/types';
import type { Policy } from '../../src/config/policy';
import { compareIds, type Dataset, DAY_MS, TYPE_PURCHASE } from '../data/dataset';
import { userProfiles, type UserProfiles } from './profiles';

export interface UserFeatures {
  firstSeen: Float64Array;
  lastSeen: Float64Array;
  distinctItems: Int32Array;
  purchases: Int32Array;
  /** Timestamp of the last purchase, NaN without purchases. */
  lastPurchase: Float64Array;
  /** Sum of prices of purchases when prices are known, else the purchase count. */
  monetary: Float64Array;
  /** Mean of recency, frequency and monetary percentiles among purchasers (0..1); NaN otherwise. */
  rfm: Float32Array;
  /** The shopper's portrait (price band, purchase cadence, dominant event type). */
  profiles: UserProfiles;
}

export interface SegmentResult {
  /** Segment code per user: index into SEGMENTS. */
  codes: Uint8Array;
  features: UserFeatures;
  sizes: Record<Segment, number>;
  /** RFM score a purchaser needs to be high_value (Infinity when nobody qualifies). */
  highValueThreshold: number;
}

export function segmentName(code: number): Segment {
  return SEGMENTS[code];
}

export function userFeatures(ds: Dataset): UserFeatures {
  const n = ds.nUsers;
  const firstSeen = new Float64Array(n).fill(NaN);
  const lastSeen = new Float64Array(n).fill(NaN);
  const distinctItems = new Int32Array(n);
  const purchases = new Int32Array(n);
  const lastPurchase = new Float64Array(n).fill(NaN);
  const monetary = new Float64Array(n);
  const rfm = new Float32Array(n).fill(NaN);

  // Prices are used when the catalogue knows some; unknown ones then count as the median price.
  const known: number[] = [];
  for (let i = 0; i < ds.nItems; i++) if (Number.isFinite(ds.itemPrice[i])) known.push(ds.itemPrice[i]);
  known.sort((a, b) => a - b);
  const usePrices = known.length > 0;
  const medianPrice = usePrices ? known[known.length >> 1] : 1;

  const mark = new Int32Array(ds.nItems).fill(-1);
  for (let u = 0; u < n; u++) {
    const a = ds.userStart[u];
    const b = ds.userStart[u + 1];
    if (a === b) continue;
    firstSeen[u] = ds.evTs[a];
    lastSeen[u] = ds.evTs[b - 1];
    for (let k = a; k < b; k++) {
      const it = ds.evItem[k];
      if (mark[it] !== u) {
        mark[it] = u;
        distinctItems[u]++;
      }
      if (ds.evType[k] === TYPE_PURCHASE) {
        purchases[u]++;
        lastPurchase[u] = ds.evTs[k];
        const p = ds.itemPrice[it];
        monetary[u] += usePrices ? (Number.isFinite(p) ? p : medianPrice) : 1;
      }
    }
  }

  const buyers: number[] = [];
  for (let u = 0; u < n; u++) if (purchases[u] > 0) buyers.push(u);
  if (buyers.length > 0) {
    const r = percentiles(buyers, lastPurchase);
    const f = percentiles(buyers, purchases);
    const m = percentiles(buyers, monetary);
    buyers.forEach((u, x) => (rfm[u] = (r[x] + f[x] + m[x]) / 3));
  }
  return { firstSeen, lastSeen, distinctItems, purchases, lastPurchase, monetary, rfm, profiles: userProfiles(ds) };
}

/** Percentile (0..1, higher value = higher percentile) of each listed user's value; ties share the mean rank. */
function percentiles(users: number[], values: ArrayLike<number>): Float64Array {
  const n = users.length;
  const order = users.map((_, x) => x).sort((a, b) => values[users[a]] - values[users[b]]);
  const out = new Float64Array(n);
  let s = 0;
  while (s < n) {
    let e = s;
    while (e + 1 < n && values[users[order[e + 1]]] === values[users[order[s]]]) e++;
    const p = n === 1 ? 1 : (s + e) / 2 / (n - 1);
    for (let x = s; x <= e; x++) out[order[x]] = p;
    s = e + 1;
  }
  return out;
}

export function computeSegments(ds: Dataset, policy: Policy, features: UserFeatures = userFeatures(ds)): SegmentResult {
  const cfg = policy.segments;
  const now = ds.now;
  const codes = new Uint8Array(ds.nUsers);
  const sizes = Object.fromEntries(SEGMENTS.map((s) => [s, 0])) as Record<Segment, number>;

  // high_value: top fraction of purchasers by RFM; equal scores ordered by user id for determinism.
  const buyers: number[] = [];
  for (let u = 0; u < ds.nUsers; u++) if (features.purchases[u] > 0) buyers.push(u);
  buyers.sort((a, b) => features.rfm[b] - features.rfm[a] || compareIds(ds.userIds[a], ds.userIds[b]));
  const nHigh = Math.min(buyers.length, Math.ceil(cfg.highValueTopFraction * buyers.length - 1e-9));
  const highValue = new Uint8Array(ds.nUsers);
  for (let x = 0; x < nHigh; x++) highValue[buyers[x]] = 1;
  const highValueThreshold = nHigh > 0 ? features.rfm[buyers[nHigh - 1]] : Infinity;

  for (let u = 0; u < ds.nUsers; u++) {
    let s: Segment;
    const first = features.firstSeen[u];
    const last = features.lastSeen[u];
    const skipNew = cfg.purchasersSkipNew && features.purchases[u] > 0;
    if (!Number.isFinite(first) || (!skipNew && (now - first < cfg.newMaxAgeDays * DAY_MS || features.distinctItems[u] < cfg.newMinDistinctItems))) {
      s = 'new';
    } else if (now - last > cfg.churnedAfterDays * DAY_MS) s = 'churned';
    else if (now - last > cfg.atRiskAfterDays * DAY_MS) s = 'at_risk';
    else if (highValue[u]) s = 'high_value';
    else if (features.purchases[u] > 0) s = 'paying';
    else s = 'active';
    codes[u] = SEGMENTS.indexOf(s);
    sizes[s]++;
  }
  return { codes, features, sizes, highValueThreshold };
}

/**
 * Each user's favourite categories: the `k` categories with the largest summed event weight
 * (policy weight x decay, as given), best first. Rows of indptr/indices.
 */
export function favouriteCategories(ds: Dataset, weights: Float32Array, k = 3): { indptr: Int32Array; indices: Int32Array } {
  const nCat = ds.categories.length;
  const acc = new Float64Array(nCat);
  const touched: number[] = [];
  const indptr = new Int32Array(ds.nUsers + 1);
  const out: number[] = [];
  for (let u = 0; u < ds.nUsers; u++) {
    touched.length = 0;
    for (let e = ds.userStart[u]; e < ds.userStart[u + 1]; e++) {
      const c = ds.itemCategory[ds.evItem[e]];
      if (c < 0) continue;
      if (acc[c] === 0) touched.push(c);
      acc[c] += weights[e] > 0 ? weights[e] : 1e-12;
    }
    touched.sort((a, b) => acc[b] - acc[a] || a - b);
    for (let x = 0; x < Math.min(k, touched.length); x++) out.push(touched[x]);
    for (const c of touched) acc[c] = 0;
    indptr[u + 1] = out.length;
  }
  return { indptr, indices: Int32Array.from(out) };
}
