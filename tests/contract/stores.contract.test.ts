/**
 * One contract for the relational stores, run against embedded PGlite and real PostgreSQL.
 * The PostgreSQL half needs TEST_DATABASE_URL (scripts/with-test-servers.sh): without it the
 * helper throws and these tests fail rather than skip.
 */
import { mkdtemp, rm, stat } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import type { EventType, ItemPatch, Segment, StoreEvent } from '../../src/domain/types';
import type { OutcomeRow } from '../../src/contracts/outcomes';
import { ConflictError, NotFoundError } from '../../src/errors';
import { openDatabase } from '../../src/storage/database';
import type { Database } from '../../src/storage/ports';
import { MIGRATIONS } from '../../src/storage/sql/migrations';
import { freshDatabase } from '../helpers/servers';

interface FreshDatabase {
  db: Database;
  /** Opens a second, independent handle on the same database (another "process"), if the driver can. */
  openAnother?: () => Promise<Database>;
  dispose: () => Promise<void>;
}

type Factory = () => Promise<FreshDatabase>;

const T0 = Date.UTC(2024, 0, 15, 12, 0, 0, 123);
const MINUTE = 60_000;

const TRICKY = [
  'plain',
  'comma,inside',
  'quote"double',
  "quote'single",
  'new\nline',
  'carriage\r\nreturn',
  'tab\there',
  'back\\slash',
  '\\N',
  'NULL',
  '',
  ' leading and trailing ',
  'emoji 🛒🎁',
  'ünïcødé 日本語',
  "'; DROP TABLE events; --",
  "\"),('x','y','view',now()); --",
  '{"a":1}',
  '{braces,in,array}',
];

async function collect<T>(iterable: AsyncIterable<T[]>, maxBatch?: number): Promise<{ all: T[]; batches: number }> {
  const all: T[] = [];
  let batches = 0;
  for await (const batch of iterable) {
    batches += 1;
    expect(batch.length).toBeGreaterThan(0);
    if (maxBatch !== undefined) expect(batch.length).toBeLessThanOrEqual(maxBatch);
    all.push(...batch);
  }
  return { all, batches };
}

/** Sorts by ts, keeping input order among equal timestamps (the id order the stores promise). */
function byTsStable(events: StoreEvent[]): StoreEvent[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.ts - b.e.ts || a.i - b.i)
    .map(({ e }) => e);
}

function storeContract(driver: string, openFresh: Factory): void {
  describe(driver, () => contractFor(openFresh));
}

