/**
 * Tunables of training and serving, with SPEC's defaults. One typed object, validated once at boot;
 * an operator may override any part with a JSON file named by RECS_CONFIG_FILE.
 */
import { z } from 'zod';
import { EVENT_TYPES, PLACEMENTS, PRICE_BANDS, SEGMENTS } from '../domain/types';
import { experimentTag } from '../util/hash';

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

/** A chain step: a step name, or `{ step, max }` to cap how many items that step may serve (a quota). */
const chainStep = z
  .union([
    z.enum(FALLBACK_STEPS),
    z.object({ step: z.enum(FALLBACK_STEPS), max: z.number().int().min(1).max(100).nullable().optional() }).strict(),
  ])
  .transform((v) => (typeof v === 'string' ? { step: v, max: null } : { step: v.step, max: v.max ?? null }));
export type ChainStep = z.output<typeof chainStep>;

const chain = z.array(chainStep).max(20);
const segmentChains = z.object({
  new: chain,
  churned: chain,
  at_risk: chain,
  high_value: chain,
  paying: chain,
  active: chain,
});

const variantSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'letters, digits, _ . - (1..32)'),
    /** Share of users, relative to the other variants' weights. */
    weight: z.number().positive(),
    /** Overrides of the serving blend for this variant. */
    sessionWeight: z.number().nonnegative().optional(),
    newArrivalBoost: z.number().nonnegative().optional(),
    /** Per-segment fallback chains replacing the default ones for this variant. */
    fallbacks: segmentChains.partial().strict().optional(),
  })
  .strict();
export type Variant = z.output<typeof variantSchema>;

const isoTime = z.string().refine((v) => Number.isFinite(Date.parse(v)), 'must be an ISO-8601 time');

/**
 * One experiment: its variants split the shoppers it applies to by hash(salt, userId). It applies
 * to a shopper in one of `segments` (all when omitted), carrying every profile `tags` value, on
 * `placement` (all when omitted), between `start` and `stop`.
 */
const experimentSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1..64)'),
    salt: z.string().min(1).max(128),
    segments: z.array(z.enum(SEGMENTS)).min(1).optional(),
    tags: z
      .object({ priceBand: z.enum(PRICE_BANDS).optional(), dominantEventType: z.enum(EVENT_TYPES).optional() })
      .strict()
      .optional(),
    placement: z.enum(PLACEMENTS).optional(),
    start: isoTime.optional(),
    stop: isoTime.optional(),
    variants: z.array(variantSchema).min(2).max(10),
  })
  .strict();
