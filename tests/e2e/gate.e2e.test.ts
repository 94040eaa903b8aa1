/**
 * The nightly job's promotion gate and rollback, end to end on real PostgreSQL + Redis: a version
 * trained on older data goes live; after new events arrive, a candidate identical to it is promoted
 * (paired difference exactly 0), a deliberately crippled one is refused with its paired difference
 * and interval (on the same holdout cases) while the live version keeps serving, a holdout below
 * gate.minCases falls back to the tolerance rule and says so; rollback restores the previous
 * version without restarting the service.
 */
import request from 'supertest';
import { openTestStack, type TestStack } from '../helpers/stack';
import { generateStorefront } from '../../src/sample/storefront';
import { buildPolicy, DEFAULT_POLICY } from '../../src/config/policy';
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

  const train = (policyOverride: { training?: object; gate?: object } | undefined) =>
    stack.train({ policy: buildPolicy({ ...policyOverride, training: { ...policyOverride?.training, embedding: { enabled: false } } }) });

  it('decides by significance: promotes an identical candidate, refuses a worse one with its interval, and says when the holdout is too small', async () => {
    const first = await train(undefined);
    expect(first.status).toBe('live');
    await stack.rt.live.start();

    await stack.importSample({ events: sample.events.filter((e) => e.ts >= cut) }, 'newer');

    // The same configuration on the new data: the paired difference is exactly 0, so it is promoted.
    const same = await train(undefined);
    expect(same.status).toBe('live');
    expect(same.gate).toMatchObject({ passed: true, rule: 'significance', reasons: [] });
    expect(same.gate!.cases).toBeGreaterThanOrEqual(DEFAULT_POLICY.gate.minCases);
    expect(same.gate!.paired).toMatchObject({
      liveVersion: first.version,
      samePolicy: true,
      difference: { diff: 0, ci95: [0, 0], lower: 0 },
    });
    expect(same.gate!.vsPopular!.lower).toBeGreaterThan(0);
    expect(same.gate!.summary).toMatch(
      /^promoted by the significance rule on \d+ holdout cases: NDCG@10 vs live \S+ \+0\.0000 \[0\.0000, 0\.0000\], vs popularity \+0\.\d{4} \[0\.\d{4}, 0\.\d{4}\]$/,
    );
    await stack.rt.live.refresh();

    // Crippled: one neighbour per item, one history seed, no re-find, popularity for the rest.
    const crippled = await train({ training: { neighbours: 1, historySeeds: 1, excludeInteracted: 'all' } });
    expect(crippled.status).toBe('rejected');
    expect(crippled.gate).toMatchObject({ passed: false, rule: 'significance' });
    expect(crippled.gate?.paired?.liveVersion).toBe(same.version);
    expect(crippled.gate?.paired?.samePolicy).toBe(false);
    const d = crippled.gate!.paired!.difference!;
    expect(d.diff).toBeLessThan(0);
    expect(d.ci95[1]).toBeLessThan(0);
    expect(crippled.gate?.reasons.join(' ')).toMatch(
      /significantly below live \S+'s \d\.\d{4} on the same \d+ holdout cases: paired difference -0\.\d{4}, 95% CI \[-0\.\d{4}, -0\.\d{4}\], one-sided 95% lower bound -0\.\d{4} below -0\.\d{4} \(tolerance 2\.0% of live\)/,
    );
    expect((await stack.rt.db.models.get(crippled.version))?.status).toBe('rejected');
    expect(await stack.rt.cache.liveVersion()).toBe(same.version);
    expect(await stack.rt.cache.versionInfo(crippled.version)).toBeNull();
    await stack.rt.live.refresh();
    const res = await request(stack.app).get('/v1/users/u0001/recommendations');
    expect(res.body.modelVersion).toBe(same.version);

    // The decision and its interval are stored with the version.
    const stored = await stack.rt.db.models.get(crippled.version);
    expect(stored?.metrics.gate?.paired?.difference).toEqual(d);
    expect(stored?.metrics.holdout?.published?.ci95?.ndcg10[0]).toBeLessThanOrEqual(stored!.metrics.holdout!.published!.ndcg10);

    // A holdout below the minimum: the tolerance rule, and the decision says so.
    const small = await train({ gate: { minCases: 100_000 } });
    expect(small.status).toBe('live');
    expect(small.gate).toMatchObject({ passed: true, rule: 'tolerance' });
    expect(small.gate!.paired!.difference).toBeUndefined();
    expect(small.gate!.summary).toContain(
      `holdout of ${small.gate!.cases} cases is below gate.minCases (100000): tolerance rule, no significance test`,
    );
    await stack.rt.live.refresh();
    expect((await request(stack.app).get('/v1/users/u0001/recommendations')).body.modelVersion).toBe(small.version);

    const back = await rollback({
      cache: stack.rt.cache,
      models: stack.rt.db.models,
      modelsDir: stack.config.modelsDir,
      policy: stack.config.policy,
      logger: stack.rt.logger,
    });
    expect(back).toEqual({ from: small.version, to: same.version });
    await stack.rt.live.refresh();
    const after = await request(stack.app).get('/v1/users/u0001/recommendations');
    expect(after.body.modelVersion).toBe(same.version);
    expect(after.body.items).toHaveLength(10);
    // Four full trainings (about 35 s here, over 60 s on a loaded 2-core machine).
  }, 240_000);
});
