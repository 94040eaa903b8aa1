/**
 * Tunables of training and serving, with SPEC's defaults. One typed object, validated once at boot;
 * an operator may override any part with a JSON file named by RECS_CONFIG_FILE.
 */
import { z } from 'zod';
import { SEGMENTS } from '../domain/types';

/** Fallback steps a segment's chain may use. `popular` (global) is always appended last. */
export const FALLBACK_STEPS = [
  'refind', // items the user viewed, favourited or carted and did not buy
  'trending', // most gained popularity in the recent window
  'best_converting', // highest purchase / view ratio (with a prior)
  'new_arrivals', // newest items by createdAt or first seen
  'category_popular', // popular in the user's favourite categories
  'segment_popular', // popular among users of the user's own segment, in their categories first
  'popular', // global
] as const;
export type FallbackStep = (typeof FALLBACK_STEPS)[number];

const segmentChains = z.object({
  new: z.array(z.enum(FALLBACK_STEPS)),
  churned: z.array(z.enum(FALLBACK_STEPS)),
  at_risk: z.array(z.enum(FALLBACK_STEPS)),
  high_value: z.array(z.enum(FALLBACK_STEPS)),
  paying: z.array(z.enum(FALLBACK_STEPS)),
  active: z.array(z.enum(FALLBACK_STEPS)),
});

export const policySchema = z
  .object({
    eventWeights: z
      .object({
        view: z.number().nonnegative(),
        fav: z.number().nonnegative(),
        cart: z.number().nonnegative(),
        purchase: z.number().nonnegative(),
      })
      .strict(),
    training: z
      .object({
        /** Half-life of an interaction's weight, in days, measured back from "now". */
        decayHalfLifeDays: z.number().positive(),
        /** Neighbours kept per item. */
        neighbours: z.number().int().min(1).max(500),
        /** Per-user list length written to the cache. */
        topN: z.number().int().min(1).max(1000),
        /** Items kept in each fallback list. */
        fallbackListSize: z.number().int().min(10).max(5000),
        /** Window, in days before "now", that defines "trending". */
        trendingWindowDays: z.number().positive(),
        /** Window, in days, of what counts as a new arrival. */
        newArrivalDays: z.number().positive(),
        /** How many of a user's most recent distinct items seed candidate generation. */
        historySeeds: z.number().int().min(1).max(1000),
        /** Fraction of users whose last interaction is held out to score a candidate model. */
        holdoutUsers: z.number().min(0).max(1),
        seed: z.number().int(),
        /**
         * Which of a user's past items are never recommended again. `purchased`: only bought items
         * (storefronts: re-finding what one viewed or carted is the strongest signal). `all`: every
         * item the user interacted with (consumption logs such as ratings). `auto`: `purchased` when
         * the data has purchase events, else `all`.
         */
        excludeInteracted: z.enum(['auto', 'purchased', 'all']),
      })
      .strict(),
    segments: z
      .object({
        newMaxAgeDays: z.number().nonnegative(),
        newMinDistinctItems: z.number().int().nonnegative(),
        churnedAfterDays: z.number().positive(),
        atRiskAfterDays: z.number().positive(),
        /** Purchasers whose RFM score is in this top fraction are high_value. */
        highValueTopFraction: z.number().min(0).max(1),
      })
      .strict(),
    fallbacks: segmentChains.strict(),
    serving: z
      .object({
        /** How long the session signal (events posted through the API) is kept, seconds. */
        sessionTtlSeconds: z.number().int().positive(),
        /** Events kept per user in the session signal. */
        sessionMaxEvents: z.number().int().positive(),
        /** How long purchases posted through the API keep filtering, seconds (until a retrain sees them). */
        boughtTtlSeconds: z.number().int().positive(),
        /** Weight of the live session blend against the cached personal list. */
        sessionWeight: z.number().nonnegative(),
      })
      .strict(),
    gate: z
      .object({
        /** Relative NDCG@10 loss against the live version that the quality gate still accepts. */
        tolerance: z.number().min(0).max(1),
        /**
         * Relative NDCG@10 drop against the live version's recorded holdout metric (other data) that
         * is still accepted; wider than `tolerance` because the data moved too.
         */
        driftTolerance: z.number().min(0).max(1),
      })
      .strict(),
    cache: z
      .object({
        /** A replaced version's keys live this long after the switch, seconds. */
        previousVersionTtlSeconds: z.number().int().positive(),
        /** Keys of a version being written expire after this unless the publish completes, seconds. */
        stagingTtlSeconds: z.number().int().positive(),
        /** Users per hash bucket of a version's lists. */
        usersPerBucket: z.number().int().min(1).max(100000),
        /** Versions kept in the registry and MODELS_DIR (the live one always among them). */
        keepVersions: z.number().int().min(2).max(1000),
      })
      .strict(),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;

export const DEFAULT_POLICY: Policy = {
  eventWeights: { view: 1, fav: 2, cart: 3, purchase: 4 },
  training: {
    decayHalfLifeDays: 30,
    neighbours: 50,
    topN: 100,
    fallbackListSize: 200,
    trendingWindowDays: 7,
    newArrivalDays: 14,
    historySeeds: 50,
    holdoutUsers: 0.2,
    seed: 42,
    excludeInteracted: 'auto',
  },
  segments: {
    newMaxAgeDays: 7,
    newMinDistinctItems: 3,
    churnedAfterDays: 60,
    atRiskAfterDays: 21,
    highValueTopFraction: 0.2,
  },
  fallbacks: {
    new: ['trending', 'best_converting', 'popular'],
    churned: ['category_popular', 'new_arrivals', 'popular'],
    at_risk: ['refind', 'category_popular', 'popular'],
    high_value: ['segment_popular', 'category_popular', 'popular'],
    paying: ['segment_popular', 'category_popular', 'popular'],
    active: ['refind', 'category_popular', 'trending', 'best_converting', 'popular'],
  },
  serving: {
    sessionTtlSeconds: 24 * 3600,
    sessionMaxEvents: 50,
    boughtTtlSeconds: 7 * 24 * 3600,
    sessionWeight: 1,
  },
  gate: { tolerance: 0.02, driftTolerance: 0.3 },
  cache: {
    previousVersionTtlSeconds: 3 * 24 * 3600,
    stagingTtlSeconds: 6 * 3600,
    usersPerBucket: 256,
    keepVersions: 5,
  },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

function merge<T>(base: T, override: DeepPartial<T> | undefined): T {
  if (!override) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(override)) {
    const b = (base as Record<string, unknown>)[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? merge(b, v as DeepPartial<typeof b>)
        : v;
  }
  return out as T;
}

/** Defaults overridden by `override`, validated; throws a readable error naming the bad path. */
export function buildPolicy(override?: unknown): Policy {
  const merged = merge(DEFAULT_POLICY, override as DeepPartial<Policy>);
  const parsed = policySchema.safeParse(merged);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid recommendation policy: ${msg}`);
  }
  for (const s of SEGMENTS) {
    const chain = parsed.data.fallbacks[s];
    if (chain[chain.length - 1] !== 'popular') chain.push('popular');
  }
  return parsed.data;
}
