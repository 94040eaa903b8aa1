/**
 * The nightly job's promotion gate and rollback, end to end on real PostgreSQL + Redis: a version
 * trained on older data goes live; after new events arrive, a deliberately crippled candidate is
 * refused (paired against the lists the live version serves, on holdout cases newer than it), the
 * live version keeps serving; a sound candidate passes; rollback restores the previous version
 * without restarting the service.
 */
import path from 'path';
import request from 'supertest';
import { openTestStack, TestStack } from '../helpers/stack';
import { generateStorefront, writeEventsCsv, writeItemsCsv } from '../../src/sample/storefront';
import { importFile, importItemsFile } from '../../src/import/importer';
import { buildPolicy } from '../../src/config/policy';
import { runTraining } from '../../training/pipeline';
import { rollback } from '../../training/publish';

describe('promotion gate and rollback (real PostgreSQL + Redis)', () => {
  let stack: TestStack;
  const sample = generateStorefront({ users: 600, items: 300, categories: 10, days: 120, seed: 23 });
  const cut = sample.events[Math.floor(sample.events.length * 0.85)].ts;

  beforeAll(async () => {
    stack = await openTestStack('real');
    const older = path.join(stack.dir, 'older.csv');
    const items = path.join(stack.dir, 'items.csv');
    await writeItemsCsv(items, sample.items);
    await writeEventsCsv(older, sample.events.filter((e) => e.ts < cut));
    await importItemsFile({ path: items, catalog: stack.rt.db.catalog });
    await importFile({ path: older, format: 'events-csv', events: stack.rt.db.events, catalog: stack.rt.db.catalog });
  });
  afterAll(async () => stack?.close());

  const train = (policyOverride: unknown, force = false) =>
    runTraining({
      db: stack.rt.db,
      cache: stack.rt.cache,
      policy: buildPolicy({ ...(policyOverride as object), training: { ...((policyOverride as { training?: object })?.training ?? {}), embedding: { enabled: false } } }),
      modelsDir: stack.config.modelsDir,
      logger: stack.rt.logger,
      publish: true,
      force,
    });

  it('refuses a worse candidate with a clear reason and keeps the live version serving', async () => {
    const first = await train(undefined);
    expect(first.status).toBe('live');
    await stack.rt.live.start();

    const newer = path.join(stack.dir, 'newer.csv');
    await writeEventsCsv(newer, sample.events.filter((e) => e.ts >= cut));
    await importFile({ path: newer, format: 'events-csv', events: stack.rt.db.events, catalog: stack.rt.db.catalog });

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
  });
});
