import fs from 'fs';
import os from 'os';
import path from 'path';
import pino from 'pino';
import type { Item, ItemPatch, StoreEvent } from '../domain/types';
import { NotFoundError } from '../errors';
import type { CatalogStore, EventStore } from '../storage/ports';
import { importFile, importItemsFile, MAX_REPORTED_ERRORS } from './importer';
import { TerminalProgress } from '../observability/terminal';

type Call = { kind: 'ensure'; itemIds: string[] } | { kind: 'insert'; events: StoreEvent[] } | { kind: 'upsert'; patches: ItemPatch[] };

/** In-memory stores that record every call in order. */
function fakeStores() {
  const calls: Call[] = [];
  const items = new Map<string, Item>();
  const stored: StoreEvent[] = [];
  const events: EventStore = {
    async insertEvents(batch) {
      stored.push(...batch);
      return batch.length;
    },
    async bulkInsertEvents(batch) {
      calls.push({ kind: 'insert', events: batch });
      // Every event must reference an item that was ensured earlier.
      for (const e of batch) if (!items.has(e.itemId)) throw new Error(`unknown item ${e.itemId}`);
      stored.push(...batch);
      return batch.length;
    },
    async *streamEvents() {
      yield stored;
    },
    async countEvents() {
      return stored.length;
    },
    async recentEventsForUser(userId, limit) {
      return stored
        .filter((e) => e.userId === userId)
        .slice(-limit)
        .reverse();
    },
    async latestEventTime() {
      return stored.length ? Math.max(...stored.map((e) => e.ts)) : null;
    },
  };
  const catalog: CatalogStore = {
    async upsertItems(patches) {
      calls.push({ kind: 'upsert', patches });
      for (const p of patches) {
        const base: Item = items.get(p.itemId) ?? { itemId: p.itemId, category: null, available: true, price: null, createdAt: null };
        items.set(p.itemId, { ...base, ...p });
      }
      return patches.length;
    },
    async ensureItems(list) {
      calls.push({ kind: 'ensure', itemIds: list.map((i) => i.itemId) });
      let added = 0;
      for (const i of list) {
        if (items.has(i.itemId)) continue;
        items.set(i.itemId, { itemId: i.itemId, category: i.category ?? null, available: true, price: null, createdAt: null });
        added++;
      }
      return added;
    },
    async getItem(itemId) {
      return items.get(itemId) ?? null;
    },
    async *streamItems() {
      yield [...items.values()];
    },
    async countItems() {
      return items.size;
    },
  };
  return { calls, items, stored, events, catalog };
}

const logger = pino({ level: 'silent' });
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recs-import-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

describe('importFile', () => {
  it('ensures each batch of items before inserting its events and reports counts', async () => {
    const rows = ['1,10,100,pv,1511544070', '1,11,100,cart,1511544071', 'garbage', '2,10,100,buy,1511544072', '2,12,,pv,1511544073', ''];
    const p = file('taobao.csv', rows.join('\n'));
    const s = fakeStores();
    const report = await importFile({ path: p, format: 'taobao', events: s.events, catalog: s.catalog, batchSize: 2, logger });
    expect(report).toEqual({
      file: p,
      format: 'taobao',
      lines: 5, // the trailing newline ends line 5; it does not start a sixth
      imported: 4,
      rejected: 1,
      errors: [{ line: 3, reason: expect.stringMatching(/expected 5 comma-separated fields/) }],
      seconds: expect.any(Number),
    });
    expect(s.calls.map((c) => c.kind)).toEqual(['ensure', 'insert', 'ensure', 'insert', 'ensure', 'insert']);
    expect(s.calls[0]).toEqual({ kind: 'ensure', itemIds: ['10', '11'] });
    expect(s.stored.map((e) => e.type)).toEqual(['view', 'cart', 'purchase', 'view']);
    expect(s.items.get('10')?.category).toBe('100');
    expect(s.items.get('12')?.category).toBeNull();
  });

  it('counts every rejected row but keeps only the first errors', async () => {
    const bad = Array.from({ length: MAX_REPORTED_ERRORS + 50 }, (_, i) => `u${i},i1,view,not-a-time`);
    const p = file('bad.csv', ['userId,itemId,type,timestamp', 'u0,i0,view,1', ...bad].join('\n'));
    const s = fakeStores();
    const report = await importFile({ path: p, format: 'events-csv', events: s.events, catalog: s.catalog, batchSize: 7, logger });
    expect(report.imported).toBe(1);
    expect(report.rejected).toBe(MAX_REPORTED_ERRORS + 50);
    expect(report.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(report.errors[0].line).toBe(3);
    expect(report.errors[MAX_REPORTED_ERRORS - 1].line).toBe(MAX_REPORTED_ERRORS + 2);
    expect(report.lines).toBe(MAX_REPORTED_ERRORS + 52);
  });

  it('fails with a clear error for a missing file, touching no store', async () => {
    const s = fakeStores();
    await expect(
      importFile({ path: path.join(dir, 'missing.csv'), format: 'ndjson', events: s.events, catalog: s.catalog, logger }),
    ).rejects.toThrow(NotFoundError);
    expect(s.calls).toEqual([]);
  });

  it('renders a progress bar on stderr only when asked', async () => {
    const p = file('one.ndjson', '{"userId":"u","itemId":"i","type":"view","timestamp":1}\n');
    // cli-progress draws only on a terminal; pretend stderr is one.
    const wasTTY = process.stderr.isTTY;
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const s = fakeStores();
      await importFile({ path: p, format: 'ndjson', events: s.events, catalog: s.catalog, logger });
      expect(write).not.toHaveBeenCalled();
      await importFile({
        path: p,
        format: 'ndjson',
        events: s.events,
        catalog: s.catalog,
        logger,
        progress: new TerminalProgress(process.stderr),
      });
      expect(write).toHaveBeenCalled();
    } finally {
      write.mockRestore();
      Object.defineProperty(process.stderr, 'isTTY', { value: wasTTY, configurable: true });
    }
  });
});

describe('importItemsFile', () => {
  it('upserts catalogue rows in batches and reports bad rows', async () => {
    const p = file(
      'items.csv',
      ['itemId,category,available,price,createdAt', 'i1,shoes,true,9.5,2026-01-01', 'i2,,false,,', 'i3,bags,maybe,,', 'i1,,,12,'].join(
        '\n',
      ),
    );
    const s = fakeStores();
    const report = await importItemsFile({ path: p, catalog: s.catalog, batchSize: 10, logger });
    expect(report).toMatchObject({ file: p, lines: 5, imported: 2, rejected: 1 });
    expect(report.errors).toEqual([{ line: 4, reason: expect.stringMatching(/invalid available/) }]);
    // The later row for i1 overrides only the price it sets.
    expect(s.items.get('i1')).toEqual({ itemId: 'i1', category: 'shoes', available: true, price: 12, createdAt: Date.UTC(2026, 0, 1) });
    expect(s.items.get('i2')?.available).toBe(false);
  });

  it('fails for a missing file', async () => {
    const s = fakeStores();
    await expect(importItemsFile({ path: path.join(dir, 'none.csv'), catalog: s.catalog, logger })).rejects.toThrow(/not found/);
  });
});