export type Experiment = z.output<typeof experimentSchema>;
/** Profile tags an experiment may target. */
export type ProfileTags = NonNullable<Experiment['tags']>;

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
        /**
         * The embedding: implicit ALS (typed arrays, worker threads; linear in events, every size)
         * or BPR (TF.js; bounded by maxItems/maxEvents). A candidate source of the home blend with a
         * validation-chosen weight, and neighbours for the product page and /similar.
         */
        embedding: z
          .object({
            enabled: z.boolean(),
            model: z.enum(['als', 'bpr']),
            dim: z.number().int().min(2).max(512),
            /** BPR passes over the data. */
            epochs: z.number().int().min(1).max(500),
            /** ALS iterations (the final fit starts from the validation fit's items with half as many). */
            iterations: z.number().int().min(1).max(100),
            /** Blend weights tried on the validation split; 0 (not blended) is always among them. */
            weights: z.array(z.number().min(0).max(10)).min(1).max(10),
            /** BPR only: above this many items it is skipped (scoring every item per user does not scale). */
            maxItems: z.number().int().min(1),
            /** BPR only: above this many events its TF.js fits cost too much: skipped. */
            maxEvents: z.number().int().min(1),
          })
          .strict(),
      })
      .strict(),
    segments: z
      .object({
        newMaxAgeDays: z.number().nonnegative(),
        newMinDistinctItems: z.number().int().nonnegative(),
        /**
         * A purchaser is a customer, not someone to onboard: true (default) lets purchasers skip the
         * `new` rule, so every purchaser is paying or high_value unless churned or at risk (issue #2).
         * false follows SPEC's table literally (`new` first: a purchaser first seen < 7 days ago is new).
         */
        purchasersSkipNew: z.boolean(),
        churnedAfterDays: z.number().positive(),
        atRiskAfterDays: z.number().positive(),
        /** Purchasers whose RFM score is in this top fraction are high_value. */
        highValueTopFraction: z.number().min(0).max(1),
      })
      .strict(),
    fallbacks: segmentChains.strict(),
    /** Business rules applied to every answer, fallbacks included. */
    /** The product page and the cart: their own sources, weights and fallback chains. */
    placements: z
      .object({
        product: z
          .object({
            /** The page neighbours' model (training/models/pageNeighbours.ts). */
            page: z
              .object({
                coview: z.number().min(0),
                sr: z.number().min(0),
                itemcf: z.number().min(0),
                category: z.number().min(0),
                popularity: z.number().min(0),
                popularityDays: z.number().min(0),
                popularityHalfLifeHours: z.number().min(0),
                popularityAllTime: z.number().min(0),
                categoryCandidates: z.number().int().min(0).max(500),
                k: z.number().int().min(1).max(500),
              })
              .strict(),
            /** Weight of the shopper's own touches against the page neighbours (0: the plain page). */
            touchWeight: z.number().min(0),
            /** Added to a touched item of the page item's category that the page row does not hold. */
            touchCategory: z.number().min(0),
            /** Weight of the page item's embedding neighbours' cosine in the page list (0: they only follow the page row). */
            embeddingWeight: z.number().min(0),
            touches: z
              .object({
                sessionTypeWeight: z
                  .object({ view: z.number().min(0), fav: z.number().min(0), cart: z.number().min(0), purchase: z.number().min(0) })
                  .strict(),
                sessionDecay: z.number().min(0).max(1),
                refindWeight: z.number().min(0),
                refindDecay: z.number().min(0).max(1),
                visitGapSeconds: z.number().int().positive(),
                currentVisitWeight: z.number().min(0),
                hideCurrentVisit: z.boolean(),
              })
              .strict(),
            fallbacks: chain,
          })
          .strict(),
        cart: z
          .object({
            /** An item bought within this many hours after a cart item (same shopper) complements it. */
            complementWindowHours: z.number().positive(),
            complementsPerItem: z.number().int().min(1).max(500),
            fallbacks: chain,
          })
          .strict(),
      })
      .strict(),
    rules: z
      .object({
        /** At most this many items of one category per answer (ignored with a `category` filter); null: no cap. */
        maxPerCategory: z.number().int().min(1).max(100).nullable(),
        /** Relative score boost of new arrivals (created within training.newArrivalDays) in the blend. */
        newArrivalBoost: z.number().min(0).max(10),
      })
      .strict(),
    /** Experiments, first applicable one per placement wins (see experimentSchema). */
    experiments: z.array(experimentSchema).max(20),
    /** One experiment applying to everyone: the earlier form, read as the first of `experiments`. */
    experiment: experimentSchema.nullable(),
    feedback: z
      .object({
        /** A purchase within this many seconds after a click on the same item is attributed to it. */
        clickAttributionSeconds: z.number().int().positive(),
        /** Outcome counters not yet flushed to the database live this long after their last update. */
        countersTtlSeconds: z.number().int().positive(),
        /** How often the service flushes outcome counters into the database (at least once a minute). */
        flushSeconds: z.number().int().min(1).max(60),
      })
      .strict(),
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
        /**
         * Relative NDCG@10 loss against the live version the gate still accepts: the one-sided 95%
         * lower bound of the paired difference must stay above -tolerance x live's NDCG@10 (on a
         * holdout below minCases, the point figures are compared instead).
         */
        tolerance: z.number().min(0).max(1),
        /** Holdout cases needed for the significance rule; below it the gate applies the tolerance rule and says so. */
        minCases: z.number().int().min(2),
        /**
         * Relative NDCG@10 drop against the live version's recorded holdout metric that is still
         * accepted when that record has no interval (versions recorded before intervals).
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
    /** How the service treats a slow or failing Redis (src/storage/cache/resilientCache.ts). */
    resilience: z
      .object({
        /** Deadline of a request-path cache call, ms; past it the answer degrades. */
        cacheTimeoutMs: z.number().int().min(1).max(60_000),
        /** Deadline of a bulk cache call (loading a version's meta), ms. */
        cacheBulkTimeoutMs: z.number().int().min(1).max(600_000),
        /** Consecutive cache failures that open the circuit breaker. */
        breakerFailureThreshold: z.number().int().min(1).max(1000),
        /** How long the open breaker waits before probing the cache again, ms. */
        breakerOpenMs: z.number().int().min(10).max(600_000),
      })
      .strict(),
    /** Request limits of the HTTP service. */
    security: z
      .object({
        /** Largest accepted JSON body, bytes. */
        maxBodyBytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024),
        /** Write endpoints: at most `writeRequestsPerWindow` requests per API key (or IP) per window. */
        writeWindowSeconds: z.number().int().min(1).max(86_400),
        writeRequestsPerWindow: z.number().int().min(1).max(100_000_000),
      })
      .strict(),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;

