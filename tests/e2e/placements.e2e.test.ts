/**
 * Placements (issue 28) end to end on the real parts (PostgreSQL + Redis): `placement=product`
 * (the page item's list blended with the shopper's touches, then the product chain) and
 * `placement=cart` (purchase complements of the cart, then the cart chain), their 4xx answers, and a
 * storefront with planted complements and substitutes trained through the real pipeline.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { openTestStack, type TestStack } from '../helpers/stack';
import { generateStorefront, type Storefront } from '../../src/sample/storefront';
import type { Item, StoreEvent } from '../../src/domain/types';

interface Entry {
  itemId: string;
  score: number;
  source: string;
}

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const itemIds = (res: request.Response): string[] => res.body.items.map((i: Entry) => i.itemId);
const sources = (res: request.Response): string[] => res.body.items.map((i: Entry) => i.source);

/**
 * Checks that `seq` walks through `stages` in order (each source in the current stage or a later
 * one, never back): e.g. complements, then the chain's steps in the chain's order.
 */
function expectStages(seq: string[], stages: string[][]): void {
  let at = 0;
  for (const s of seq) {
    while (at < stages.length && !stages[at].includes(s)) at++;
    if (at === stages.length) throw new Error(`source '${s}' out of order in [${seq.join(', ')}] (stages ${JSON.stringify(stages)})`);
  }
}

function expectWellFormed(res: request.Response, placement: string, limit: number): void {
  expect(res.status).toBe(200);
  expect(res.body.placement).toBe(placement);
  expect(typeof res.body.modelVersion).toBe('string');
  expect(typeof res.body.recommendationId).toBe('string');
  expect(res.body.degraded).toBe(false);
  expect(res.body.items.length).toBeLessThanOrEqual(limit);
  const ids = itemIds(res);
  expect(new Set(ids).size).toBe(ids.length);
  const scores = res.body.items.map((i: Entry) => i.score);
  for (let k = 1; k < scores.length; k++) expect(scores[k]).toBeLessThanOrEqual(scores[k - 1]);
}

/** What the page list itself serves (contracts/pageRanking.ts), then the product chain (trending, popular). */
const PAGE_SOURCES = ['coview', 'refind', 'embedding', 'category_popular', 'popular'];
const PRODUCT_STAGES = [['coview', 'refind'], ['embedding'], ['category_popular'], ['popular'], ['trending'], ['popular']];
const CART_STAGES = [['complement'], ['best_converting'], ['popular']];

