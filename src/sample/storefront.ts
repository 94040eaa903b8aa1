/**
 * Deterministic synthetic storefront for `recs demo` and tests: a catalogue with Zipf-like
 * popularity inside categories, and users whose browsing sessions, carts and purchases produce
 * every lifecycle segment (new, churned, at_risk, paying/high_value, active). Same options and
 * seed give byte-identical output; nothing reads the wall clock (`now` defaults to a fixed date).
 *
 * The sample is written through `writeItemsCsv` / `writeEventsCsv` in the catalogue and events-csv
 * import formats, so the demo exercises the real import path.
 */
import fs from 'fs';
import type { EventType, Item, StoreEvent } from '../domain/types';
import { formatCsvField } from '../ingest/formats';

export interface StorefrontOptions {
  users: number;
  items: number;
  categories: number;
  /** Length of the event history, ending at `now`. Churned users need more than ~70 days. */
  days: number;
  seed: number;
  /** End of the history (epoch ms or Date); default DEFAULT_SAMPLE_NOW. */
  now?: number | Date;
}

/** How a generated shopper behaves: what the storefront simulation carries on with. */
export interface Shopper {
  userId: string;
  archetype: Archetype;
  /** Preferred categories (names), most preferred first. */
  preferred: string[];
}

export interface Storefront {
  /** Sorted by itemId. */
  items: Item[];
  /** Sorted by ts (stable, so the order is reproducible). */
  events: StoreEvent[];
  /** One per user, in user order. */
  shoppers: Shopper[];
}

/** Fixed "now" so the sample (and the segments derived from it) are reproducible. */
export const DEFAULT_SAMPLE_NOW = Date.UTC(2026, 0, 31);

/** The `recs demo` sample: ~1,500 users, 600 items, 20 categories, about 60k events. */
export const DEFAULT_STOREFRONT_OPTIONS: Readonly<StorefrontOptions> = {
  users: 1500,
  items: 600,
  categories: 20,
  days: 120,
  seed: 42,
};

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

const CATEGORY_NAMES = [
  'shoes',
  'dresses',
  'shirts',
  'jackets',
  'bags',
  'watches',
  'jewelry',
  'sunglasses',
  'beauty',
  'fragrance',
  'kitchen',
  'bedding',
  'lighting',
  'furniture',
  'toys',
  'books',
  'audio',
  'phones',
  'laptops',
  'cameras',
  'fitness',
  'outdoor',
  'garden',
  'pets',
];

export { mulberry32 } from '../util/prng';
import { mulberry32 } from '../util/prng';

type Rng = () => number;

const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
const intBetween = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Samples indices proportionally to fixed weights (cumulative table + binary search). */
class WeightedSampler {
  private readonly cumulative: Float64Array;

  constructor(weights: readonly number[]) {
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => {
      sum += w;
      this.cumulative[i] = sum;
    });
  }

  sample(rng: Rng): number {
    const target = rng() * this.cumulative[this.cumulative.length - 1];
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function shuffle<T>(rng: Rng, values: T[]): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return values;
}

/** Behaviour profile of a user; decides recency, activity and how readily they buy. */
export type Archetype = 'new' | 'churned' | 'at_risk' | 'regular' | 'heavy';

interface Profile {
  sessions: [number, number];
  cartRate: number;
  buyAfterCart: number;
}

const PROFILES: Record<Archetype, Profile> = {
  new: { sessions: [1, 1], cartRate: 0.2, buyAfterCart: 0.3 },
  churned: { sessions: [3, 7], cartRate: 0.3, buyAfterCart: 0.45 },
  at_risk: { sessions: [3, 7], cartRate: 0.3, buyAfterCart: 0.45 },
  regular: { sessions: [4, 16], cartRate: 0.3, buyAfterCart: 0.4 },
  heavy: { sessions: [16, 32], cartRate: 0.5, buyAfterCart: 0.7 },
};

const FAV_RATE = 0.035;
const DIRECT_BUY_RATE = 0.03;
const OFF_PREFERENCE_RATE = 0.1;

function pickArchetype(rng: Rng, days: number): Archetype {
  const r = rng();
  // Recency buckets need history long enough to hold them; otherwise those users stay regular.
  if (r < 0.08) return 'new';
  if (r < 0.2) return days >= 75 ? 'churned' : 'regular';
  if (r < 0.32) return days >= 35 ? 'at_risk' : 'regular';
  if (r < 0.38) return 'heavy';
  return 'regular';
}

