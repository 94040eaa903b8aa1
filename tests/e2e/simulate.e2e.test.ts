/**
 * `recs simulate` against `recs serve` on a fresh stack (real PostgreSQL + Redis), each the built
 * binary in its own process: the simulation lays down a world, drives the service for five days
 * through its HTTP API with a nightly training between days, and the growth report then shows the
 * versions, the movement between segments, retention and revenue.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { assertBuilt, runRecs, startRecs, stop } from '../helpers/cli';
import { freshDatabase, testRedisUrl, uniqueName } from '../helpers/servers';
import { SEGMENTS } from '../../src/domain/types';

jest.setTimeout(420_000);

const TOKEN = 'simulate-operator';

beforeAll(() => assertBuilt());

describe('recs simulate --days 5 on a fresh stack (real PostgreSQL + Redis)', () => {
  it('leaves five versions, a transition matrix whose rows sum to the previous sizes, retention for every segment and revenue', async () => {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-simulate-'));
    const db = await freshDatabase();
    // Trainings without the embedding keep this run short; the simulation is the same.
    const cfg = path.join(dir, 'policy.json');
    await fs.promises.writeFile(cfg, JSON.stringify({ training: { embedding: { enabled: false } } }));
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: uniqueName('sim'),
      DATA_DIR: path.join(dir, 'data'),
      MODELS_DIR: path.join(dir, 'models'),
      DEBUG_TOKEN: TOKEN,
      RECS_CONFIG_FILE: cfg,
      LOG_LEVEL: 'info',
    };
    expect((await runRecs(['migrate'], env)).code).toBe(0);
    const server = await startRecs(['serve', '--port', '0'], env, /"port":(\d+)/);
    try {
      const run = await runRecs(
        ['simulate', '--days', '5', '--shoppers', '400', '--seed', '3', '--url', server.url, '--json'],
        env,
        400_000,
      );
      expect(run.code).toBe(0);
      const days = JSON.parse(run.stdout) as Array<{ day: string; visits: number; impressions: number; revenue: number; status: string }>;
      expect(days).toHaveLength(5);
      for (const d of days) {
        expect(d.visits).toBeGreaterThan(0);
        expect(d.impressions).toBeGreaterThan(0);
      }
      // The last simulated day ends today.
      expect(days[4].day).toBe(new Date(Date.now() - 24 * 3600 * 1000).toISOString().slice(0, 10));

      const res = await fetch(`${server.url}/debug/growth`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      const growth = (await res.json()) as {
        versions: Array<{ version: string; segments: Record<string, number> }>;
        transitions: { from: string; to: string; counts: Record<string, Record<string, number>> };
        retention: Record<string, { users: number; retained: number; rate: number }>;
        outcomes: Array<{ day: string; revenue: number; impressions: number }>;
      };
      expect(growth.versions.length).toBeGreaterThanOrEqual(5);
      const [prev, live] = growth.versions.slice(-2);
      expect(growth.transitions).toMatchObject({ from: prev.version, to: live.version });
      for (const segment of SEGMENTS) {
        // Shoppers never leave this storefront's data, so each row is the previous segment's size.
        const row = growth.transitions.counts[segment];
        expect(Object.values(row).reduce((a, b) => a + b, 0)).toBe(prev.segments[segment]);
        expect(prev.segments[segment]).toBeGreaterThan(0);
        expect(growth.retention[segment].users).toBe(prev.segments[segment]);
        expect(growth.retention[segment].rate).toBeGreaterThanOrEqual(0);
      }
      const revenue = growth.outcomes.reduce((a, r) => a + r.revenue, 0);
      expect(revenue).toBeGreaterThan(0);
      expect(new Set(growth.outcomes.map((r) => r.day)).size).toBe(5);
    } finally {
      expect(await stop(server.child)).toBe(0);
      await db.drop();
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to run without the service’s stores, saying why', async () => {
    const run = await runRecs(['simulate', '--days', '1'], { DATA_DIR: os.tmpdir() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/DATABASE_URL and REDIS_URL/);
  });
});

describe('the storefront simulation, in process', () => {
  it('replays the same storefront for the same seed (two fresh stacks, same days)', async () => {
    const { openTestStack } = await import('../helpers/stack');
    const { createHttpServer } = await import('../../src/http/httpServer');
    const { StorefrontClient } = await import('../../src/simulate/client');
    const { simulateStorefront } = await import('../../src/simulate/simulation');
    const run = async () => {
      const stack = await openTestStack('embedded');
      const server = createHttpServer(stack.app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      await stack.rt.live.start();
      try {
        const { port } = server.address() as { port: number };
        const days = await simulateStorefront({
          client: new StorefrontClient(`http://127.0.0.1:${port}`),
          world: { shoppers: 150, items: 120, categories: 6, historyDays: 60, seed: 11, start: Date.UTC(2026, 5, 1) },
          days: 2,
          train: async () => {
            const report = await stack.train();
            // The service follows the new version at once (the test stack does not poll).
            await stack.rt.live.start();
            return { version: report.version, status: report.status };
          },
        });
        return days.map(({ version: _v, ...day }) => day);
      } finally {
        await new Promise((resolve) => server.close(resolve));
        await stack.close();
      }
    };
    const first = await run();
    expect(first).toHaveLength(2);
    expect(first[0].visits).toBeGreaterThan(0);
    expect(first.reduce((n, d) => n + d.clicks, 0)).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
  });
});
