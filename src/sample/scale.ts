/**
 * Deterministic synthetic storefront at scale (benchmarks: `npm run gen`, `npm run bench:train`).
 * The same kind of shop as storefront.ts (categories, Zipf popularity inside categories, users with
 * lifecycle archetypes, browsing sessions that end in a cart or a purchase), but streamed: users are
 * generated one after the other and their events leave as text chunks, so memory is constant in
 * the number of events (only the catalogue's per-item arrays are held).
 *
 * Exactly `events` events from exactly `users` users (every user has at least one event): each
 * user's event budget is drawn around the remaining mean, so the total lands exactly. Same options
 * give byte-identical output. Default proportions are those of the benchmark: 20 events per user,
 * 200 events per item (20M events: 1M users, 100k items; 1M events: 50k users, 5k items).
 */
import type { EventType } from '../domain/types';
import { DEFAULT_SAMPLE_NOW, mulberry32 } from './storefront';

export interface ScaleOptions {
  events: number;
  users: number;
  items: number;
  categories: number;
  /** Length of the history ending at `now`. */
  days: number;
  seed: number;
  now: number;
}

/** Default proportions: users = events / 20, items = events / 200, categories ~ sqrt(items). */
export function scaleOptions(events: number, over: Partial<Omit<ScaleOptions, 'events'>> = {}): ScaleOptions {
  const ev = Math.max(1, Math.floor(events));
  const users = over.users ?? Math.max(1, Math.round(ev / 20));
  const items = over.items ?? Math.max(10, Math.round(ev / 200));
  return {
    events: ev,
    users: Math.min(users, ev),
    items,
    categories: over.categories ?? Math.max(5, Math.min(items, Math.round(Math.sqrt(items)))),
    days: over.days ?? 120,
    seed: over.seed ?? 42,
    now: over.now ?? DEFAULT_SAMPLE_NOW,
  };
}

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const FAV_RATE = 0.035;
const DIRECT_BUY_RATE = 0.03;
const OFF_PREFERENCE_RATE = 0.1;
/** Text chunk size (rows) handed to the writer / COPY stream. */
const CHUNK_ROWS = 20_000;

type Rng = () => number;

