/**
 * The growth loop's durable half on real PostgreSQL and a Redis of this test's own (no
 * persistence): outcomes posted as feedback and flushed survive Redis being killed and restarted
 * empty; a flush repeated or cut short neither loses nor double-counts; segment movement between two
 * versions; the report's CSV export and its bad input.
 */
import request from 'supertest';
import { openTestStack, type TestStack } from '../helpers/stack';
import { RedisProcess } from '../helpers/redisProcess';
import { generateStorefront } from '../../src/sample/storefront';
import { outcomeDay } from '../../src/contracts/outcomes';

jest.setTimeout(120_000);

const TOKEN = 'growth-operator';

interface Totals {
  impressions: number;
  clicks: number;
  purchases: number;
  revenue: number;
}

describe('growth: the outcome ledger and segment movement (real PostgreSQL, own Redis)', () => {
  let redis: RedisProcess;
  let stack: TestStack;
  const sample = generateStorefront({ users: 300, items: 160, categories: 6, days: 90, seed: 44 });
  const price = new Map(sample.items.map((i) => [i.itemId, i.price ?? 0]));
  const buyers = [...new Set(sample.events.filter((e) => e.type === 'purchase').map((e) => e.userId))].slice(0, 6);
  const expected: Totals = { impressions: 0, clicks: 0, purchases: 0, revenue: 0 };
  const auth = { Authorization: `Bearer ${TOKEN}` };

  const growth = async (query = '') => {
    const res = await request(stack.app).get(`/debug/growth${query}`).set(auth);
    expect(res.status).toBe(200);
    return res.body;
  };
  const totals = (rows: Array<Totals>): Totals =>
    rows.reduce(
      (a, r) => ({
        impressions: a.impressions + r.impressions,
        clicks: a.clicks + r.clicks,
        purchases: a.purchases + r.purchases,
        revenue: a.revenue + r.revenue,
      }),
      { impressions: 0, clicks: 0, purchases: 0, revenue: 0 },
    );
  const feedback = (body: object) => request(stack.app).post('/v1/feedback').send(body).expect(202);

  /** Shows each buyer a list, and posts impressions, a click and a purchase (half by feedback, half by event). */
  async function shop(round: number): Promise<void> {
    for (const [n, userId] of buyers.entries()) {
      const recs = await request(stack.app).get(`/v1/users/${userId}/recommendations?limit=5`).expect(200);
      const { recommendationId, items } = recs.body as { recommendationId: string; items: Array<{ itemId: string }> };
      for (const { itemId } of items) await feedback({ recommendationId, itemId, type: 'impression' });
      const clicked = items[round % items.length].itemId;
      await feedback({ recommendationId, itemId: clicked, type: 'click' });
      if (n % 2 === 0) await feedback({ recommendationId, itemId: clicked, type: 'purchase' });
      else
        await request(stack.app)
          .post('/v1/events')
          .send({ events: [{ userId, itemId: clicked, type: 'purchase' }] })
          .expect(202);
      expected.impressions += items.length;
      expected.clicks += 1;
      expected.purchases += 1;
      expected.revenue += price.get(clicked)!;
    }
  }

  beforeAll(async () => {
    redis = await RedisProcess.start();
    stack = await openTestStack('real', { REDIS_URL: redis.url, DEBUG_TOKEN: TOKEN });
    await stack.importSample(sample);
    expect((await stack.train()).status).toBe('live');
    await stack.rt.live.start();
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('reports unflushed outcomes from the cache, then the same once flushed; a repeated flush adds nothing', async () => {
    await shop(0);
    const before = await growth();
    expect(totals(before.outcomes)).toEqual({ ...expected, revenue: expect.closeTo(expected.revenue, 6) });
    expect(
      before.outcomes.every((r: { day: string; placement: string }) => r.day === outcomeDay(Date.now()) && r.placement === 'home'),
    ).toBe(true);
    expect(await stack.rt.ledger.flush()).toMatchObject({ added: true });
    expect(await stack.rt.ledger.flush()).toBeNull(); // nothing left in the cache
    const after = await growth();
    expect(totals(after.outcomes)).toEqual(totals(before.outcomes));
    const stored = await stack.rt.db.outcomes.rows();
    expect(totals(stored)).toEqual(totals(before.outcomes));
  });

  it('a flush cut short, before or after the database write, is completed by the next one without double counting', async () => {
    await shop(1);
    const cache = stack.rt.cache;
    // Cut short after taking the batch aside, before the database write.
    const taken = await cache.takeOutcomeBatch('cut-before-write', 3600);
    expect(taken).not.toBeNull();
    expect(totals((await growth()).outcomes)).toEqual({ ...expected, revenue: expect.closeTo(expected.revenue, 6) });
    expect(await stack.rt.ledger.flush()).toMatchObject({ batchId: 'cut-before-write', added: true });
    await shop(2);
    // Cut short after the database write, before the batch was dropped from the cache.
    const again = await cache.takeOutcomeBatch('cut-after-write', 3600);
    const { rowsFromCounters } = await import('../../src/contracts/outcomes');
    expect(await stack.rt.db.outcomes.addBatch(again!.batchId, rowsFromCounters(again!.counters))).toBe(true);
    expect(totals((await growth()).outcomes)).toEqual({ ...expected, revenue: expect.closeTo(expected.revenue, 6) });
    expect(await stack.rt.ledger.flush()).toMatchObject({ batchId: 'cut-after-write', added: false });
    expect(totals(await stack.rt.db.outcomes.rows())).toEqual({ ...expected, revenue: expect.closeTo(expected.revenue, 6) });
  });

  it('keeps every flushed impression, click and purchase when Redis is killed and restarts empty', async () => {
    await stack.rt.ledger.flush();
    const flushed = totals(await stack.rt.db.outcomes.rows());
    expect(flushed).toEqual({ ...expected, revenue: expect.closeTo(expected.revenue, 6) });
    await redis.kill();
    await redis.restart(); // no persistence: an empty Redis
    expect(await redis.command('DBSIZE')).toBe(0);
    let report: { outcomes: Totals[]; complete: boolean } | undefined;
    for (let attempt = 0; attempt < 50 && !report?.complete; attempt++) {
      const current: { outcomes: Totals[]; complete: boolean } = await growth();
      report = current;
      if (!current.complete) await new Promise((r) => setTimeout(r, 200));
    }
    expect(report!.complete).toBe(true);
    expect(totals(report!.outcomes)).toEqual({ ...flushed, revenue: expect.closeTo(flushed.revenue, 6) });
  });

  it('stores the segments of each version and reports the movement between the previous and the live version', async () => {
    // Shoppers come back, and a new one arrives, before the next nightly run.
    const later = Math.max(...sample.events.map((e) => e.ts)) + 3600_000;
    const comeback = [...new Set(sample.events.map((e) => e.userId))].slice(0, 40);
    await request(stack.app)
      .post('/v1/events')
      .send({
        events: [
          ...comeback.map((userId, k) => ({
            userId,
            itemId: sample.items[k % sample.items.length].itemId,
            type: 'view',
            timestamp: later + k * 1000,
          })),
          { userId: 'brand-new', itemId: sample.items[0].itemId, type: 'view', timestamp: later },
        ],
      })
      .expect(202);
    const second = await stack.train();
    expect(second.status).toBe('live');
    const report = await growth();
    expect(report.versions.length).toBeGreaterThanOrEqual(2);
    const [prev, live] = report.versions.slice(-2);
    expect(report.transitions).toMatchObject({ from: prev.version, to: live.version });
    // Every shopper stays in the data here, so each row sums to the previous version's segment size.
    for (const [segment, row] of Object.entries(report.transitions.counts as Record<string, Record<string, number>>)) {
      expect(Object.values(row).reduce((a, b) => a + b, 0)).toBe(prev.segments[segment] ?? 0);
    }
    for (const [segment, size] of Object.entries(prev.segments as Record<string, number>)) {
      if (!size) continue;
      const r = report.retention[segment];
      expect(r.users).toBe(size);
      expect(r.rate).toBeCloseTo(r.retained / r.users, 10);
    }
    const retained = Object.values(report.retention as Record<string, { retained: number }>).reduce((a, r) => a + r.retained, 0);
    expect(retained).toBeGreaterThanOrEqual(comeback.length);
  });

  it('exports the outcome rows as CSV and refuses bad ranges naming the field', async () => {
    const csv = await request(stack.app).get('/debug/growth').set(auth).set('Accept', 'text/csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe(
      'day,experiment,variant,segment,placement,impressions,clicks,purchases,revenue,ctr,conversion,revenuePerThousand',
    );
    expect(lines.length - 1).toBe((await growth()).outcomes.length);
    for (const [query, field] of [
      ['?from=2026-13-01', 'query.from'],
      ['?to=yesterday', 'query.to'],
      ['?from=2026-12-02&to=2026-12-01', 'query.to'],
      ['?since=2026-01-01', 'query'],
    ]) {
      const res = await request(stack.app).get(`/debug/growth${query}`).set(auth);
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].field).toBe(field);
    }
    expect((await request(stack.app).get('/debug/growth')).status).toBe(401);
    // Feedback's new timestamp field is checked like the events' one.
    const recs = await request(stack.app).get(`/v1/users/${buyers[0]}/recommendations`).expect(200);
    const badFeedback = await request(stack.app)
      .post('/v1/feedback')
      .send({ recommendationId: recs.body.recommendationId, itemId: recs.body.items[0].itemId, type: 'click', timestamp: 'next week' });
    expect(badFeedback.status).toBe(400);
    expect(badFeedback.body.error.details[0].field).toBe('body.timestamp');
    const none = await growth(`?from=2000-01-01&to=2000-01-02`);
    expect(none.outcomes).toEqual([]);
  });
});