interface Catalogue {
  items: Item[];
  byCategory: number[][];
  /** Zipf sampler over each category's item list. */
  samplers: WeightedSampler[];
  categorySampler: WeightedSampler;
  nonEmptyCategories: number[];
}

function buildCatalogue(rng: Rng, opts: StorefrontOptions, now: number): Catalogue {
  const categoryCount = Math.max(1, opts.categories);
  const categoryNames = Array.from({ length: categoryCount }, (_, c) =>
    categoryCount <= CATEGORY_NAMES.length ? CATEGORY_NAMES[c] : `category-${pad(c + 1, 3)}`,
  );
  // Category sizes vary: a few big departments, a long tail of small ones.
  const sizeSampler = new WeightedSampler(categoryNames.map((_, c) => 1 / Math.sqrt(c + 1)));
  const windowStart = now - opts.days * DAY;
  const width = String(opts.items).length;
  const items: Item[] = [];
  const byCategory: number[][] = categoryNames.map(() => []);
  for (let k = 0; k < opts.items; k++) {
    const c = k < categoryCount ? k : sizeSampler.sample(rng);
    const r = rng();
    let createdAt: number;
    // Item 0 is always old, so every session time has at least one existing item.
    if (k === 0 || r < 0.85) createdAt = uniform(rng, windowStart - 365 * DAY, windowStart);
    else if (r < 0.95) createdAt = uniform(rng, windowStart, Math.max(windowStart, now - 14 * DAY));
    else createdAt = uniform(rng, now - 14 * DAY, now - DAY); // new arrivals
    items.push({
      itemId: `i${pad(k + 1, width)}`,
      category: categoryNames[c],
      available: rng() >= 0.03,
      price: Math.round(4 + 196 * rng() ** 2) - 0.01,
      createdAt: Math.floor(createdAt / SECOND) * SECOND,
    });
    byCategory[c].push(k);
  }
  // Popularity ranks are shuffled so they do not follow id order.
  const samplers = byCategory.map((list) => {
    shuffle(rng, list);
    return new WeightedSampler(list.map((_, rank) => 1 / (rank + 1) ** 1.1));
  });
  const nonEmptyCategories = byCategory.flatMap((list, c) => (list.length > 0 ? [c] : []));
  // Category interest: bigger departments attract more users, mildly.
  const categorySampler = new WeightedSampler(nonEmptyCategories.map((c) => Math.sqrt(byCategory[c].length)));
  return { items, byCategory, samplers, categorySampler, nonEmptyCategories };
}

/** An item of category `c` that already existed at `ts` (popular ones more likely). */
function sampleItem(rng: Rng, cat: Catalogue, c: number, ts: number): number {
  const list = cat.byCategory[c];
  for (let attempt = 0; attempt < 8; attempt++) {
    const k = list[cat.samplers[c].sample(rng)];
    if ((cat.items[k].createdAt ?? 0) <= ts) return k;
  }
  const existing = list.filter((k) => (cat.items[k].createdAt ?? 0) <= ts);
  return existing.length > 0 ? existing[Math.floor(rng() * existing.length)] : 0;
}

/** [first, last] activity bounds for an archetype, inside the history window. */
function activityWindow(rng: Rng, archetype: Archetype, now: number, days: number): [number, number] {
  const windowStart = now - days * DAY;
  // Keep the last session's few minutes to an hour of events before `now`.
  const latest = now - 2 * HOUR;
  let last: number;
  switch (archetype) {
    case 'new': {
      const first = latest - uniform(rng, 0, 6) * DAY;
      return [first, first];
    }
    case 'churned':
      last = now - uniform(rng, 62, days - 5) * DAY;
      break;
    case 'at_risk':
      last = now - uniform(rng, 23, Math.min(58, days - 5)) * DAY;
      break;
    default:
      // Recent activity is more common than old among active users.
      last = latest - rng() ** 2 * 18 * DAY;
  }
  const first = Math.max(windowStart, last - uniform(rng, 14, days) * DAY);
  return [first, last];
}