/** Cumulative-weight sampler over [0, n) on a typed array (binary search). */
class Sampler {
  private readonly cum: Float64Array;
  constructor(weights: ArrayLike<number>) {
    this.cum = new Float64Array(weights.length);
    let s = 0;
    for (let i = 0; i < weights.length; i++) this.cum[i] = s += weights[i];
  }
  sample(rng: Rng): number {
    const t = rng() * this.cum[this.cum.length - 1];
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cum[mid] > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

export interface ScaleCatalogue {
  itemIds: string[];
  categoryNames: string[];
  itemCategory: Int32Array;
  itemCreatedAt: Float64Array;
  itemAvailable: Uint8Array;
  itemPrice: Float64Array;
  /** Items of each category, most popular first. */
  byCategory: Int32Array[];
  samplers: Sampler[];
  categorySampler: Sampler;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function buildCatalogue(rng: Rng, o: ScaleOptions): ScaleCatalogue {
  const nCat = Math.max(1, Math.min(o.categories, o.items));
  const catWidth = String(nCat).length;
  const categoryNames = Array.from({ length: nCat }, (_, c) => `cat${pad(c + 1, catWidth)}`);
  // Department sizes: a few big ones, a long tail (weight 1 / sqrt(rank)).
  const sizeSampler = new Sampler(Float64Array.from({ length: nCat }, (_, c) => 1 / Math.sqrt(c + 1)));
  const width = String(o.items).length;
  const windowStart = o.now - o.days * DAY;
  const itemIds: string[] = new Array(o.items);
  const itemCategory = new Int32Array(o.items);
  const itemCreatedAt = new Float64Array(o.items);
  const itemAvailable = new Uint8Array(o.items);
  const itemPrice = new Float64Array(o.items);
  const counts = new Int32Array(nCat);
  for (let k = 0; k < o.items; k++) {
    const c = k < nCat ? k : sizeSampler.sample(rng);
    itemCategory[k] = c;
    counts[c]++;
    itemIds[k] = `i${pad(k + 1, width)}`;
    const r = rng();
    let created: number;
    if (r < 0.85) created = windowStart - 365 * DAY * rng();
    else if (r < 0.95) created = windowStart + (o.now - 14 * DAY - windowStart) * rng();
    else created = o.now - 14 * DAY + 13 * DAY * rng(); // new arrivals
    itemCreatedAt[k] = Math.floor(created / SECOND) * SECOND;
    itemAvailable[k] = rng() >= 0.03 ? 1 : 0;
    itemPrice[k] = Math.round(4 + 196 * rng() ** 2) - 0.01;
  }
  const byCategory = Array.from({ length: nCat }, (_, c) => new Int32Array(counts[c]));
  const fill = new Int32Array(nCat);
  for (let k = 0; k < o.items; k++) byCategory[itemCategory[k]][fill[itemCategory[k]]++] = k;
  const samplers = byCategory.map((list) => {
    // Popularity rank shuffled against id order; the head of each category is an old item, so a
    // session at any time finds something that already existed.
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const t = list[i];
      list[i] = list[j];
      list[j] = t;
    }
    if (list.length > 0) itemCreatedAt[list[0]] = Math.min(itemCreatedAt[list[0]], Math.floor((windowStart - DAY) / SECOND) * SECOND);
    return new Sampler(Float64Array.from({ length: list.length }, (_, rank) => 1 / (rank + 1) ** 1.1));
  });
  // Category traffic grows with its size (power law overall: big departments, popular heads).
  const categorySampler = new Sampler(Float64Array.from(counts, (n) => (n > 0 ? n : 0)));
  return { itemIds, categoryNames, itemCategory, itemCreatedAt, itemAvailable, itemPrice, byCategory, samplers, categorySampler };
}

type Archetype = 0 | 1 | 2 | 3 | 4; // new, churned, at_risk, regular, heavy
const CART_RATE = [0.2, 0.3, 0.3, 0.3, 0.5];
const BUY_AFTER_CART = [0.3, 0.45, 0.45, 0.4, 0.7];

function pickArchetype(rng: Rng): Archetype {
  const r = rng();
  if (r < 0.08) return 0;
  if (r < 0.2) return 1;
  if (r < 0.32) return 2;
  if (r < 0.38) return 4;
  return 3;
}

/** Standard normal (Box-Muller, one value per call: deterministic and simple). */
function gauss(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export type EventSink = (userId: string, itemId: string, type: EventType, ts: number) => void;

/**
 * The generator proper: calls `emit` for every event, user by user (each user's events in time
 * order). `yieldEvery` lets callers stream: the generator yields after roughly that many events.
 */
export function* generateScaleEvents(o: ScaleOptions, emit: EventSink, yieldEvery = CHUNK_ROWS): Generator<number> {
  if (o.events < o.users) throw new RangeError('need at least one event per user');
  const rng = mulberry32(o.seed);
  const cat = buildCatalogue(rng, o);
  const userWidth = String(o.users).length;
  const windowStart = o.now - o.days * DAY;
  const latest = o.now - 2 * HOUR;
  let remaining = o.events;
  let sinceYield = 0;
  const sigma = 0.9;
  const sampleItem = (c: number, ts: number): number => {
    const list = cat.byCategory[c];
    for (let attempt = 0; attempt < 8; attempt++) {
      const k = list[cat.samplers[c].sample(rng)];
      if (cat.itemCreatedAt[k] <= ts) return k;
    }
    return list[0];
  };
  const preferred = [0, 0, 0];
  for (let u = 0; u < o.users; u++) {
    const userId = `u${pad(u + 1, userWidth)}`;
    const usersLeft = o.users - u;
    const mean = remaining / usersLeft;
    let budget: number;
    if (usersLeft === 1) budget = remaining;
    else {
      budget = Math.max(1, Math.round(mean * Math.exp(sigma * gauss(rng) - (sigma * sigma) / 2)));
      budget = Math.min(budget, remaining - (usersLeft - 1));
    }
    const arch = pickArchetype(rng);
    if (arch === 0 && usersLeft > 1) budget = Math.min(budget, 1 + Math.floor(rng() * 2));
    remaining -= budget;

    let last: number;
    let first: number;
    if (arch === 0) {
      first = last = latest - rng() * 6 * DAY;
    } else {
      if (arch === 1) last = o.now - (62 + rng() * Math.max(1, o.days - 67)) * DAY;
      else if (arch === 2) last = o.now - (23 + rng() * Math.max(1, Math.min(58, o.days - 5) - 23)) * DAY;
      else last = latest - rng() ** 2 * 18 * DAY;
      first = Math.max(windowStart, last - (14 + rng() * (o.days - 14)) * DAY);
    }
    const nPref = 1 + Math.floor(rng() * 3);
    for (let p = 0; p < nPref; p++) preferred[p] = cat.categorySampler.sample(rng);

    const sessions = Math.max(1, Math.round(budget / 6));
    const starts = new Float64Array(sessions);
    starts[0] = last;
    for (let s = 1; s < sessions; s++) starts[s] = first + (last - first) * rng();
    starts.sort();
    let used = 0;
    for (let s = 0; s < sessions && used < budget; s++) {
      let ts = Math.floor(starts[s] / SECOND) * SECOND;
      const c = rng() < OFF_PREFERENCE_RATE ? cat.categorySampler.sample(rng) : preferred[Math.floor(rng() * nPref)];
      const left = budget - used;
      const sessionsLeft = sessions - s;
      // Views: geometric around the remaining share; the last session takes what is left.
      let views: number;
      if (sessionsLeft === 1) views = left;
      else {
        const share = left / sessionsLeft;
        views = 1;
        const pMore = 1 - 1 / Math.max(1, share * 0.8);
        while (views < left - (sessionsLeft - 1) && rng() < pMore) views++;
      }
      let lastViewed = -1;
      let pick = -1;
      for (let v = 0; v < views && used < budget; v++) {
        const k = sampleItem(c, ts);
        emit(userId, cat.itemIds[k], 'view', ts);
        used++;
        lastViewed = k;
        if (pick < 0 || rng() < 1 / (v + 1)) pick = k;
        if (used < budget && rng() < FAV_RATE) {
          ts += (5 + Math.floor(rng() * 56)) * SECOND;
          emit(userId, cat.itemIds[k], 'fav', ts);
          used++;
        }
        ts += (15 + Math.floor(rng() * 226)) * SECOND;
      }
      if (used < budget && pick >= 0 && rng() < CART_RATE[arch]) {
        emit(userId, cat.itemIds[pick], 'cart', ts);
        used++;
        ts += (30 + Math.floor(rng() * 571)) * SECOND;
        if (used < budget && rng() < BUY_AFTER_CART[arch]) {
          emit(userId, cat.itemIds[pick], 'purchase', ts);
          used++;
        }
      } else if (used < budget && lastViewed >= 0 && rng() < DIRECT_BUY_RATE) {
        emit(userId, cat.itemIds[lastViewed], 'purchase', ts);
        used++;
      }
      // Whatever a short last session left over: more views in the same session.
      while (sessionsLeft === 1 && used < budget) {
        const k = sampleItem(c, ts);
        emit(userId, cat.itemIds[k], 'view', ts);
        used++;
        ts += (15 + Math.floor(rng() * 226)) * SECOND;
      }
    }
    if (used < budget) remaining += budget - used; // (never: the last session fills its budget)
    sinceYield += used;
    if (sinceYield >= yieldEvery) {
      yield sinceYield;
      sinceYield = 0;
    }
  }
  if (sinceYield > 0) yield sinceYield;
}

/** The catalogue of a scale sample (the same one the events were drawn from). */
export function scaleCatalogue(o: ScaleOptions): ScaleCatalogue {
  return buildCatalogue(mulberry32(o.seed), o);
}

const csvId = (s: string) => s; // generated ids never need quoting

/** events-csv text chunks (`userId,itemId,type,timestamp` with ISO timestamps); header optional. */
export function* scaleEventsCsv(o: ScaleOptions, header = true): Generator<string> {
  let lines: string[] = header ? ['userId,itemId,type,timestamp\n'] : [];
  const emit: EventSink = (u, i, t, ts) => {
    lines.push(`${csvId(u)},${csvId(i)},${t},${new Date(ts).toISOString()}\n`);
  };
  for (const _ of generateScaleEvents(o, emit)) {
    yield lines.join('');
    lines = [];
  }
  if (lines.length) yield lines.join('');
}

/** Catalogue CSV chunks (`itemId,category,available,price,createdAt`); header optional. */
export function* scaleItemsCsv(o: ScaleOptions, header = true): Generator<string> {
  const cat = scaleCatalogue(o);
  let lines: string[] = header ? ['itemId,category,available,price,createdAt\n'] : [];
  for (let k = 0; k < cat.itemIds.length; k++) {
    lines.push(
      `${cat.itemIds[k]},${cat.categoryNames[cat.itemCategory[k]]},${cat.itemAvailable[k] ? 'true' : 'false'},${cat.itemPrice[k]},${new Date(cat.itemCreatedAt[k]).toISOString()}\n`,
    );
    if (lines.length >= CHUNK_ROWS) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length) yield lines.join('');
}
