/**
 * Redis down or slow, PostgreSQL down: the service keeps answering. A Redis of this test's own is
 * SIGKILLed and restarted (and blocked with DEBUG SLEEP); the database is PGlite, closed to play
 * "PostgreSQL down".
 */
import fs from 'fs';
import path from 'path';
import os from 'os';
import request from 'supertest';
import { openTestStack, type TestStack } from '../helpers/stack';
import { RedisProcess } from '../helpers/redisProcess';
import { generateStorefront } from '../../src/sample/storefront';

jest.setTimeout(90_000);

describe('faults: Redis killed, slow, restarted; database down', () => {
  let redis: RedisProcess;
  let stack: TestStack;
  let cfgDir: string;
  let knownUser: string;
  let baseline: string[];
  const sample = generateStorefront({ users: 300, items: 200, categories: 6, days: 90, seed: 21 });

  beforeAll(async () => {
    redis = await RedisProcess.start(['--enable-debug-command', 'yes']);
    cfgDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-faults-'));
    const cfg = path.join(cfgDir, 'policy.json');
    await fs.promises.writeFile(
      cfg,
      JSON.stringify({ training: { embedding: { enabled: false } }, resilience: { cacheTimeoutMs: 150, breakerOpenMs: 200 } }),
    );
    stack = await openTestStack('embedded', { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'faults', RECS_CONFIG_FILE: cfg });
    await stack.importSample(sample);
    expect((await stack.train({ force: true })).status).toBe('live');
    await stack.rt.live.start();
    const res = await recs('u-probe');
    expect(res.status).toBe(200);
    knownUser = sample.events[sample.events.length - 1].userId;
    const known = await recs(knownUser);
    expect(known.body.degraded).toBe(false);
    expect(known.body.segment).not.toBe('new');
    baseline = known.body.items.map((i: { itemId: string }) => i.itemId);
    // Persistence, as in production: a restarted Redis comes back with its data.
    await redis.command('SAVE');
  });

  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
    if (cfgDir) await fs.promises.rm(cfgDir, { recursive: true, force: true });
  });

  const recs = (userId: string) => request(stack.app).get(`/v1/users/${encodeURIComponent(userId)}/recommendations?limit=10`);

  it('a slow Redis (blocked 1.5 s) costs a request at most the cache deadline; the answer is degraded, not late', async () => {
    const blocker = redis.command('DEBUG', 'SLEEP', '1.5');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    const res = await recs(knownUser);
    expect(res.status).toBe(200);
    expect(res.body.degraded).toBe(true);
    expect(res.body.items).toHaveLength(10);
    expect(Date.now() - t0).toBeLessThan(1000);
    await blocker;
  });

  it('with Redis SIGKILLed: reads answer 200 degraded and non-empty from memory, writes of events still land, readyz says degraded, healthz stays up', async () => {
    // Recover from the previous test first.
    await waitFor(async () => (await recs(knownUser)).body.degraded === false);
    await redis.kill();
    const before = await stack.rt.db.events.countEvents();
    for (const userId of [knownUser, 'someone-new', sample.events[0].userId]) {
      const t0 = Date.now();
      const res = await recs(userId);
      expect(res.status).toBe(200);
      expect(res.body.degraded).toBe(true);
      expect(res.body.segment).toBe('new'); // the segment lives in the cache
      expect(res.body.items).toHaveLength(10);
      expect(new Set(res.body.items.map((i: { source: string }) => i.source)).size).toBeGreaterThan(0);
      expect(Date.now() - t0).toBeLessThan(1500);
    }
    // Once the breaker is open, a degraded answer does not wait on Redis at all.
    const t1 = Date.now();
    for (let i = 0; i < 20; i++) expect((await recs(`u${i}`)).body.degraded).toBe(true);
    expect(Date.now() - t1).toBeLessThan(1000);

    const similar = await request(stack.app).get(`/v1/items/${encodeURIComponent(baseline[0])}/similar?limit=5`);
    expect(similar.status).toBe(200);

    const posted = await request(stack.app)
      .post('/v1/events')
      .send({ events: [{ userId: 'someone-new', itemId: baseline[0], type: 'view' }] });
    expect(posted.status).toBe(202);
    expect(await stack.rt.db.events.countEvents()).toBe(before + 1);

    const ready = await request(stack.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.degraded).toBe(true);
    expect(ready.body.checks.cache).toMatch(/^down/);
    expect((await request(stack.app).get('/healthz')).status).toBe(200);

    // The availability overlay cannot be updated: a 503 with Retry-After (the database row is
    // written; retrying is idempotent), never a 500.
    const put = await request(stack.app)
      .put(`/v1/items/${encodeURIComponent(baseline[1])}`)
      .send({ price: 3 });
    expect(put.status).toBe(200); // no availability change: only the database is involved
    const hide = await request(stack.app)
      .put(`/v1/items/${encodeURIComponent(baseline[1])}`)
      .send({ available: false });
    expect(hide.status).toBe(503);
    expect(hide.headers['retry-after']).toBeDefined();
  });

  it('recovers by itself when Redis comes back: personal answers again, unchanged', async () => {
    await redis.restart();
    const t0 = Date.now();
    await waitFor(async () => (await recs(knownUser)).body.degraded === false, 10_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const res = await recs(knownUser);
    expect(res.body.segment).not.toBe('new');
    expect(res.body.items.map((i: { itemId: string }) => i.itemId)).toEqual(baseline);
    const ready = await request(stack.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
  });

  it('with the database down: recommendations still answer, event ingestion is a 503 with Retry-After and acknowledges nothing', async () => {
    await stack.rt.db.close(); // PGlite closed: every query fails
    const res = await recs(knownUser);
    expect(res.status).toBe(200);
    expect(res.body.degraded).toBe(false);
    const posted = await request(stack.app)
      .post('/v1/events')
      .send({ events: [{ userId: knownUser, itemId: baseline[0], type: 'purchase' }] });
    expect(posted.status).toBe(503);
    expect(posted.headers['retry-after']).toBeDefined();
    expect(posted.body.error.code).toBe('unavailable');
    // Not acknowledged, so not applied anywhere: the purchase does not filter the next answer.
    const again = await recs(knownUser);
    expect(again.body.items.map((i: { itemId: string }) => i.itemId)).toEqual(baseline);
    const ready = await request(stack.app).get('/readyz');
    expect(ready.body.checks.database).toMatch(/^down/);
    expect((await request(stack.app).get('/healthz')).status).toBe(200);
  });
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