function contractFor(openFresh: Factory): void {
  // One database per driver (opening PGlite costs seconds); each group works on its own tables,
  // and each group migrates in beforeAll so a filtered run (-t) still finds the schema.
  let fresh: FreshDatabase;
  let db: Database;
  beforeAll(async () => {
    fresh = await openFresh();
    db = fresh.db;
  });
  afterAll(async () => fresh?.dispose());

  describe('migrations', () => {
    it('reports version 0, applies every migration exactly once even with two concurrent migrators, and is idempotent', async () => {
      expect(await db.schemaVersion()).toBe(0);
      // Two handles ("processes") on PostgreSQL; PGlite has one connection, so two concurrent calls.
      const other = fresh.openAnother ? await fresh.openAnother() : db;
      const [a, b] = await Promise.all([db.migrate(), other.migrate()]);
      expect([...a, ...b].sort((x, y) => x - y)).toEqual(MIGRATIONS.map((m) => m.version));
      const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
      expect(await db.schemaVersion()).toBe(latest);
      expect(await other.schemaVersion()).toBe(latest);
      expect(await db.migrate()).toEqual([]);
      expect(await other.migrate()).toEqual([]);
      expect(await db.schemaVersion()).toBe(latest);
      await expect(db.ping()).resolves.toBeUndefined();
    });
  });

  describe('events', () => {
    beforeAll(async () => {
      await db.migrate();
    });

    it('is empty at first', async () => {
      expect(await db.events.countEvents()).toBe(0);
      expect(await db.events.latestEventTime()).toBeNull();
      expect((await collect(db.events.streamEvents(10))).all).toEqual([]);
      expect(await db.events.recentEventsForUser('nobody', 10)).toEqual([]);
    });

    it('insertEvents writes a batch and round-trips timestamps to the millisecond', async () => {
      const events: StoreEvent[] = [
        { userId: 'u-ms', itemId: 'i1', type: 'view', ts: T0 },
        { userId: 'u-ms', itemId: 'i2', type: 'purchase', ts: T0 + 1 },
        { userId: 'u-ms', itemId: 'i3', type: 'fav', ts: -1_001 }, // before 1970
      ];
      expect(await db.events.insertEvents(events)).toBe(3);
      expect(await db.events.countEvents()).toBe(3);
      expect(await db.events.recentEventsForUser('u-ms', 10)).toEqual([events[1], events[0], events[2]]);
      expect(await db.events.latestEventTime()).toBe(T0 + 1);
      expect(await db.events.insertEvents([])).toBe(0);
    });

    it('insertEvents is all-or-nothing: one invalid type writes nothing', async () => {
      const before = await db.events.countEvents();
      const batch: StoreEvent[] = [
        { userId: 'u-atomic', itemId: 'a', type: 'view', ts: T0 },
        { userId: 'u-atomic', itemId: 'b', type: 'bogus' as EventType, ts: T0 },
        { userId: 'u-atomic', itemId: 'c', type: 'cart', ts: T0 },
      ];
      await expect(db.events.insertEvents(batch)).rejects.toThrow();
      expect(await db.events.countEvents()).toBe(before);
      expect(await db.events.recentEventsForUser('u-atomic', 10)).toEqual([]);
    });

    it('bulkInsertEvents is all-or-nothing per call', async () => {
      const before = await db.events.countEvents();
      const batch: StoreEvent[] = Array.from({ length: 500 }, (_, i) => ({
        userId: 'u-bulk-atomic',
        itemId: `i${i}`,
        type: (i === 499 ? 'refund' : 'view') as EventType,
        ts: T0 + i,
      }));
      await expect(db.events.bulkInsertEvents(batch)).rejects.toThrow();
      expect(await db.events.countEvents()).toBe(before);
      // An unrepresentable timestamp far into the batch (after COPY has started streaming on PostgreSQL).
      const badTs = Array.from({ length: 12_000 }, (_, i) => ({ ...batch[0]!, itemId: `t${i}`, ts: i === 11_000 ? Number.NaN : T0 + i }));
      await expect(db.events.bulkInsertEvents(badTs)).rejects.toThrow(RangeError);
      expect(await db.events.countEvents()).toBe(before);
    });

    it('concurrent insertEvents calls neither interleave nor leak a failed batch', async () => {
      const before = await db.events.countEvents();
      const good = (n: number): StoreEvent[] =>
        Array.from({ length: 50 }, (_, i) => ({ userId: `u-conc-${n}`, itemId: `i${i}`, type: 'view', ts: T0 + i }));
      const bad: StoreEvent[] = [...good(99), { userId: 'u-conc-99', itemId: 'x', type: 'nope' as EventType, ts: T0 }];
      const results = await Promise.allSettled([
        db.events.insertEvents(good(1)),
        db.events.insertEvents(bad),
        db.events.insertEvents(good(2)),
        db.events.insertEvents(good(3)),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(await db.events.countEvents()).toBe(before + 150);
      expect(await db.events.recentEventsForUser('u-conc-99', 100)).toEqual([]);
    });

    it('recentEventsForUser returns only that user, newest first, up to the limit', async () => {
      const mine: StoreEvent[] = Array.from({ length: 8 }, (_, i) => ({
        userId: "u-recent'; --",
        itemId: `r${i}`,
        type: 'cart',
        ts: T0 + (i % 4) * MINUTE, // pairs share a timestamp: the later insert counts as newer
      }));
      await db.events.insertEvents([...mine, { userId: 'u-recent-other', itemId: 'zz', type: 'view', ts: T0 + 99 * MINUTE }]);
      const recent = await db.events.recentEventsForUser("u-recent'; --", 3);
      expect(recent).toEqual([mine[7], mine[3], mine[6]]);
      expect(await db.events.recentEventsForUser("u-recent'; --", 100)).toHaveLength(8);
      expect(await db.events.latestEventTime()).toBe(T0 + 99 * MINUTE);
    });

    it('bulkInsertEvents round-trips 20k events with tricky ids through streamEvents in (ts, id) order', async () => {
      const before = await db.events.countEvents();
      const types: EventType[] = ['view', 'fav', 'cart', 'purchase'];
      const bulk: StoreEvent[] = Array.from({ length: 20_000 }, (_, i) => ({
        userId: `bulk:${TRICKY[i % TRICKY.length]}:${i % 97}`,
        itemId: `${TRICKY[(i * 7) % TRICKY.length]}#${i % 1_000}`,
        type: types[i % 4]!,
        // Many equal timestamps, out of insertion order, so the id tie-break matters.
        ts: T0 - 30 * MINUTE + ((i * 7_919) % 1_500) * 1_000,
      }));
      expect(await db.events.bulkInsertEvents(bulk)).toBe(bulk.length);
      expect(await db.events.countEvents()).toBe(before + bulk.length);

      const { all, batches } = await collect(db.events.streamEvents(997), 997);
      expect(all).toHaveLength(before + bulk.length);
      expect(batches).toBe(Math.ceil(all.length / 997));
      for (let i = 1; i < all.length; i++) expect(all[i]!.ts).toBeGreaterThanOrEqual(all[i - 1]!.ts);
      const streamedBulk = all.filter((e) => e.userId.startsWith('bulk:'));
      expect(streamedBulk).toEqual(byTsStable(bulk));
      // The equality above is byte for byte; spot-check that ids of every tricky kind were present.
      const itemIds = new Set(streamedBulk.map((e) => e.itemId.slice(0, e.itemId.lastIndexOf('#'))));
      expect(itemIds).toEqual(new Set(TRICKY));
      expect(await db.events.recentEventsForUser(`bulk:${TRICKY[4]}:4`, 1)).toHaveLength(1);
    });

    it('insertEvents keeps tricky ids exact as well', async () => {
      const events: StoreEvent[] = TRICKY.map((id, i) => ({
        userId: 'u-tricky-insert',
        itemId: id,
        type: 'view',
        ts: T0 + 1_000 * MINUTE + i,
      }));
      await db.events.insertEvents(events);
      expect((await db.events.recentEventsForUser('u-tricky-insert', 100)).map((e) => e.itemId)).toEqual([...TRICKY].reverse());
    });

    it('streamEvents with the default batch size yields everything once', async () => {
      const total = await db.events.countEvents();
      const { all } = await collect(db.events.streamEvents());
      expect(all).toHaveLength(total);
    });
  });

  describe('catalogue', () => {
    beforeAll(async () => {
      await db.migrate();
    });

    it('getItem is null for an unknown item', async () => {
      expect(await db.catalog.getItem('missing')).toBeNull();
      expect(await db.catalog.countItems()).toBe(0);
    });

    it('upsertItems inserts with defaults and changes only the fields present', async () => {
      expect(await db.catalog.upsertItems([{ itemId: 'p1' }])).toBe(1);
      expect(await db.catalog.getItem('p1')).toEqual({ itemId: 'p1', category: null, available: true, price: null, createdAt: null });

      await db.catalog.upsertItems([{ itemId: 'p1', category: 'shoes', price: 19.99, createdAt: T0 }]);
      await db.catalog.upsertItems([{ itemId: 'p1', available: false }]);
      expect(await db.catalog.getItem('p1')).toEqual({ itemId: 'p1', category: 'shoes', available: false, price: 19.99, createdAt: T0 });

      // An explicit null clears; an undefined property counts as absent.
      await db.catalog.upsertItems([{ itemId: 'p1', price: null, category: undefined }]);
      expect(await db.catalog.getItem('p1')).toEqual({ itemId: 'p1', category: 'shoes', available: false, price: null, createdAt: T0 });
      await db.catalog.upsertItems([{ itemId: 'p1', category: null, createdAt: null, available: true }]);
      expect(await db.catalog.getItem('p1')).toEqual({ itemId: 'p1', category: null, available: true, price: null, createdAt: null });
    });

    it('upsertItems applies several patches of one item in order and mixes shapes in one call', async () => {
      const patches: ItemPatch[] = [
        { itemId: 'p2', category: 'hats', price: 5 },
        { itemId: 'p3', available: false },
        { itemId: 'p2', price: 7.5 },
        { itemId: 'p2', available: false, category: 'caps' },
      ];
      expect(await db.catalog.upsertItems(patches)).toBe(2);
      expect(await db.catalog.getItem('p2')).toEqual({ itemId: 'p2', category: 'caps', available: false, price: 7.5, createdAt: null });
      expect(await db.catalog.getItem('p3')).toEqual({ itemId: 'p3', category: null, available: false, price: null, createdAt: null });
    });

    it('upsertItems is one transaction', async () => {
      const before = await db.catalog.countItems();
      const patches: ItemPatch[] = [
        { itemId: 'p-ok', category: 'fine' },
        { itemId: 'p-bad', available: null as unknown as boolean }, // violates NOT NULL
      ];
      await expect(db.catalog.upsertItems(patches)).rejects.toThrow();
      expect(await db.catalog.countItems()).toBe(before);
      expect(await db.catalog.getItem('p-ok')).toBeNull();
    });

    it('ensureItems adds unknown items, fills a missing category, keeps the earliest first_seen, and leaves the rest alone', async () => {
      await db.catalog.upsertItems([
        { itemId: 'e-known', category: 'books', available: false, price: 3 },
        { itemId: 'e-nocat', price: 4 },
      ]);
      const added = await db.catalog.ensureItems([
        { itemId: 'e-known', category: 'toys', firstSeen: T0 },
        { itemId: 'e-nocat', category: 'games' },
        { itemId: 'e-new', category: null, firstSeen: T0 + MINUTE },
        { itemId: 'e-new', category: 'garden', firstSeen: T0 },
        { itemId: "e-'; DROP TABLE items; --" },
      ]);
      expect(added).toBe(2);
      expect(await db.catalog.getItem('e-known')).toEqual({
        itemId: 'e-known',
        category: 'books',
        available: false,
        price: 3,
        createdAt: T0,
      });
      expect(await db.catalog.getItem('e-nocat')).toEqual({
        itemId: 'e-nocat',
        category: 'games',
        available: true,
        price: 4,
        createdAt: null,
      });
      // Without a catalogue creation date, createdAt falls back to when the item was first seen.
      expect(await db.catalog.getItem('e-new')).toEqual({
        itemId: 'e-new',
        category: 'garden',
        available: true,
        price: null,
        createdAt: T0,
      });
      expect(await db.catalog.getItem("e-'; DROP TABLE items; --")).not.toBeNull();

      expect(await db.catalog.ensureItems([{ itemId: 'e-new', category: 'other', firstSeen: T0 + 5 * MINUTE }])).toBe(0);
      expect((await db.catalog.getItem('e-new'))?.createdAt).toBe(T0);
      await db.catalog.ensureItems([{ itemId: 'e-new', firstSeen: T0 - MINUTE }]);
      expect(await db.catalog.getItem('e-new')).toMatchObject({ category: 'garden', createdAt: T0 - MINUTE });
      // A catalogue createdAt wins over first_seen.
      await db.catalog.upsertItems([{ itemId: 'e-new', createdAt: T0 + 10 * MINUTE }]);
      expect((await db.catalog.getItem('e-new'))?.createdAt).toBe(T0 + 10 * MINUTE);
      expect(await db.catalog.ensureItems([])).toBe(0);
    });

    it('streamItems yields every item once, ordered by id, in bounded batches', async () => {
      const many = Array.from({ length: 1_234 }, (_, i) => ({
        itemId: `s-${TRICKY[i % TRICKY.length]}-${i}`,
        category: i % 2 ? 'odd' : null,
      }));
      expect(await db.catalog.ensureItems(many)).toBe(many.length);
      const total = await db.catalog.countItems();
      const { all, batches } = await collect(db.catalog.streamItems(100), 100);
      expect(all).toHaveLength(total);
      expect(batches).toBe(Math.ceil(total / 100));
      expect(new Set(all.map((i) => i.itemId)).size).toBe(total);
      const streamedIds = all.map((i) => i.itemId).filter((id) => id.startsWith('s-'));
      expect(new Set(streamedIds)).toEqual(new Set(many.map((m) => m.itemId)));
      const odd = all.find((i) => i.itemId === many[1]!.itemId);
      expect(odd).toEqual({ itemId: many[1]!.itemId, category: 'odd', available: true, price: null, createdAt: null });
      expect((await collect(db.catalog.streamItems())).all).toHaveLength(total);
    });
  });

  describe('model registry', () => {
    beforeAll(async () => {
      await db.migrate();
    });

    it('creates a version in status training and refuses a duplicate', async () => {
      await db.models.create('v1', T0);
      expect(await db.models.get('v1')).toEqual({
        version: 'v1',
        createdAt: T0,
        status: 'training',
        metrics: {},
        timings: {},
        manifest: {},
        publishedAt: null,
      });
      await expect(db.models.create('v1', T0 + 1)).rejects.toBeInstanceOf(ConflictError);
      expect(await db.models.get('nope')).toBeNull();
    });

    it('update changes only the given fields', async () => {
      const itemcf = { hr10: 0.12, ndcg10: 0.05, hr20: 0.2, ndcg20: 0.07, users: 40, fitSeconds: 1.25, recommendSeconds: 0.5 };
      await db.models.update('v1', { status: 'ready', metrics: { users: 7, holdout: { itemcf } } });
      await db.models.update('v1', { timings: { fitSeconds: 1.5 }, manifest: { files: ['a.bin'], note: 'it\'s "quoted"' } });
      expect(await db.models.get('v1')).toEqual({
        version: 'v1',
        createdAt: T0,
        status: 'ready',
        metrics: { users: 7, holdout: { itemcf } },
        timings: { fitSeconds: 1.5 },
        manifest: { files: ['a.bin'], note: 'it\'s "quoted"' },
        publishedAt: null,
      });
      await db.models.update('v1', { publishedAt: T0 + 5 });
      expect((await db.models.get('v1'))?.publishedAt).toBe(T0 + 5);
      await db.models.update('v1', { publishedAt: null });
      expect(await db.models.get('v1')).toMatchObject({ status: 'ready', publishedAt: null, timings: { fitSeconds: 1.5 } });
      await expect(db.models.update('ghost', { status: 'failed' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(db.models.update('v1', { status: 'exploded' as 'failed' })).rejects.toThrow();
      expect((await db.models.get('v1'))?.status).toBe('ready');
    });

    it('lists newest first, with an optional limit', async () => {
      await db.models.create('v3', T0 + 2 * MINUTE);
      await db.models.create('v2', T0 + MINUTE);
      expect((await db.models.list()).map((m) => m.version)).toEqual(['v3', 'v2', 'v1']);
      expect((await db.models.list(2)).map((m) => m.version)).toEqual(['v3', 'v2']);
    });

    it('markLive keeps exactly one live version and retires the previous one', async () => {
      expect(await db.models.live()).toBeNull();
      await db.models.markLive('v1', T0 + 10 * MINUTE);
      expect(await db.models.live()).toMatchObject({ version: 'v1', status: 'live', publishedAt: T0 + 10 * MINUTE });

      await db.models.markLive('v2', T0 + 20 * MINUTE);
      expect(await db.models.live()).toMatchObject({ version: 'v2', status: 'live', publishedAt: T0 + 20 * MINUTE });
      expect((await db.models.get('v1'))?.status).toBe('retired');
      expect((await db.models.withStatus('live')).map((m) => m.version)).toEqual(['v2']);
      expect((await db.models.withStatus('retired')).map((m) => m.version)).toEqual(['v1']);
      expect((await db.models.withStatus('training')).map((m) => m.version)).toEqual(['v3']);
      expect(await db.models.withStatus('failed')).toEqual([]);

      await expect(db.models.markLive('ghost', T0)).rejects.toBeInstanceOf(NotFoundError);
      expect((await db.models.live())?.version).toBe('v2');
      // The database itself refuses a second live row.
      await expect(db.models.update('v3', { status: 'live' })).rejects.toThrow();
      expect((await db.models.withStatus('live')).map((m) => m.version)).toEqual(['v2']);
    });

    it('concurrent markLive calls still leave exactly one live version', async () => {
      for (let i = 0; i < 6; i++) await db.models.create(`c${i}`, T0 + (30 + i) * MINUTE);
      await Promise.all(Array.from({ length: 6 }, (_, i) => db.models.markLive(`c${i}`, T0 + (40 + i) * MINUTE)));
      const live = await db.models.withStatus('live');
      expect(live).toHaveLength(1);
      expect((await db.models.live())?.version).toBe(live[0]!.version);
      // v1, v2 and the five c-versions that lost the race.
      expect(await db.models.withStatus('retired')).toHaveLength(7);
    });

    it('removes retired versions but never the live one', async () => {
      const live = (await db.models.live())!.version;
      await db.models.create('doomed', T0 + 90 * MINUTE);
      await db.models.remove('doomed');
      expect(await db.models.get('doomed')).toBeNull();
      await expect(db.models.remove(live)).rejects.toBeInstanceOf(ConflictError);
      expect((await db.models.live())?.version).toBe(live);
      await db.models.remove('never-existed');
    });
  });

  describe('outcome ledger', () => {
    beforeAll(async () => {
      await db.migrate();
    });
    const row = (over: Partial<OutcomeRow> = {}): OutcomeRow => ({
      day: '2026-12-01',
      experiment: 'winback',
      variant: 'boost',
      segment: 'at_risk',
      placement: 'home',
      impressions: 10,
      clicks: 2,
      purchases: 1,
      revenue: 19.99,
      revenueSq: 19.99 * 19.99,
      ...over,
    });

    it('adds a batch once: a repeated batch id adds nothing, and rows with one key sum', async () => {
      expect(await db.outcomes.rows()).toEqual([]);
      expect(await db.outcomes.hasBatch('b1')).toBe(false);
      expect(
        await db.outcomes.addBatch('b1', [row(), row({ day: '2026-12-02', experiment: '', variant: 'default', segment: 'new' })]),
      ).toBe(true);
      expect(await db.outcomes.hasBatch('b1')).toBe(true);
      expect(await db.outcomes.addBatch('b1', [row({ impressions: 1000 })])).toBe(false);
      expect(await db.outcomes.addBatch('b2', [row({ impressions: 5, clicks: 0, purchases: 0, revenue: 0, revenueSq: 0 })])).toBe(true);
      expect(await db.outcomes.addBatch('b3', [])).toBe(true);
      const rows = await db.outcomes.rows();
      expect(rows).toHaveLength(2);
      expect(rows.find((r) => r.day === '2026-12-01')).toEqual(row({ impressions: 15 }));
      expect(await db.outcomes.rows({ from: '2026-12-02' })).toEqual([
        row({ day: '2026-12-02', experiment: '', variant: 'default', segment: 'new' }),
      ]);
      expect(await db.outcomes.rows({ to: '2026-12-01' })).toHaveLength(1);
      expect(await db.outcomes.rows({ from: '2026-12-03', to: '2026-12-09' })).toEqual([]);
    });

    it('keeps two concurrent adds of one batch to one (the other sees it stored)', async () => {
      const other = fresh.openAnother ? await fresh.openAnother() : db;
      const results = await Promise.all([
        db.outcomes.addBatch('race', [row({ day: '2026-11-01' })]),
        other.outcomes.addBatch('race', [row({ day: '2026-11-01' })]),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await db.outcomes.rows({ from: '2026-11-01', to: '2026-11-01' }))[0].impressions).toBe(10);
    });
  });

  describe('segment snapshots', () => {
    beforeAll(async () => {
      await db.migrate();
    });
    const v1: Array<[string, Segment]> = [
      ['alice', 'new'],
      ['bob', 'at_risk'],
      ['carol', 'at_risk'],
      ['dave', 'paying'],
      ['erin', 'churned'],
      ...TRICKY.filter((t) => t !== '').map((t): [string, Segment] => [t, 'active']),
    ];
    const v2: Array<[string, Segment]> = [
      ['alice', 'active'],
      ['bob', 'active'],
      ['carol', 'churned'],
      ['dave', 'high_value'],
      ['frank', 'new'],
      ...TRICKY.filter((t) => t !== '').map((t): [string, Segment] => [t, 'active']),
    ];

    it('writes a version snapshot (replacing an earlier one), counts sizes and transitions, and removes it', async () => {
      expect(await db.segments.write('v1', [['zed', 'new']])).toBe(1);
      expect(await db.segments.write('v1', v1)).toBe(v1.length); // replaces
      expect(await db.segments.write('v2', v2)).toBe(v2.length);
      const sizes = await db.segments.sizes('v1');
      expect(sizes).toEqual({ new: 1, churned: 1, at_risk: 2, high_value: 0, paying: 1, active: TRICKY.length - 1 });
      const t = await db.segments.transitions('v1', 'v2');
      expect(t.new).toEqual({ new: 0, churned: 0, at_risk: 0, high_value: 0, paying: 0, active: 1 });
      expect(t.at_risk).toMatchObject({ active: 1, churned: 1 });
      expect(t.paying.high_value).toBe(1);
      expect(Object.values(t.churned).reduce((a, b) => a + b, 0)).toBe(0); // erin left the data
      expect(t.active.active).toBe(TRICKY.length - 1);
      await db.segments.remove('v1');
      expect((await db.segments.sizes('v1')).new).toBe(0);
      expect((await db.segments.sizes('v2')).new).toBe(1);
    });

    it('counts retention: shoppers of a segment with any event after a time', async () => {
      await db.segments.write('r1', [
        ['ret-a', 'at_risk'],
        ['ret-b', 'at_risk'],
        ['ret-c', 'new'],
      ]);
      await db.events.insertEvents([
        { userId: 'ret-a', itemId: 'i1', type: 'view', ts: T0 + 10 * MINUTE },
        { userId: 'ret-b', itemId: 'i1', type: 'view', ts: T0 - 10 * MINUTE },
        { userId: 'ret-c', itemId: 'i2', type: 'cart', ts: T0 + MINUTE },
      ]);
      const r = await db.segments.retention('r1', T0);
      expect(r.at_risk).toEqual({ users: 2, retained: 1 });
      expect(r.new).toEqual({ users: 1, retained: 1 });
      expect(r.paying).toEqual({ users: 0, retained: 0 });
    });
  });

  describe('named locks (tryLock)', () => {
    it('lets one holder in at a time, never waits, and is free again after release', async () => {
      // Another handle on PostgreSQL (another process); the same handle on PGlite (one process owns it).
      const other = fresh.openAnother ? await fresh.openAnother() : db;
      const a = await db.tryLock('trainer');
      expect(a).not.toBeNull();
      const started = Date.now();
      expect(await other.tryLock('trainer')).toBeNull();
      expect(await db.tryLock('trainer')).toBeNull(); // not re-entrant either
      expect(Date.now() - started).toBeLessThan(2000);
      // Another name is another lock.
      const b = await other.tryLock('something-else');
      expect(b).not.toBeNull();
      await b!.release();
      await a!.release();
      await a!.release(); // idempotent
      const c = await other.tryLock('trainer');
      expect(c).not.toBeNull();
      expect(await db.tryLock('trainer')).toBeNull();
      await c!.release();
      // The store keeps working normally while and after locks come and go.
      await expect(db.ping()).resolves.toBeUndefined();
    });
  });
}

storeContract('pglite', async () => {
  const db = await openDatabase({ dataDir: '/nonexistent-unused', inMemory: true });
  return { db, dispose: () => db.close() };
});

storeContract('postgres', async () => {
  const database = await freshDatabase();
  const opened: Database[] = [];
  const open = async (): Promise<Database> => {
    const db = await openDatabase({ databaseUrl: database.url, dataDir: '/nonexistent-unused' });
    opened.push(db);
    return db;
  };
  const db = await open();
  return {
    db,
    openAnother: open,
    dispose: async () => {
      await Promise.all(opened.map((d) => d.close().catch(() => undefined)));
      await database.drop();
    },
  };
});

describe('pglite on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recs-pglite-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('creates <dataDir>/pglite and keeps data across reopen', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const first = await openDatabase({ dataDir });
    expect(first.kind).toBe('pglite');
    expect((await stat(join(dataDir, 'pglite'))).isDirectory()).toBe(true);
    await first.migrate();
    await first.events.insertEvents([{ userId: 'u', itemId: 'i', type: 'purchase', ts: T0 }]);
    await first.close();

    const second = await openDatabase({ dataDir });
    try {
      expect(await second.schemaVersion()).toBe(MIGRATIONS.length);
      expect(await second.migrate()).toEqual([]);
      expect(await second.events.recentEventsForUser('u', 5)).toEqual([{ userId: 'u', itemId: 'i', type: 'purchase', ts: T0 }]);
    } finally {
      await second.close();
    }
  });
});