export function generateStorefront(opts: StorefrontOptions): Storefront {
  const now = opts.now === undefined ? DEFAULT_SAMPLE_NOW : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  if (opts.items < 1 || opts.users < 0 || opts.days < 1) {
    throw new RangeError('generateStorefront needs items >= 1, users >= 0 and days >= 1');
  }
  const rng = mulberry32(opts.seed);
  const cat = buildCatalogue(rng, opts, now);
  const events: StoreEvent[] = [];
  const shoppers: Shopper[] = [];
  const userWidth = String(opts.users).length;

  for (let u = 0; u < opts.users; u++) {
    const userId = `u${pad(u + 1, userWidth)}`;
    const archetype = pickArchetype(rng, opts.days);
    const profile = PROFILES[archetype];
    const preferenceCount = Math.min(intBetween(rng, 1, 3), cat.nonEmptyCategories.length);
    const preferred: number[] = [];
    while (preferred.length < preferenceCount) {
      const c = cat.nonEmptyCategories[cat.categorySampler.sample(rng)];
      if (!preferred.includes(c)) preferred.push(c);
    }
    shoppers.push({ userId, archetype, preferred: preferred.map((c) => cat.items[cat.byCategory[c][0]].category!) });
    const [first, last] = activityWindow(rng, archetype, now, opts.days);
    const sessionCount = intBetween(rng, profile.sessions[0], profile.sessions[1]);
    const starts = [last];
    for (let s = 1; s < sessionCount; s++) starts.push(uniform(rng, first, last));
    starts.sort((a, b) => a - b);

    for (const start of starts) {
      let ts = Math.floor(start / SECOND) * SECOND;
      const emit = (itemIndex: number, type: EventType) => events.push({ userId, itemId: cat.items[itemIndex].itemId, type, ts });
      const c =
        rng() < OFF_PREFERENCE_RATE
          ? cat.nonEmptyCategories[cat.categorySampler.sample(rng)]
          : preferred[Math.floor(rng() * preferred.length)];
      // New users browse briefly (fewer than 3 distinct items); others 1 + geometric views.
      let views = 1;
      if (archetype === 'new') views = intBetween(rng, 1, 2);
      else while (views < 12 && rng() < 0.75) views++;
      const viewed: number[] = [];
      for (let v = 0; v < views; v++) {
        const k = sampleItem(rng, cat, c, ts);
        viewed.push(k);
        emit(k, 'view');
        if (rng() < FAV_RATE) {
          ts += intBetween(rng, 5, 60) * SECOND;
          emit(k, 'fav');
        }
        ts += intBetween(rng, 15, 240) * SECOND;
      }
      // A purchase always follows a view (and usually a cart) of the same item in this session.
      if (rng() < profile.cartRate) {
        const k = viewed[Math.floor(rng() * viewed.length)];
        emit(k, 'cart');
        ts += intBetween(rng, 30, 600) * SECOND;
        if (rng() < profile.buyAfterCart) emit(k, 'purchase');
      } else if (rng() < DIRECT_BUY_RATE) {
        emit(viewed[viewed.length - 1], 'purchase');
      }
    }
  }

  events.sort((a, b) => a.ts - b.ts);
  const items = cat.items.slice().sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
  return { items, events, shoppers };
}

// ---------------------------------------------------------------------------------------------
// Writers (events-csv and catalogue formats of `recs import`)

const WRITE_BATCH_LINES = 10_000;

async function writeLines<T>(path: string, header: string, rows: readonly T[], format: (row: T) => string): Promise<void> {
  const handle = await fs.promises.open(path, 'w');
  try {
    await handle.write(`${header}\n`);
    for (let i = 0; i < rows.length; i += WRITE_BATCH_LINES) {
      const chunk = rows.slice(i, i + WRITE_BATCH_LINES).map(format);
      await handle.write(`${chunk.join('\n')}\n`);
    }
  } finally {
    await handle.close();
  }
}

/** Writes events as events-csv: `userId,itemId,type,timestamp` with ISO-8601 UTC timestamps. */
export function writeEventsCsv(path: string, events: readonly StoreEvent[]): Promise<void> {
  return writeLines(path, 'userId,itemId,type,timestamp', events, (e) =>
    [formatCsvField(e.userId), formatCsvField(e.itemId), e.type, new Date(e.ts).toISOString()].join(','),
  );
}

/** Writes the catalogue CSV: `itemId,category,available,price,createdAt` (empty cell = unknown). */
export function writeItemsCsv(path: string, items: readonly Item[]): Promise<void> {
  return writeLines(path, 'itemId,category,available,price,createdAt', items, (item) =>
    [
      formatCsvField(item.itemId),
      item.category === null ? '' : formatCsvField(item.category),
      String(item.available),
      item.price === null ? '' : String(item.price),
      item.createdAt === null ? '' : new Date(item.createdAt).toISOString(),
    ].join(','),
  );
}
