/**
 * One user's cached value (ranked list plus the facts the service filters and falls back with).
 * Free of TF.js imports: worker threads compute lists with it (ranking/parallelLists.ts).
 */
import { EVENT_TYPES, SEGMENTS } from '../../src/domain/types';
import { priceBandName } from '../models/profiles';
import type { UserRecommendations } from '../../src/contracts/packedList';
import { type Dataset, TYPE_PURCHASE } from '../data/dataset';
import type { ExcludeMode, Ranker } from './ranker';
import type { UserFeatures } from '../models/segments';

/** Items kept in a user's refind list and bought list (packedList.ts). */
export const MAX_REFIND = 20;
export const MAX_BOUGHT = 200;
/** Excluding the whole history (`excludeInteracted: all`), the excluded list holds every past item, up to this many. */
export const MAX_EXCLUDED_ALL = 2000;

const scratch = new WeakMap<Dataset, { seen: Int32Array; bought: Int32Array; stamp: number }>();
function userScratch(ds: Dataset): { seen: Int32Array; bought: Int32Array; stamp: number } {
  let sc = scratch.get(ds);
  if (!sc || sc.stamp > 2 ** 30) {
    sc = { seen: new Int32Array(ds.nItems), bought: new Int32Array(ds.nItems), stamp: 0 };
    scratch.set(ds, sc);
  }
  return sc;
}

/** One user's cached value: ranked list plus the facts the service filters and falls back with. */
export function userRecommendations(
  ds: Dataset,
  ranker: Ranker,
  favourites: { indptr: Int32Array; indices: Int32Array },
  segmentCodes: Uint8Array,
  u: number,
  topN: number,
  exclude: ExcludeMode = 'bought',
  features?: UserFeatures,
): UserRecommendations {
  const all = exclude === 'history';
  // Personal candidates only: the service fills short lists along the segment's chain at answer
  // time, so chains, quotas and A/B variants apply to everyone without retraining.
  const list = ranker.rank(u, topN, exclude, false);
  const bought: number[] = [];
  const refind: number[] = [];
  // Stamped per-item marks instead of two Sets per user (called once per user: 1M users at 20M events).
  const sc = userScratch(ds);
  const seenStamp = ++sc.stamp;
  const boughtStamp = ++sc.stamp;
  for (let k = ds.userStart[u]; k < ds.userStart[u + 1]; k++)
    if (all || ds.evType[k] === TYPE_PURCHASE) sc.bought[ds.evItem[k]] = boughtStamp;
  const maxBought = all ? MAX_EXCLUDED_ALL : MAX_BOUGHT;
  // Newest first: the most recent purchases and touches are what the service needs first.
  for (let k = ds.userStart[u + 1] - 1; k >= ds.userStart[u]; k--) {
    const it = ds.evItem[k];
    if (sc.seen[it] === seenStamp) continue;
    sc.seen[it] = seenStamp;
    if (sc.bought[it] === boughtStamp) {
      if (bought.length < maxBought) bought.push(it);
    } else if (refind.length < MAX_REFIND) refind.push(it);
  }
  return {
    segment: SEGMENTS[segmentCodes[u]],
    ...(features
      ? {
          features: {
            firstSeen: features.firstSeen[u],
            lastSeen: features.lastSeen[u],
            distinctItems: features.distinctItems[u],
            purchases: features.purchases[u],
            monetary: features.monetary[u],
            rfm: Number.isFinite(features.rfm[u]) ? features.rfm[u] : null,
          },
          profile: {
            priceBand: priceBandName(features.profiles.priceBand[u]),
            purchaseCadenceDays: Number.isFinite(features.profiles.cadenceDays[u]) ? features.profiles.cadenceDays[u] : null,
            dominantEventType: EVENT_TYPES[features.profiles.dominantType[u]],
          },
        }
      : {}),
    categories: Array.from(favourites.indices.subarray(favourites.indptr[u], favourites.indptr[u + 1])),
    refind,
    bought,
    items: list.items,
    scores: list.scores,
    sources: list.sources,
  };
}
