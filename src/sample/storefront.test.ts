import fs from 'fs';
import os from 'os';
import path from 'path';
import type { StoreEvent } from '../domain/types';
import { parseText, createItemLineParser } from '../ingest/formats';
import { readAllEvents } from '../ingest/reader';
import {
  DEFAULT_SAMPLE_NOW,
  DEFAULT_STOREFRONT_OPTIONS,
  generateStorefront,
  mulberry32,
  writeEventsCsv,
  writeItemsCsv,
} from './storefront';

const DAY = 86_400_000;
const sample = generateStorefront(DEFAULT_STOREFRONT_OPTIONS);

function byUser(events: StoreEvent[]): Map<string, StoreEvent[]> {
  const map = new Map<string, StoreEvent[]>();
  for (const e of events) {
    const list = map.get(e.userId);
    if (list) list.push(e);
    else map.set(e.userId, [e]);
  }
  return map;
}

describe('mulberry32', () => {
  it('is deterministic and uniform-ish in [0, 1)', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});

describe('generateStorefront', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    // Compared as JSON: deep equality over 60k objects is needlessly slow in jest.
    expect(JSON.stringify(generateStorefront(DEFAULT_STOREFRONT_OPTIONS))).toBe(JSON.stringify(sample));
    const small = { users: 100, items: 50, categories: 5, days: 120 };
    const a = JSON.stringify(generateStorefront({ ...small, seed: 1 }));
    expect(JSON.stringify(generateStorefront({ ...small, seed: 1 }))).toBe(a);
    expect(JSON.stringify(generateStorefront({ ...small, seed: 2 }))).not.toBe(a);
  });

  it('has the demo size', () => {
    expect(new Set(sample.events.map((e) => e.userId)).size).toBe(DEFAULT_STOREFRONT_OPTIONS.users);
    expect(sample.items).toHaveLength(DEFAULT_STOREFRONT_OPTIONS.items);
    expect(new Set(sample.items.map((i) => i.category)).size).toBe(DEFAULT_STOREFRONT_OPTIONS.categories);
    expect(sample.events.length).toBeGreaterThan(50_000);
    expect(sample.events.length).toBeLessThan(70_000);
  });

  it('keeps events sorted, inside the history and after each item was created', () => {
    const created = new Map(sample.items.map((i) => [i.itemId, i.createdAt ?? 0]));
    const start = DEFAULT_SAMPLE_NOW - DEFAULT_STOREFRONT_OPTIONS.days * DAY;
    let previous = -Infinity;
    const outOfOrder: StoreEvent[] = [];
    const beforeCreation: StoreEvent[] = [];
    for (const e of sample.events) {
      if (e.ts < previous) outOfOrder.push(e);
      if ((created.get(e.itemId) ?? Infinity) > e.ts) beforeCreation.push(e);
      previous = e.ts;
    }
    expect(outOfOrder).toEqual([]);
    expect(beforeCreation).toEqual([]);
    expect(sample.events[0].ts).toBeGreaterThanOrEqual(start);
    expect(previous).toBeLessThan(DEFAULT_SAMPLE_NOW);
  });

  it('has realistic event type ratios', () => {
    const counts = { view: 0, fav: 0, cart: 0, purchase: 0 };
    for (const e of sample.events) counts[e.type]++;
    const share = (n: number) => n / sample.events.length;
    expect(share(counts.view)).toBeGreaterThan(0.8);
    expect(share(counts.view)).toBeLessThan(0.9);
    expect(share(counts.fav)).toBeGreaterThan(0.02);
    expect(share(counts.fav)).toBeLessThan(0.045);
    expect(share(counts.cart)).toBeGreaterThan(0.05);
    expect(share(counts.cart)).toBeLessThan(0.09);
    expect(share(counts.purchase)).toBeGreaterThan(0.03);
    expect(share(counts.purchase)).toBeLessThan(0.055);
  });

  it('precedes every purchase with a view or cart of the same item by the same user', () => {
    const unprompted: StoreEvent[] = [];
    for (const events of byUser(sample.events).values()) {
      const seen = new Set<string>();
      for (const e of events) {
        if (e.type !== 'purchase') seen.add(e.itemId);
        else if (!seen.has(e.itemId)) unprompted.push(e);
      }
    }
    expect(unprompted).toEqual([]);
    expect(sample.events.some((e) => e.type === 'purchase')).toBe(true);
  });

  it('has a power-law popularity: the top 10% of items draw far more than 10% of views', () => {
    const views = new Map<string, number>();
    for (const e of sample.events) if (e.type === 'view') views.set(e.itemId, (views.get(e.itemId) ?? 0) + 1);
    const sorted = [...views.values()].sort((a, b) => b - a);
    const top = sorted.slice(0, Math.ceil(sample.items.length / 10)).reduce((s, n) => s + n, 0);
    expect(top / sorted.reduce((s, n) => s + n, 0)).toBeGreaterThan(0.3);
  });

  it('puts users into every lifecycle bucket by recency', () => {
    const now = sample.events[sample.events.length - 1].ts; // SPEC: now = newest event
    const buckets = { new: 0, churned: 0, at_risk: 0, recent: 0 };
    const buyers = new Map<string, number>();
    for (const [, events] of byUser(sample.events)) {
      const first = events[0].ts;
      const last = events[events.length - 1].ts;
      const distinct = new Set(events.map((e) => e.itemId)).size;
      const purchases = events.filter((e) => e.type === 'purchase').length;
      if (purchases > 0) buyers.set(events[0].userId, purchases);
      if (now - first < 7 * DAY || distinct < 3) buckets.new++;
      else if (now - last > 60 * DAY) buckets.churned++;
      else if (now - last > 21 * DAY) buckets.at_risk++;
      else buckets.recent++;
    }
    const users = DEFAULT_STOREFRONT_OPTIONS.users;
    expect(buckets.new).toBeGreaterThan(users * 0.03);
    expect(buckets.churned).toBeGreaterThan(users * 0.05);
    expect(buckets.at_risk).toBeGreaterThan(users * 0.05);
    expect(buckets.recent).toBeGreaterThan(users * 0.4);
    // Paying users exist, and heavy buyers stand out from them.
    expect(buyers.size).toBeGreaterThan(users * 0.2);
    expect(Math.max(...buyers.values())).toBeGreaterThanOrEqual(8);
  });

  it('has a few unavailable items and some new arrivals', () => {
    const unavailable = sample.items.filter((i) => !i.available).length;
    expect(unavailable).toBeGreaterThan(0);
    expect(unavailable).toBeLessThan(sample.items.length * 0.1);
    const arrivals = sample.items.filter((i) => (i.createdAt ?? 0) > DEFAULT_SAMPLE_NOW - 14 * DAY).length;
    expect(arrivals).toBeGreaterThan(0);
    expect(sample.items.every((i) => i.price !== null && i.price > 0)).toBe(true);
  });

  it('honours a custom now and a short history', () => {
    const now = Date.UTC(2025, 5, 1);
    const small = generateStorefront({ users: 50, items: 30, categories: 4, days: 20, seed: 1, now: new Date(now) });
    expect(small.events.length).toBeGreaterThan(0);
    expect(small.events.every((e) => e.ts < now && e.ts >= now - 20 * DAY)).toBe(true);
  });
});

describe('writeEventsCsv / writeItemsCsv', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recs-sample-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips through the events-csv and catalogue import formats', async () => {
    const small = generateStorefront({ users: 80, items: 40, categories: 5, days: 120, seed: 9 });
    const eventsPath = path.join(dir, 'events.csv');
    const itemsPath = path.join(dir, 'items.csv');
    await writeEventsCsv(eventsPath, small.events);
    await writeItemsCsv(itemsPath, small.items);
    const read = await readAllEvents(eventsPath, 'events-csv');
    expect(read.errors).toEqual([]);
    expect(read.events).toEqual(small.events);
    const items = parseText(fs.readFileSync(itemsPath, 'utf8'), createItemLineParser());
    expect(items.errors).toEqual([]);
    expect(items.rows).toEqual(small.items);
  });
});
