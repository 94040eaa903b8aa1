/**
 * Profiles and targeted experiments on real PostgreSQL + Redis: /debug/users shows each shopper's
 * portrait, and experiments aimed at a profile tag or at a segment apply to those shoppers only.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { openTestStack, type TestStack } from '../helpers/stack';
import { generateStorefront } from '../../src/sample/storefront';
import { EVENT_TYPES, PRICE_BANDS } from '../../src/domain/types';
import { assertBuilt, runRecs } from '../helpers/cli';

jest.setTimeout(120_000);

const TOKEN = 'targeting-operator';

describe('profiles and targeted experiments (real PostgreSQL + Redis)', () => {
  let stack: TestStack;
  let cfgDir: string;
  const sample = generateStorefront({ users: 400, items: 200, categories: 6, days: 120, seed: 9 });
  const users = [...new Set(sample.events.map((e) => e.userId))].slice(0, 160);
  const auth = { Authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    cfgDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-targeting-'));
    const cfg = path.join(cfgDir, 'policy.json');
    const variants = [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 1 },
    ];
    await fs.promises.writeFile(
      cfg,
      JSON.stringify({
        training: { embedding: { enabled: false } },
        experiments: [
          { name: 'members', salt: 'm1', tags: { priceBand: 'high' }, variants },
          { name: 'winback', salt: 'w1', segments: ['at_risk'], variants },
        ],
      }),
    );
    stack = await openTestStack('real', { DEBUG_TOKEN: TOKEN, RECS_CONFIG_FILE: cfg });
    await stack.importSample(sample);
    expect((await stack.train()).status).toBe('live');
    await stack.rt.live.start();
  });
  afterAll(async () => {
    await stack?.close();
    if (cfgDir) await fs.promises.rm(cfgDir, { recursive: true, force: true });
  });

  it('shows every shopper’s profile, and aims each experiment at its tag or segment only', async () => {
    const seen = { members: 0, winback: 0, none: 0, high: 0 };
    for (const userId of users) {
      const debug = await request(stack.app).get(`/debug/users/${userId}`).set(auth).expect(200);
      const { profile, segment } = debug.body;
      expect(Object.keys(profile).sort()).toEqual([
        'dominantEventType',
        'favouriteCategories',
        'lifecycleAgeDays',
        'priceBand',
        'purchaseCadenceDays',
      ]);
      expect(profile.favouriteCategories.length).toBeGreaterThan(0);
      expect(profile.lifecycleAgeDays).toBeGreaterThanOrEqual(0);
      expect(EVENT_TYPES).toContain(profile.dominantEventType);
      expect([null, ...PRICE_BANDS]).toContain(profile.priceBand);
      if (profile.purchaseCadenceDays !== null) expect(profile.purchaseCadenceDays).toBeGreaterThanOrEqual(0);

      const answer = (await request(stack.app).get(`/v1/users/${userId}/recommendations`).expect(200)).body;
      expect(answer.segment).toBe(segment);
      if (profile.priceBand === 'high') {
        seen.high++;
        seen.members++;
        expect(['a', 'b']).toContain(answer.variant);
        const back = await request(stack.app)
          .post('/v1/feedback')
          .send({ recommendationId: answer.recommendationId, itemId: answer.items[0].itemId, type: 'impression' });
        expect(back.body.variant).toBe(answer.variant);
      } else if (segment === 'at_risk') {
        seen.winback++;
        expect(['a', 'b']).toContain(answer.variant);
      } else {
        seen.none++;
        expect(answer.variant).toBe('default');
      }
    }
    // The sample holds every kind of shopper these rules tell apart.
    expect(seen.members).toBeGreaterThan(0);
    expect(seen.winback).toBeGreaterThan(0);
    expect(seen.none).toBeGreaterThan(0);
    await stack.rt.ledger.flush();
    const report = (await request(stack.app).get('/debug/experiments').set(auth).expect(200)).body;
    const members = report.experiments.find((e: { name: string }) => e.name === 'members');
    expect(members.config.tags).toEqual({ priceBand: 'high' });
    const impressions = members.variants.reduce((n: number, v: { impressions: number }) => n + v.impressions, 0);
    expect(impressions).toBe(seen.high);
  });

  it('stops a service whose experiments config is invalid, naming the field', async () => {
    const bad = path.join(cfgDir, 'bad.json');
    await fs.promises.writeFile(
      bad,
      JSON.stringify({
        experiments: [
          {
            name: 'x',
            salt: 's',
            segments: ['vip'],
            variants: [
              { name: 'a', weight: 1 },
              { name: 'b', weight: 1 },
            ],
          },
        ],
      }),
    );
    assertBuilt();
    const run = await runRecs(['serve', '--port', '0'], { RECS_CONFIG_FILE: bad, DATA_DIR: path.join(cfgDir, 'data') }, 30_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/invalid recommendation policy: experiments\.0\.segments\.0/);
  });
});