describe('placements on a generated storefront (real stores)', () => {
  let stack: TestStack;
  let sample: Storefront;
  let categoryOf: Map<string, string | null>;
  /** Items with the most purchase complements in another category (bought within 24 h of carting or buying them). */
  let complemented: string[];

  beforeAll(async () => {
    stack = await openTestStack('real');
    sample = generateStorefront({ users: 300, items: 200, categories: 4, days: 60, seed: 28 });
    categoryOf = new Map(sample.items.map((i) => [i.itemId, i.category]));
    const report = await stack.importSample(sample);
    expect(report.rejected).toBe(0);
    expect((await stack.train({ force: true })).status).toBe('live');
    await stack.rt.live.start();

    const byUser = new Map<string, StoreEvent[]>();
    for (const e of sample.events) {
      if (e.type !== 'purchase' && e.type !== 'cart') continue;
      if (!byUser.has(e.userId)) byUser.set(e.userId, []);
      byUser.get(e.userId)!.push(e);
    }
    const pairs = new Map<string, number>();
    for (const evs of byUser.values()) {
      for (const x of evs) {
        if (x.type !== 'purchase') continue;
        for (const y of evs) {
          if (x.itemId === y.itemId || Math.abs(x.ts - y.ts) > DAY || categoryOf.get(x.itemId) === categoryOf.get(y.itemId)) continue;
          pairs.set(y.itemId, (pairs.get(y.itemId) ?? 0) + 1);
        }
      }
    }
    complemented = [...pairs].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
    expect(complemented.length).toBeGreaterThan(3);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const recs = (userId: string, query: string) =>
    request(stack.app).get(`/v1/users/${encodeURIComponent(userId)}/recommendations?${query}`);
  const similar = (itemId: string, limit: number) =>
    request(stack.app).get(`/v1/items/${encodeURIComponent(itemId)}/similar?limit=${limit}`);
  const view = (userId: string, itemId: string, timestamp?: string) =>
    request(stack.app)
      .post('/v1/events')
      .send({ events: [{ userId, itemId, type: 'view', ...(timestamp ? { timestamp } : {}) }] })
      .expect(202);

  it('answers `home` by default and says so in the body', async () => {
    const userId = sample.events[sample.events.length - 1].userId;
    for (const query of ['limit=10', 'limit=10&category=' + encodeURIComponent(sample.items[0].category!), 'limit=7&placement=home']) {
      const res = await recs(userId, query);
      expectWellFormed(res, 'home', 10);
      expect(res.body.items.length).toBeGreaterThan(0);
    }
    // The plain answer (read off the fast path without a query object) says it too.
    const plain = await request(stack.app).get(`/v1/users/${userId}/recommendations`);
    expect(plain.body.placement).toBe('home');
    const ctx = await recs(userId, `limit=10&context=${sample.items[3].itemId}`);
    expect(ctx.body.placement).toBe('home');
  });

  it("answers `product` with the page item's list: never the item itself, page sources then the product chain", async () => {
    const contexts = sample.items.filter((_, k) => k % 13 === 0).map((i) => i.itemId);
    expect(contexts.length).toBeGreaterThan(10);
    for (const x of contexts) {
      for (const limit of [10, 100]) {
        const res = await recs('someone-new', `placement=product&context=${encodeURIComponent(x)}&limit=${limit}`);
        expectWellFormed(res, 'product', limit);
        expect(res.body.items).toHaveLength(limit);
        expect(itemIds(res)).not.toContain(x);
        for (const s of sources(res)) expect([...PAGE_SOURCES, 'trending']).toContain(s);
        expectStages(sources(res), PRODUCT_STAGES);
      }
    }
  });

  it("never lists the page item when a category filter leaves the page's own list short and the chain fills the rest", async () => {
    for (const item of sample.items.filter((i, k) => i.available && k % 17 === 2)) {
      const category = item.category!;
      const inCategory = sample.items.filter((i) => i.category === category && i.available).length;
      expect(inCategory).toBeLessThan(100);
      const res = await recs(
        'someone-new',
        `placement=product&context=${encodeURIComponent(item.itemId)}&category=${encodeURIComponent(category)}&limit=100`,
      );
      expectWellFormed(res, 'product', 100);
      for (const id of itemIds(res)) expect(categoryOf.get(id)).toBe(category);
      expect(itemIds(res)).not.toContain(item.itemId);
      // Every other available item of the category.
      expect(res.body.items).toHaveLength(inCategory - 1);
    }
  });

  it('serves a shopper with no history exactly the product page (/similar) of the context item', async () => {
    for (const item of sample.items.filter((_, k) => k % 29 === 1)) {
      const page = await similar(item.itemId, 20);
      expect(page.status).toBe(200);
      const res = await recs('never-seen-shopper', `placement=product&context=${encodeURIComponent(item.itemId)}&limit=20`);
      expect(res.body.items).toEqual(page.body.items);
      // The page's head is its co-views.
      expect(res.body.items[0].source).toBe('coview');
    }
  });

  it('keeps the current visit off the page: items the shopper looked at minutes ago are not offered again', async () => {
    const x = sample.items[7].itemId;
    const fresh = await recs('visit-baseline', `placement=product&context=${x}&limit=20`);
    const [y1, y2] = itemIds(fresh);
    const userId = 'visit-shopper';
    await view(userId, x);
    await view(userId, y1);
    await view(userId, y2);
    const res = await recs(userId, `placement=product&context=${x}&limit=20`);
    expectWellFormed(res, 'product', 20);
    expect(res.body.items).toHaveLength(20);
    const ids = itemIds(res);
    for (const hidden of [x, y1, y2]) expect(ids).not.toContain(hidden);
    // What was third for the plain page is now first.
    expect(ids[0]).toBe(itemIds(fresh)[2]);
  });

  it('brings back an item of an earlier visit as `refind`, and lifts a touched item of the page category by touchCategory', async () => {
    const when = new Date(Date.now() - 2 * HOUR).toISOString();
    // Outside the row: an item of another category the plain page does not list as a co-view.
    let done = 0;
    for (const x of sample.items.filter((_, k) => k % 11 === 4).map((i) => i.itemId)) {
      const fresh = await recs('refind-baseline', `placement=product&context=${x}&limit=100`);
      const row = new Map(fresh.body.items.map((e: Entry) => [e.itemId, e]));
      const other = sample.items.find(
        (i) => i.available && i.category !== categoryOf.get(x) && (row.get(i.itemId) as Entry | undefined)?.source !== 'coview',
      );
      const sameCat = sample.items.find(
        (i) =>
          i.available &&
          i.itemId !== x &&
          i.category === categoryOf.get(x) &&
          (row.get(i.itemId) as Entry | undefined)?.source === 'category_popular',
      );
      if (!other || !sameCat) continue;
      const a = `refind-shopper-${x}-a`;
      await view(a, other.itemId, when);
      const resA = await recs(a, `placement=product&context=${x}&limit=100`);
      // A view one step back weighs 1; touchWeight 0.5; no page score outside the row.
      expect(resA.body.items.find((e: Entry) => e.itemId === other.itemId)).toEqual({ itemId: other.itemId, score: 0.5, source: 'refind' });
      const b = `refind-shopper-${x}-b`;
      await view(b, sameCat.itemId, when);
      const resB = await recs(b, `placement=product&context=${x}&limit=100`);
      const lifted = resB.body.items.find((e: Entry) => e.itemId === sameCat.itemId) as Entry;
      // touchCategory 1 + the touch 0.5: scored among the row, no longer in the category continuation.
      expect(lifted).toEqual({ itemId: sameCat.itemId, score: 1.5, source: 'coview' });
      // On the plain page it was in the category continuation, below every row score.
      const before = row.get(sameCat.itemId) as Entry;
      expect(before.score).toBeLessThan(1);
      expect(lifted.score).toBeGreaterThan(before.score);
      done++;
    }
    expect(done).toBeGreaterThan(0);
  });

  it("answers `cart` with the cart's complements first, then best_converting and popular, never the cart's items or their categories", async () => {
    for (const a of complemented.slice(0, 5)) {
      const res = await recs('cart-shopper', `placement=cart&cart=${encodeURIComponent(a)}&limit=10`);
      expectWellFormed(res, 'cart', 10);
      expect(res.body.items).toHaveLength(10);
      expect(res.body.items[0].source).toBe('complement');
      expectStages(sources(res), CART_STAGES);
      expect(itemIds(res)).not.toContain(a);
      for (const id of itemIds(res)) expect(categoryOf.get(id)).not.toBe(categoryOf.get(a));
    }
    const [a, b] = complemented.filter((id, k, all) => all.findIndex((o) => categoryOf.get(o) === categoryOf.get(id)) === k);
    expect(categoryOf.get(a)).not.toBe(categoryOf.get(b));
    const res = await recs('cart-shopper', `placement=cart&cart=${a},${b}&limit=100`);
    expectWellFormed(res, 'cart', 100);
    expect(res.body.items.length).toBeGreaterThan(0);
    expectStages(sources(res), CART_STAGES);
    for (const id of itemIds(res)) {
      expect([a, b]).not.toContain(id);
      expect([categoryOf.get(a), categoryOf.get(b)]).not.toContain(categoryOf.get(id));
    }
  });

  it('takes a cart of 50 items', async () => {
    const cart = sample.items.slice(0, 50).map((i) => i.itemId);
    const res = await recs('big-cart', `placement=cart&cart=${cart.join(',')}&limit=20`);
    expectWellFormed(res, 'cart', 20);
    for (const id of itemIds(res)) expect(cart).not.toContain(id);
  });

  it('rejects placement misuse with a 400 naming the field, whatever the placement', async () => {
    const x = encodeURIComponent(sample.items[0].itemId);
    const c51 = Array.from({ length: 51 }, (_, k) => sample.items[k].itemId).join(',');
    const cases: Array<[string, string]> = [
      ['placement=product', 'query.context'],
      ['placement=product&limit=5', 'query.context'],
      ['placement=product&context=', 'query.context'],
      ['placement=product&context=no-such-item', 'query.context'],
      ['placement=cart', 'query.cart'],
      ['placement=cart&cart=', 'query.cart'],
      ['placement=cart&cart=,,,', 'query.cart'],
      [`placement=cart&cart=${c51}`, 'query.cart'],
      [`placement=cart&cart=${x}&cart=${x}`, 'query.cart'],
      [`cart=${x}`, 'query.cart'],
      [`placement=home&cart=${x}`, 'query.cart'],
      [`placement=product&context=${x}&cart=${x}`, 'query.cart'],
      ['placement=checkout', 'query.placement'],
      ['placement=Product&context=' + x, 'query.placement'],
      ['placement=', 'query.placement'],
      [`placement=product&placement=cart&context=${x}`, 'query.placement'],
    ];
    for (const [query, field] of cases) {
      const res = await recs('u1', query);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toContain(field);
      expect(res.body.error.details[0].field).toBe(field);
      expect(typeof res.body.error.details[0].message).toBe('string');
    }
  });
});

/**
 * A storefront with planted structure. Shirts A, S1, S2 are substitutes: seen together in 100
 * sessions, S1 or S2 bought instead of A. Belt C complements A (40 shoppers cart and buy A, then
 * buy C within the hour); socks D less often (12 shoppers); hat E is bought by more shoppers (45)
 * than C but three days after A (outside the 24 h window). Misc items M1..M6 are the best sellers.
 * T (its own category) trends: 25 shoppers looked at it 3 to 4 days before the end, never before.
 */
function plantedStorefront(): { items: Item[]; events: StoreEvent[] } {
  const END = Date.UTC(2026, 0, 31);
  const items: Item[] = [];
  const add = (itemId: string, category: string) => items.push({ itemId, category, available: true, price: 20, createdAt: null });
  for (const id of ['A', 'S1', 'S2', 'SH1', 'SH2']) add(id, 'shirts');
  for (const id of ['C', 'BE1']) add(id, 'belts');
  add('D', 'socks');
  add('E', 'hats');
  for (let m = 1; m <= 6; m++) add(`M${m}`, 'misc');
  add('T', 'trend');
  const events: StoreEvent[] = [];
  const at = (daysBeforeEnd: number, minutes = 0) => END - Math.round(daysBeforeEnd * DAY) + minutes * MINUTE;
  const e = (userId: string, itemId: string, type: StoreEvent['type'], ts: number) => events.push({ userId, itemId, type, ts });
  for (let k = 0; k < 40; k++) {
    const u = `outfit-${k}`;
    const d = 40 - k * 0.5;
    e(u, 'A', 'view', at(d, 0));
    e(u, 'S1', 'view', at(d, 2));
    e(u, 'S2', 'view', at(d, 4));
    e(u, 'A', 'cart', at(d, 8));
    e(u, 'A', 'purchase', at(d, 10));
    e(u, 'C', 'view', at(d, 30));
    e(u, 'C', 'purchase', at(d, 60));
    if (k < 12) {
      e(u, 'D', 'view', at(d, 90));
      e(u, 'D', 'purchase', at(d, 120));
    }
  }
  for (let k = 0; k < 60; k++) {
    const u = `compare-${k}`;
    const d = 38 - k * 0.4;
    e(u, 'A', 'view', at(d, 0));
    e(u, 'S1', 'view', at(d, 2));
    e(u, 'S2', 'view', at(d, 4));
    e(u, 'SH1', 'view', at(d, 5));
    e(u, k % 2 ? 'S1' : 'S2', 'purchase', at(d, 10));
  }
  for (let k = 0; k < 45; k++) {
    const u = `later-${k}`;
    const d = 50 - k * 0.3;
    e(u, 'A', 'purchase', at(d, 0));
    e(u, 'E', 'view', at(d - 3, 0));
    e(u, 'E', 'purchase', at(d - 3, 5));
  }
  for (let k = 0; k < 90; k++) {
    const u = `misc-${k}`;
    const d = 30 - k * 0.3;
    const m = (k % 6) + 1;
    e(u, `M${m}`, 'view', at(d, 0));
    e(u, `M${m}`, 'purchase', at(d, 5));
    e(u, `M${(m % 6) + 1}`, 'view', at(d, 10));
  }
  for (let k = 0; k < 25; k++) e(`trend-${k}`, 'T', 'view', at(4 - k * 0.04, 0));
  // The newest events: the last day's browsing of the best sellers.
  for (let k = 0; k < 12; k++) e(`recent-${k}`, `M${(k % 3) + 1}`, 'view', at(1 - k / 12, 0));
  events.sort((a, b) => a.ts - b.ts);
  return { items, events };
}

describe('placements on planted complements and substitutes (real stores, trained by the real trainer)', () => {
  let stack: TestStack;
  let version: string;
  let policyDir: string;

  beforeAll(async () => {
    // The product page's popularity counts the last 2 days only, so items active 3 to 7 days ago
    // are left to the product chain (its `trending` step). Everything else is the default policy.
    policyDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-placements-'));
    const policyFile = path.join(policyDir, 'policy.json');
    await fs.promises.writeFile(
      policyFile,
      JSON.stringify({ training: { embedding: { enabled: false } }, placements: { product: { page: { popularityDays: 2 } } } }),
    );
    stack = await openTestStack('real', { RECS_CONFIG_FILE: policyFile });
    const data = plantedStorefront();
    const report = await stack.importSample(data);
    expect(report.rejected).toBe(0);
    expect(report.imported).toBe(data.events.length);
    const trained = await stack.train({ force: true });
    expect(trained.status).toBe('live');
    version = trained.version;
    await stack.rt.live.start();
  });

  afterAll(async () => {
    await stack?.close();
    if (policyDir) await fs.promises.rm(policyDir, { recursive: true, force: true });
  });

  const recs = (userId: string, query: string) =>
    request(stack.app).get(`/v1/users/${encodeURIComponent(userId)}/recommendations?${query}`);
  const SHIRTS = ['A', 'S1', 'S2', 'SH1', 'SH2'];

  it('the substitutes are what the product page of A shows first (co-viewed in 100 sessions, C in 40)', async () => {
    const res = await recs('page-shopper', 'placement=product&context=A&limit=5');
    expectWellFormed(res, 'product', 5);
    expect(res.body.modelVersion).toBe(version);
    const ids = itemIds(res);
    expect(ids.slice(0, 2).sort()).toEqual(['S1', 'S2']);
    expect(sources(res).slice(0, 2)).toEqual(['coview', 'coview']);
    expect(ids).not.toContain('A');
    if (ids.includes('C')) expect(ids.indexOf('C')).toBeGreaterThan(1);
  });

  it('ranks the planted complement C first for a cart holding A, then D; substitutes never, nor E bought days later', async () => {
    // A shopper unknown to the model, and one who bought S1 instead of A.
    for (const userId of ['cart-newcomer', 'compare-5']) {
      const res = await recs(userId, 'placement=cart&cart=A&limit=10');
      expectWellFormed(res, 'cart', 10);
      const items = res.body.items as Entry[];
      // The cart's categories are left out, so only 11 items can be served.
      expect(items.length).toBeGreaterThanOrEqual(9);
      expect(items[0]).toMatchObject({ itemId: 'C', source: 'complement' });
      expect(items[1]).toMatchObject({ itemId: 'D', source: 'complement' });
      expect(items[0].score).toBeGreaterThan(items[1].score);
      expect(items.filter((i) => i.source === 'complement').map((i) => i.itemId)).toEqual(['C', 'D']);
      const ids = itemIds(res);
      for (const shirt of SHIRTS) expect(ids).not.toContain(shirt);
      expect(ids).toContain('E');
      expectStages(sources(res), CART_STAGES);
    }
    // outfit-3 bought A, C and D: the bought filter applies to complements too.
    const bought = await recs('outfit-3', 'placement=cart&cart=A&limit=10');
    expectWellFormed(bought, 'cart', 10);
    for (const id of ['C', 'D', ...SHIRTS]) expect(itemIds(bought)).not.toContain(id);
    expect(sources(bought)).not.toContain('complement');
    expectStages(sources(bought), CART_STAGES);
  });

  it('puts C above S1 and S2 whatever else the cart holds, and keeps the cart chain after the complements', async () => {
    for (const cart of ['A,S1', 'S2,A', 'A,SH2']) {
      const res = await recs('cart-mixed', `placement=cart&cart=${cart}&limit=15`);
      expectWellFormed(res, 'cart', 15);
      expect(res.body.items[0]).toMatchObject({ itemId: 'C', source: 'complement' });
      const ids = itemIds(res);
      for (const shirt of SHIRTS) expect(ids).not.toContain(shirt);
      expect(ids).toContain('E');
      expect((res.body.items as Entry[]).find((i) => i.itemId === 'E')!.source).not.toBe('complement');
      expectStages(sources(res), CART_STAGES);
      expect(sources(res)).toContain('best_converting');
    }
    // A cart of the complement alone: A (and its substitutes) come back the other way.
    const back = await recs('cart-mixed', 'placement=cart&cart=C&limit=5');
    expect(back.body.items[0]).toMatchObject({ itemId: 'A', source: 'complement' });
    expect(itemIds(back)).not.toContain('BE1');
  });

  it('leaves out a complement the shopper just bought, or one that became unavailable', async () => {
    const userId = 'just-bought-c';
    await request(stack.app)
      .post('/v1/events')
      .send({ events: [{ userId, itemId: 'C', type: 'purchase' }] })
      .expect(202);
    const res = await recs(userId, 'placement=cart&cart=A&limit=10');
    expect(itemIds(res)).not.toContain('C');
    expect(res.body.items[0]).toMatchObject({ itemId: 'D', source: 'complement' });

    await request(stack.app).put('/v1/items/D').send({ available: false }).expect(200);
    try {
      const other = await recs('cart-newcomer-2', 'placement=cart&cart=A&limit=10');
      expect(itemIds(other)).not.toContain('D');
      expect(other.body.items[0]).toMatchObject({ itemId: 'C', source: 'complement' });
      expect(other.body.items[1].source).not.toBe('complement');
    } finally {
      await request(stack.app).put('/v1/items/D').send({ available: true }).expect(200);
    }
  });

  it('fills a product page past its own list from the product chain: `trending` serves the trending item', async () => {
    const res = await recs('chain-shopper', 'placement=product&context=A&limit=14');
    expectWellFormed(res, 'product', 14);
    expect(res.body.items).toHaveLength(14);
    const items = res.body.items as Entry[];
    expect(items.find((i) => i.itemId === 'T')).toMatchObject({ source: 'trending' });
    expectStages(sources(res), PRODUCT_STAGES);
    // The page's own sources come first, the chain after them.
    const firstChain = items.findIndex((i) => i.source === 'trending');
    for (const i of items.slice(firstChain)) expect(['trending', 'popular']).toContain(i.source);
    for (const i of items.slice(0, firstChain)) expect(PAGE_SOURCES).toContain(i.source);
  });

  it('never lists the page item, even when the list runs through the whole product chain and the catalogue', async () => {
    for (const context of ['A', 'C', 'T', 'M1']) {
      const res = await recs('whole-catalogue', `placement=product&context=${context}&limit=100`);
      expectWellFormed(res, 'product', 100);
      expect(itemIds(res)).not.toContain(context);
      // Every other item of the catalogue (16 items) is available and unbought.
      expect(res.body.items).toHaveLength(15);
    }
  });

  it('never lists the cart items, even when the list runs through the whole cart chain and the catalogue', async () => {
    const res = await recs('whole-catalogue', 'placement=cart&cart=C,T&limit=100');
    expectWellFormed(res, 'cart', 100);
    const ids = itemIds(res);
    for (const id of ['C', 'BE1', 'T']) expect(ids).not.toContain(id);
    expect(ids.sort()).toEqual(['A', 'D', 'E', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'S1', 'S2', 'SH1', 'SH2']);
  });
});
