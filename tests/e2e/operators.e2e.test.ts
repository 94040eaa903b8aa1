/**
 * What operators and the growth loop rely on, end to end on real PostgreSQL + Redis: debug
 * endpoints behind the token with per-item provenance, an A/B experiment with feedback attribution
 * and its report, Prometheus metrics that move, and business rules that hold on every answer.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import fc from 'fast-check';
import { openTestStack, type TestStack } from '../helpers/stack';
import { generateStorefront } from '../../src/sample/storefront';

const TOKEN = 'operator-secret';
const CAP = 3;

describe('operators (real PostgreSQL + Redis)', () => {
  let stack: TestStack;
  let cfgDir: string | undefined;
  const sample = generateStorefront({ users: 400, items: 260, categories: 8, days: 120, seed: 31 });
  const categoryOf = new Map(sample.items.map((i) => [i.itemId, i.category]));
  const users = [...new Set(sample.events.map((e) => e.userId))];
  const buyers = [...new Set(sample.events.filter((e) => e.type === 'purchase').map((e) => e.userId))];

  beforeAll(async () => {
    cfgDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-cfg-'));
    const cfg = path.join(cfgDir, 'policy.json');
    await fs.promises.writeFile(
      cfg,
      JSON.stringify({
        rules: { maxPerCategory: CAP },
        experiment: {
          name: 'session-weight',
          salt: 'e2e',
          variants: [
            { name: 'control', weight: 1 },
            { name: 'heavy-session', weight: 1, sessionWeight: 3, fallbacks: { new: [{ step: 'trending', max: 2 }, 'popular'] } },
          ],
        },
      }),
    );
    stack = await openTestStack('real', { DEBUG_TOKEN: TOKEN, RECS_CONFIG_FILE: cfg });
    await stack.importSample(sample);
    const report = await stack.train();
    expect(report.status).toBe('live');
    await stack.rt.live.start();
  });
  afterAll(async () => {
    await stack?.close();
    if (cfgDir) await fs.promises.rm(cfgDir, { recursive: true, force: true });
  });

  const auth = { Authorization: `Bearer ${TOKEN}` };

  it('keeps /debug/* behind the token', async () => {
    for (const p of ['/debug/users/u0001', '/debug/items/i001', '/debug/models', '/debug/segments', '/debug/experiments']) {
      const none = await request(stack.app).get(p);
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('unauthorized');
      expect((await request(stack.app).get(p).set('Authorization', 'Bearer wrong')).status).toBe(401);
      expect((await request(stack.app).get(p).set(auth)).status).toBe(200);
    }
  });

  it('explains a user: segment, its features, and provenance for every recommended item', async () => {
    const userId = buyers[0];
    const res = await request(stack.app).get(`/debug/users/${userId}?limit=20`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body.known).toBe(true);
    expect(['paying', 'high_value', 'at_risk', 'churned', 'new']).toContain(res.body.segment);
    expect(typeof res.body.segmentReason).toBe('string');
    expect(res.body.features).toEqual(
      expect.objectContaining({
        frequency: expect.any(Number),
        monetary: expect.any(Number),
        distinctItems: expect.any(Number),
        recencyDays: expect.any(Number),
      }),
    );
    expect(res.body.features.frequency).toBeGreaterThan(0);
    expect(res.body.recentEvents.length).toBeGreaterThan(0);
    expect(res.body.recommendations).toHaveLength(20);
    for (const r of res.body.recommendations) {
      expect(typeof r.itemId).toBe('string');
      expect(typeof r.source).toBe('string');
      expect(typeof r.score).toBe('number');
      expect(r.parts).toBeDefined();
      expect(typeof r.filters).toBe('string');
    }
    expect(res.body.fallbackChain.length).toBeGreaterThan(0);
    const unknown = await request(stack.app).get('/debug/users/nobody-at-all').set(auth);
    expect(unknown.body.segment).toBe('new');
    expect(unknown.body.fallbacks.some((f: { served: number }) => f.served > 0)).toBe(true);

    const item = await request(stack.app).get(`/debug/items/${res.body.recommendations[0].itemId}`).set(auth);
    expect(item.body.inModel).toBe(true);
    expect(item.body.neighbours.itemcf.length).toBeGreaterThan(0);
    const models = await request(stack.app).get('/debug/models').set(auth);
    expect(models.body.versions[0]).toMatchObject({ status: 'live', live: true });
    const segments = await request(stack.app).get('/debug/segments').set(auth);
    expect(segments.body.segments.map((s: { segment: string }) => s.segment)).toEqual([
      'new',
      'churned',
      'at_risk',
      'high_value',
      'paying',
      'active',
    ]);
  });

  it('serves each user one variant, always the same, and reports feedback per variant', async () => {
    const seen = new Map<string, string>();
    for (const userId of users.slice(0, 60)) {
      const a = await request(stack.app).get(`/v1/users/${userId}/recommendations?limit=5`);
      const b = await request(stack.app).get(`/v1/users/${userId}/recommendations?limit=5`);
      expect(a.body.variant).toBe(b.body.variant);
      expect(a.body.recommendationId).not.toBe(b.body.recommendationId);
      seen.set(userId, a.body.variant);
    }
    expect(new Set(seen.values())).toEqual(new Set(['control', 'heavy-session']));

    const pick = (variant: string) => [...seen].find(([, v]) => v === variant)![0];
    for (const variant of ['control', 'heavy-session']) {
      const userId = pick(variant);
      const res = await request(stack.app).get(`/v1/users/${userId}/recommendations?limit=4`);
      const recId = res.body.recommendationId;
      for (const it of res.body.items) {
        await request(stack.app).post('/v1/feedback').send({ recommendationId: recId, itemId: it.itemId, type: 'impression' }).expect(202);
      }
      const clicked = res.body.items[0].itemId;
      await request(stack.app).post('/v1/feedback').send({ recommendationId: recId, itemId: clicked, type: 'click' }).expect(202);
      if (variant === 'heavy-session') {
        // A purchase posted as an event after the click is attributed to the recommendation.
        await request(stack.app)
          .post('/v1/events')
          .send({ events: [{ userId, itemId: clicked, type: 'purchase' }] })
          .expect(202);
      }
    }
    const bad = await request(stack.app).post('/v1/feedback').send({ recommendationId: 'not-ours', itemId: 'x', type: 'click' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('body.recommendationId');

    const report = (await request(stack.app).get('/debug/experiments').set(auth)).body.experiments[0];
    expect(report.name).toBe('session-weight');
    const byName = Object.fromEntries(report.variants.map((v: { variant: string }) => [v.variant, v]));
    expect(byName.control).toMatchObject({ impressions: 4, clicks: 1, purchases: 0, ctr: 0.25 });
    expect(byName['heavy-session']).toMatchObject({ impressions: 4, clicks: 1, purchases: 1, conversion: 0.25 });
    expect(byName['heavy-session'].vsControl.ctr.ci95).toHaveLength(2);
    expect(byName['heavy-session'].segments.length).toBeGreaterThan(0);
  });

  it('exposes metrics that move with traffic', async () => {
    const metric = async (pattern: RegExp) => {
      const text = (await request(stack.app).get('/metrics')).text;
      return [...text.matchAll(pattern)].reduce((a, m) => a + Number(m[1]), 0);
    };
    const route = /recs_http_request_duration_seconds_count\{[^}]*route="\/v1\/users\/:userId\/recommendations"[^}]*\} (\d+)/g;
    const fallback = /recs_fallback_items_total\{segment="new",step="[^"]+"\} (\d+)/g;
    const before = await metric(route);
    const fbBefore = await metric(fallback);
    for (let i = 0; i < 5; i++) await request(stack.app).get(`/v1/users/metrics-newcomer-${i}/recommendations`).expect(200);
    expect(await metric(route)).toBe(before + 5);
    expect(await metric(fallback)).toBeGreaterThanOrEqual(fbBefore + 50);
    const text = (await request(stack.app).get('/metrics')).text;
    expect(text).toMatch(/recs_http_request_duration_seconds_bucket\{le="0.005"/);
    expect(text).toMatch(/recs_live_model_info\{version="v[^"]+"\} 1/);
    expect(text).toMatch(/recs_cache_lookups_total\{result="miss"\} \d+/);
  });

  it('holds category, exclude and the diversity cap on every answer, fallbacks included', async () => {
    const categories = [...new Set(sample.items.map((i) => i.category!))];
    const itemIds = sample.items.map((i) => i.itemId);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...users),
          fc.string({ minLength: 1, maxLength: 12 }).map((s) => `new-${encodeURIComponent(s)}`),
        ),
        fc.integer({ min: 1, max: 100 }),
        fc.option(fc.constantFrom(...categories), { nil: undefined }),
        fc.uniqueArray(fc.constantFrom(...itemIds), { maxLength: 20 }),
        async (userId, limit, category, exclude) => {
          const q = new URLSearchParams({ limit: String(limit) });
          if (category) q.set('category', category);
          if (exclude.length) q.set('exclude', exclude.join(','));
          const res = await request(stack.app).get(`/v1/users/${encodeURIComponent(userId)}/recommendations?${q}`);
          expect(res.status).toBe(200);
          const ids: string[] = res.body.items.map((i: { itemId: string }) => i.itemId);
          expect(new Set(ids).size).toBe(ids.length);
          expect(ids.length).toBeGreaterThan(0);
          for (const id of ids) {
            expect(exclude).not.toContain(id);
            if (category) expect(categoryOf.get(id)).toBe(category);
          }
          if (!category) {
            const perCat = new Map<string, number>();
            for (const id of ids) perCat.set(categoryOf.get(id)!, (perCat.get(categoryOf.get(id)!) ?? 0) + 1);
            for (const n of perCat.values()) expect(n).toBeLessThanOrEqual(CAP);
            // The cap is the only reason to stop short: 8 categories x 3 = 24 items at most.
            expect(ids.length).toBe(Math.min(limit, categories.length * CAP));
          }
        },
      ),
      { numRuns: 150, seed: 2026 },
    );
  });
});