function steps(...names: FallbackStep[]): ChainStep[] {
  return names.map((step) => ({ step, max: null }));
}

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
    embedding: {
      enabled: true,
      model: 'als',
      dim: 32,
      epochs: 30,
      iterations: 8,
      weights: [0, 0.25, 0.5, 1],
      maxItems: 20000,
      maxEvents: 500000,
    },
  },
  segments: {
    newMaxAgeDays: 7,
    newMinDistinctItems: 3,
    purchasersSkipNew: true,
    churnedAfterDays: 60,
    atRiskAfterDays: 21,
    highValueTopFraction: 0.2,
  },
  fallbacks: {
    new: steps('trending', 'best_converting', 'popular'),
    churned: steps('category_popular', 'new_arrivals', 'popular'),
    at_risk: steps('refind', 'category_popular', 'popular'),
    high_value: steps('segment_popular', 'category_popular', 'popular'),
    paying: steps('segment_popular', 'category_popular', 'popular'),
    active: steps('refind', 'category_popular', 'trending', 'best_converting', 'popular'),
  },
  serving: {
    sessionTtlSeconds: 24 * 3600,
    sessionMaxEvents: 50,
    boughtTtlSeconds: 7 * 24 * 3600,
    sessionWeight: 1,
  },
  placements: {
    product: {
      // The samecat order (co-views, then X's category, then popularity); see docs/quality.md.
      page: {
        coview: 1,
        sr: 0,
        itemcf: 0,
        category: 0.5,
        popularity: 1e-3,
        popularityDays: 0,
        popularityHalfLifeHours: 0,
        popularityAllTime: 0,
        categoryCandidates: 30,
        k: 60,
      },
      touchWeight: 0.5,
      touchCategory: 1,
      embeddingWeight: 0,
      touches: {
        sessionTypeWeight: { view: 1, fav: 1.5, cart: 2, purchase: 0 },
        sessionDecay: 0.9,
        refindWeight: 0.25,
        refindDecay: 0.95,
        visitGapSeconds: 1800,
        currentVisitWeight: 0,
        hideCurrentVisit: true,
      },
      fallbacks: steps('trending', 'popular'),
    },
    cart: { complementWindowHours: 24, complementsPerItem: 50, fallbacks: steps('best_converting', 'popular') },
  },
  rules: { maxPerCategory: null, newArrivalBoost: 0.1 },
  experiments: [],
  experiment: null,
  feedback: { clickAttributionSeconds: 24 * 3600, countersTtlSeconds: 90 * 24 * 3600, flushSeconds: 30 },
  gate: { tolerance: 0.02, minCases: 100, driftTolerance: 0.3 },
  cache: {
    previousVersionTtlSeconds: 3 * 24 * 3600,
    stagingTtlSeconds: 6 * 3600,
    usersPerBucket: 256,
    keepVersions: 5,
  },
  resilience: { cacheTimeoutMs: 250, cacheBulkTimeoutMs: 10_000, breakerFailureThreshold: 3, breakerOpenMs: 1000 },
  // Generous: one storefront backend sends all its shoppers' events through one key.
  security: { maxBodyBytes: 1024 * 1024, writeWindowSeconds: 60, writeRequestsPerWindow: 600_000 },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? unknown[] : DeepPartial<T[K]>) : T[K] };

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
  // `popular` (uncapped) always ends a chain, so an answer is never empty while items are available.
  const ensurePopular = (c: ChainStep[]) => {
    const last = c[c.length - 1];
    if (!last || last.step !== 'popular' || last.max !== null) c.push({ step: 'popular', max: null });
  };
  for (const s of SEGMENTS) ensurePopular(parsed.data.fallbacks[s]);
  ensurePopular(parsed.data.placements.product.fallbacks);
  ensurePopular(parsed.data.placements.cart.fallbacks);
  const policy = parsed.data;
  if (policy.experiment) {
    policy.experiments = [policy.experiment, ...policy.experiments];
    policy.experiment = null;
  }
  const tags = new Map<number, string>();
  policy.experiments.forEach((exp, x) => {
    const where = `invalid recommendation policy: experiments.${x}`;
    for (const v of exp.variants) {
      for (const s of SEGMENTS) if (v.fallbacks?.[s]) ensurePopular(v.fallbacks[s]!);
    }
    const names = exp.variants.map((v) => v.name);
    if (new Set(names).size !== names.length) throw new Error(`${where}.variants: names must be unique`);
    if (exp.start && exp.stop && Date.parse(exp.stop) <= Date.parse(exp.start)) throw new Error(`${where}.stop: must be after start`);
    // Recommendation ids carry a 16-bit tag of the experiment's name: two experiments may not share one.
    const tag = experimentTag(exp.name);
    if (tags.has(tag)) throw new Error(`${where}.name: '${exp.name}' clashes with '${tags.get(tag)}' (rename one)`);
    tags.set(tag, exp.name);
  });
  return policy;
}
