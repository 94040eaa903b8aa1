/**
 * The core loop end to end, on the real parts (PostgreSQL + Redis) and on the embedded pair
 * (PGlite + in-process cache): import a generated storefront through the import path, train,
 * publish, and query the HTTP API.
 */
import request from 'supertest';
import { openTestStack, type StackKind, type TestStack } from '../helpers/stack';
import { generateStorefront, type Storefront } from '../../src/sample/storefront';
import { rollback } from '../../training/job/publish';

const KINDS: StackKind[] = ['real', 'embedded'];

describe.each(KINDS)('service end to end (%s stores)', (kind) => {
  let stack: TestStack;
  let sample: Storefront;
  let firstVersion: string;
  const bought = new Map<string, Set<string>>();

  beforeAll(async () => {
    stack = await openTestStack(kind);
    sample = generateStorefront({ users: 400, items: 240, categories: 8, days: 120, seed: 11 });
    for (const e of sample.events) {
      if (e.type !== 'purchase') continue;
      if (!bought.has(e.userId)) bought.set(e.userId, new Set());
      bought.get(e.userId)!.add(e.itemId);
    }
    const report = await stack.importSample(sample);
    expect(report.rejected).toBe(0);
    expect(report.imported).toBe(sample.events.length);
    const trained = await stack.train();
    expect(trained.status).toBe('live');
    firstVersion = trained.version;
    await stack.rt.live.start();
  });

  afterAll(async () => {
    await stack?.close();
  });

  const recs = (userId: string, query = 'limit=10') =>
    request(stack.app).get(`/v1/users/${encodeURIComponent(userId)}/recommendations?${query}`);

  it('is ready once a model is live', async () => {
    const res = await request(stack.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.checks.model).toBe(firstVersion);
    expect((await request(stack.app).get('/healthz')).status).toBe(200);
  });

  it('answers known users with full lists that never contain their purchases', async () => {
    const users = [...bought.keys()].slice(0, 40);
    expect(users.length).toBeGreaterThan(10);
    for (const userId of users) {
      const res = await recs(userId);
      expect(res.status).toBe(200);
      expect(res.body.userId).toBe(userId);
      expect(res.body.modelVersion).toBe(firstVersion);
      expect(typeof res.body.recommendationId).toBe('string');
      expect(res.body.degraded).toBe(false);
      expect(res.body.items).toHaveLength(10);
      const ids = res.body.items.map((i: { itemId: string }) => i.itemId);
      expect(new Set(ids).size).toBe(10);
      for (const id of ids) expect(bought.get(userId)!.has(id)).toBe(false);
      for (const it of res.body.items) expect(typeof it.source).toBe('string');
      const scores = res.body.items.map((i: { score: number }) => i.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    }
  });

  it('places unknown users in `new` and still fills the list from the fallback chain', async () => {
    const res = await recs('never-seen-before-user', 'limit=25');
    expect(res.status).toBe(200);
    expect(res.body.segment).toBe('new');
    expect(res.body.items).toHaveLength(25);
    const sources = new Set(res.body.items.map((i: { source: string }) => i.source));
    for (const s of sources) expect(['trending', 'best_converting', 'popular']).toContain(s);
  });

  it('answers similar items and 404s unknown ones', async () => {
    const item = sample.events[0].itemId;
    const res = await request(stack.app).get(`/v1/items/${item}/similar?limit=5`);
    expect(res.status).toBe(200);
    expect(res.body.itemId).toBe(item);
    expect(res.body.items).toHaveLength(5);
    expect(res.body.items.map((i: { itemId: string }) => i.itemId)).not.toContain(item);
    const missing = await request(stack.app).get('/v1/items/no-such-item/similar');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  it('reflects a purchase posted a moment ago: the item never appears for that user again', async () => {
    const userId = [...bought.keys()][3];
    const before = await recs(userId, 'limit=20');
    const target = before.body.items[0].itemId as string;
    const post = await request(stack.app)
      .post('/v1/events')
      .send({ events: [{ userId, itemId: target, type: 'purchase' }] });
    expect(post.status).toBe(202);
    expect(post.body).toEqual({ accepted: 1 });
    for (const q of ['limit=20', 'limit=100', `limit=50&context=${target}`]) {
      const after = await recs(userId, q);
      expect(after.body.items.map((i: { itemId: string }) => i.itemId)).not.toContain(target);
    }
  });

  it('blends the live session: views posted now bring their neighbours in as `session`', async () => {
    const userId = 'fresh-session-user';
    const seed = sample.events[sample.events.length - 1].itemId;
    await request(stack.app)
      .post('/v1/events')
      .send({ events: [{ userId, itemId: seed, type: 'view' }] })
      .expect(202);
    const res = await recs(userId);
    expect(res.body.segment).toBe('new');
    expect(res.body.items[0].source).toBe('session');
  });

  it('hides an item from everyone at once when it becomes unavailable', async () => {
    const popular = await recs('another-unknown-user', 'limit=5');
    const target = popular.body.items[0].itemId as string;
    const put = await request(stack.app)
      .put(`/v1/items/${encodeURIComponent(target)}`)
      .send({ available: false });
    expect(put.status).toBe(200);
    expect(put.body.available).toBe(false);
    const users = ['another-unknown-user', ...[...bought.keys()].slice(0, 30)];
    for (const userId of users) {
      const res = await recs(userId, 'limit=50');
      expect(res.body.items.map((i: { itemId: string }) => i.itemId)).not.toContain(target);
    }
    const similar = await request(stack.app).get(`/v1/items/${sample.events[0].itemId}/similar?limit=50`);
    expect(similar.body.items.map((i: { itemId: string }) => i.itemId)).not.toContain(target);
    await request(stack.app)
      .put(`/v1/items/${encodeURIComponent(target)}`)
      .send({ available: true })
      .expect(200);
    expect((await recs('another-unknown-user', 'limit=5')).body.items[0].itemId).toBe(target);
  });

  it('applies category and exclude filters', async () => {
    const userId = [...bought.keys()][5];
    const category = sample.items[0].category!;
    const res = await recs(userId, `limit=15&category=${encodeURIComponent(category)}`);
    expect(res.status).toBe(200);
    const catOf = new Map(sample.items.map((i) => [i.itemId, i.category]));
    expect(res.body.items.length).toBeGreaterThan(0);
    for (const it of res.body.items) expect(catOf.get(it.itemId)).toBe(category);
    const first = await recs(userId, 'limit=5');
    const exclude = first.body.items.map((i: { itemId: string }) => i.itemId);
    const second = await recs(userId, `limit=5&exclude=${exclude.join(',')}`);
    for (const it of second.body.items) expect(exclude).not.toContain(it.itemId);
  });

  it('rejects bad input with 400s naming the field, and writes nothing from a bad batch', async () => {
    const cases: Array<[request.Test, string]> = [
      [recs('u1', 'limit=0'), 'query.limit'],
      [recs('u1', 'limit=101'), 'query.limit'],
      [recs('u1', 'limit=abc'), 'query.limit'],
      [request(stack.app).post('/v1/events').send({ events: [] }), 'body.events'],
      [
        request(stack.app)
          .post('/v1/events')
          .send({ events: [{ userId: 'u', itemId: 'i', type: 'like' }] }),
        'body.events.0.type',
      ],
      [
        request(stack.app)
          .post('/v1/events')
          .send({ events: [{ userId: 'u', type: 'view' }] }),
        'body.events.0.itemId',
      ],
      [
        request(stack.app)
          .post('/v1/events')
          .send({ events: [{ userId: 'u', itemId: 'i', type: 'view', timestamp: 'yesterday' }] }),
        'body.events.0.timestamp',
      ],
      [
        request(stack.app)
          .post('/v1/events')
          .send({ events: [{ userId: 'x'.repeat(300), itemId: 'i', type: 'view' }] }),
        'body.events.0.userId',
      ],
      [request(stack.app).put('/v1/items/abc').send({ available: 'no' }), 'body.available'],
      [request(stack.app).put('/v1/items/abc').send({ price: -3 }), 'body.price'],
      [request(stack.app).put('/v1/items/abc').send({ colour: 'red' }), 'body'],
    ];
    for (const [req, field] of cases) {
      const res = await req;
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toContain(field);
      expect(res.body.error.details[0].field).toBe(field);
    }
    const big = { events: Array.from({ length: 1001 }, (_, i) => ({ userId: 'u', itemId: `i${i}`, type: 'view' })) };
    const tooMany = await request(stack.app).post('/v1/events').send(big);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details[0].field).toBe('body.events');

    const malformed = await request(stack.app).post('/v1/events').set('content-type', 'application/json').send('{"events": [');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_json');

    const before = await stack.rt.db.events.countEvents();
    const mixed = await request(stack.app)
      .post('/v1/events')
      .send({
        events: [
          { userId: 'u9', itemId: 'i1', type: 'view' },
          { userId: 'u9', itemId: 'i2', type: 'bogus' },
        ],
      });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.details[0].field).toBe('body.events.1.type');
    expect(await stack.rt.db.events.countEvents()).toBe(before);
    const noRoute = await request(stack.app).get('/v1/nothing');
    expect(noRoute.status).toBe(404);
  });

  it('keeps the live version when the gate refuses, and rolls back instantly without restart', async () => {
    const { db, cache } = stack.rt;
    const second = await stack.train({ force: true });
    expect(second.status).toBe('live');
    await stack.rt.live.refresh();
    const userId = [...bought.keys()][0];
    expect((await recs(userId)).body.modelVersion).toBe(second.version);

    const back = await rollback({
      cache,
      models: db.models,
      modelsDir: stack.config.modelsDir,
      policy: stack.config.policy,
      logger: stack.rt.logger,
    });
    expect(back).toEqual({ from: second.version, to: firstVersion });
    await stack.rt.live.refresh();
    const res = await recs(userId);
    expect(res.body.modelVersion).toBe(firstVersion);
    expect(res.body.items).toHaveLength(10);
    expect((await db.models.live())?.version).toBe(firstVersion);
  });
});
