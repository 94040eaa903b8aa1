/**
 * The nightly job's promotion gate and rollback, end to end on real PostgreSQL + Redis: a version
 * trained on older data goes live; after new events arrive, a deliberately crippled candidate is
 * refused (paired against the lists the live version serves, on holdout cases newer than it), the
 * live version keeps serving; a sound candidate passes; rollback restores the previous version
 * without restarting the service.
 */
import request from 'supertest';
import { openTestStack, type TestStack } from '../helpers/stack';
import { generateStorefront } from '../../src/sample/storefront';
import { buildPolicy } from '../../src/config/policy';
import { rollback } from '../../training/job/publish';

describe('promotion gate and rollback (real PostgreSQL + Redis)', () => {
  let stack: TestStack;
  const sample = generateStorefront({ users: 600, items: 300, categories: 10, days: 120, seed: 23 });
  const cut = sample.events[Math.floor(sample.events.length * 0.85)].ts;

  beforeAll(async () => {
    stack = await openTestStack('real');
    await stack.importSample({ items: sample.items, events: sample.events.filter((e) => e.ts < cut) }, 'older');
  });
  afterAll(async () => stack?.close());

  const train = (policyOverride: { training?: object } | undefined) =>
    stack.train({ policy: buildPolicy({ ...policyOverride, training: { ...policyOverride?.training, embedding: { enabled: false } } }) });

  it('refuses a worse candidate with a clear reason and keeps the live version serving', async () => {
    const first = await train(undefined);
    expect(first.status).toBe('live');
    await stack.rt.live.start();

    await stack.importSample({ events: sample.events.filter((e) => e.ts >= cut) }, 'newer');

    // Crippled: one neighbour per item, one history seed, no re-find, popularity for the rest.
    const crippled = await train({ training: { neighbours: 1, historySeeds: 1, excludeInteracted: 'all' } });
    expect(crippled.status).toBe('rejected');
    expect(crippled.gate?.passed).toBe(false);
    expect(crippled.gate?.paired?.liveVersion).toBe(first.version);
    expect(crippled.gate?.paired?.cases).toBeGreaterThanOrEqual(30);
    expect(crippled.gate?.paired?.samePolicy).toBe(false);
    expect(crippled.gate?.reasons.join(' ')).toMatch(/below live .* on the same \d+ holdout cases/);
    expect((await stack.rt.db.models.get(crippled.version))?.status).toBe('rejected');
    expect(await stack.rt.cache.liveVersion()).toBe(first.version);
    expect(await stack.rt.cache.versionInfo(crippled.version)).toBeNull();
    await stack.rt.live.refresh();
    const res = await request(stack.app).get('/v1/users/u0001/recommendations');
    expect(res.body.modelVersion).toBe(first.version);

    const sound = await train(undefined);
    expect(sound.status).toBe('live');
    expect(sound.gate?.passed).toBe(true);
    expect(sound.gate?.paired?.candidate.ndcg10).toBeGreaterThan(0);
    await stack.rt.live.refresh();
    expect((await request(stack.app).get('/v1/users/u0001/recommendations')).body.modelVersion).toBe(sound.version);

    const back = await rollback({
      cache: stack.rt.cache,
      models: stack.rt.db.models,
      modelsDir: stack.config.modelsDir,
      policy: stack.config.policy,
      logger: stack.rt.logger,
    });
    expect(back).toEqual({ from: sound.version, to: first.version });
    await stack.rt.live.refresh();
    const after = await request(stack.app).get('/v1/users/u0001/recommendations');
    expect(after.body.modelVersion).toBe(first.version);
    expect(after.body.items).toHaveLength(10);
    // Three full trainings (about 25 s here, over 50 s on a loaded 2-core machine).
  }, 180_000);
});
