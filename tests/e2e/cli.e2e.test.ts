/**
 * The product as a user runs it: the built `recs` binary in its own processes.
 * 1. `recs demo` with nothing configured (embedded PGlite + in-process cache).
 * 2. `recs migrate / import / train --publish / serve` against the real PostgreSQL and Redis.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { assertBuilt, runRecs, startRecs, stop } from '../helpers/cli';
import { freshDatabase, testRedisUrl, uniqueName } from '../helpers/servers';
import { generateStorefront } from '../../src/sample/storefront';
import { launchChromium, pixelStats } from '../helpers/browser';

const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as any };
};
const send = async (method: string, url: string, body: unknown) => {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(() => assertBuilt());

describe('recs demo (embedded, nothing configured)', () => {
  it('serves 10 items to any user well within 2 minutes of start, unknown users as `new`, and prints a console link that opens signed in', async () => {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-demo-'));
    const started = Date.now();
    const demo = await startRecs(
      ['demo', '--port', '0'],
      { DATA_DIR: dir, MODELS_DIR: path.join(dir, 'models') },
      /http:\/\/localhost:(\d+)\/v1\/users/,
    );
    try {
      const unknown = await getJson(`${demo.url}/v1/users/somebody-unknown/recommendations?limit=10`);
      expect(Date.now() - started).toBeLessThan(120_000);
      expect(unknown.status).toBe(200);
      expect(unknown.body.segment).toBe('new');
      expect(unknown.body.items).toHaveLength(10);
      const known = /v1\/users\/([^/]+)\/recommendations/.exec(demo.output())![1];
      const res = await getJson(`${demo.url}/v1/users/${known}/recommendations?limit=10`);
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(10);
      expect(res.body.segment).not.toBe('new');

      // After a short simulation the demo prints the console link; it opens the console signed in.
      let found: RegExpExecArray | null = null;
      for (let waited = 0; !found && waited < 150_000; waited += 500) {
        found = /(http:\/\/localhost:\d+\/console#token=\S+)/.exec(demo.output());
        if (!found) await new Promise((r) => setTimeout(r, 500));
      }
      const link = found![1];
      const token = decodeURIComponent(/#token=(\S+)/.exec(link)![1]);
      const models = await fetch(`${demo.url}/debug/models`, { headers: { Authorization: `Bearer ${token}` } });
      expect(models.status).toBe(200);
      const live = ((await models.json()) as { live: string }).live;
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(link.replace('localhost', '127.0.0.1'));
        const table = page.getByTestId('models-table');
        await table.waitFor({ timeout: 20_000 });
        expect(await table.textContent()).toContain(live);
        expect(await page.getByTestId('token-input').isVisible()).toBe(false);
        expect(page.url()).not.toContain('token='); // the token leaves the address bar

        // The Growth page opens populated: versions from the simulated nights, their segment
        // movement, and outcomes per day, drawn by the bundled chart library.
        const growth = (await (await fetch(`${demo.url}/debug/growth`, { headers: { Authorization: `Bearer ${token}` } })).json()) as {
          versions: unknown[];
          transitions: unknown;
          outcomes: Array<{ day: string; revenue: number }>;
        };
        expect(growth.versions.length).toBeGreaterThanOrEqual(4);
        expect(growth.transitions).not.toBeNull();
        expect(new Set(growth.outcomes.map((r) => r.day)).size).toBe(3);
        expect(growth.outcomes.reduce((a, r) => a + r.revenue, 0)).toBeGreaterThan(0);
        await page.setViewportSize({ width: 1280, height: 1800 });
        await page.getByTestId('tab-growth').click();
        await page.locator('#growth-body[data-rendered="2"]').waitFor({ timeout: 20_000 });
        for (const id of ['growth-segments-chart', 'growth-trend-chart']) {
          const chart = pixelStats(await page.getByTestId(id).screenshot());
          expect(chart.width).toBeGreaterThan(300);
          expect(chart.distinctColours).toBeGreaterThan(10);
          expect(chart.nonBackgroundShare).toBeGreaterThan(0.03);
        }
        expect(await page.getByTestId('growth-transition-row').count()).toBe(6);
        const shot = await page.screenshot({ fullPage: true });
        const file = path.join(os.tmpdir(), `recs-console-growth-${process.pid}.png`);
        await fs.promises.writeFile(file, shot);
        console.log(`console Growth page screenshot: ${file}`);
      } finally {
        await browser.close();
      }
    } finally {
      expect(await stop(demo.child)).toBe(0);
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('recs against real PostgreSQL and Redis', () => {
  it('migrates, imports MovieLens-format data, trains, publishes and serves', async () => {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-cli-'));
    const db = await freshDatabase();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: uniqueName('cli'),
      DATA_DIR: path.join(dir, 'data'),
      MODELS_DIR: path.join(dir, 'models'),
      LOG_LEVEL: 'info',
    };
    // A MovieLens u.data-shaped file (user \t item \t rating \t seconds) made from the generator.
    const sample = generateStorefront({ users: 300, items: 200, categories: 6, days: 90, seed: 5 });
    const rows = sample.events.map(
      (e, i) => `${e.userId.replace(/\D/g, '')}\t${e.itemId.replace(/\D/g, '')}\t${1 + (i % 5)}\t${Math.floor(e.ts / 1000)}`,
    );
    rows.splice(10, 0, 'not\ta\tvalid\trow');
    const file = path.join(dir, 'u.data');
    await fs.promises.writeFile(file, rows.join('\n') + '\n');
    // This small shop's holdout is below the default gate.minCases: lower it so the significance rule runs.
    const gateFile = path.join(dir, 'policy.json');
    await fs.promises.writeFile(gateFile, JSON.stringify({ gate: { minCases: 20 } }));
    let server: Awaited<ReturnType<typeof startRecs>> | undefined;
    try {
      const imported0 = await runRecs(['import', file, '--format', 'movielens'], env);
      expect(imported0.code).not.toBe(0);
      expect(imported0.stderr).toContain('recs migrate');

      const migrate = await runRecs(['migrate'], env);
      expect(migrate.code).toBe(0);
      expect(migrate.stdout).toMatch(/schema at version \d+/);

      const imported = await runRecs(['import', file, '--format', 'movielens', '--json'], env);
      expect(imported.code).toBe(0);
      const report = JSON.parse(imported.stdout);
      expect(report.events.imported).toBe(sample.events.length);
      expect(report.events.rejected).toBe(1);
      expect(report.events.errors[0].line).toBe(11);

      const train = await runRecs(['train', '--publish', '--json'], env);
      expect(train.code).toBe(0);
      const trained = JSON.parse(train.stdout);
      expect(trained.status).toBe('live');

      // A second night, printed for a person: the gate's decision with its paired difference to
      // the live version (the same policy, so exactly 0) and its interval.
      const again = await runRecs(['train', '--publish'], { ...env, RECS_CONFIG_FILE: gateFile });
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/: live\n/);
      expect(again.stdout).toMatch(
        /gate: promoted by the significance rule on \d+ holdout cases: NDCG@10 vs live \S+ \+0\.0000 \[0\.0000, 0\.0000\], vs popularity \+0\.\d{4} \[0\.\d{4}, 0\.\d{4}\]/,
      );
      expect(again.stdout).toMatch(/paired difference 0\.0000 \(95% CI \[0\.0000, 0\.0000\], one-sided lower bound 0\.0000\)/);
      expect(again.stdout).toMatch(/holdout published {2}HR@10 \d\.\d{4} {2}NDCG@10 \d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\] on \d+ cases/);

      server = await startRecs(['serve', '--port', '0'], env, /"port":(\d+)[^\n]*"msg":"serving"/);
      const user = rows[0].split('\t')[0];
      const rated = new Set(rows.filter((r) => r.split('\t')[0] === user).map((r) => r.split('\t')[1]));
      const recs = await getJson(`${server.url}/v1/users/${user}/recommendations?limit=10`);
      expect(recs.status).toBe(200);
      expect(recs.body.modelVersion).toBe(/^version (\S+): live$/m.exec(again.stdout)![1]);
      expect(recs.body.items).toHaveLength(10);
      for (const it of recs.body.items) expect(rated.has(it.itemId)).toBe(false);

      const item = recs.body.items[0].itemId;
      const similar = await getJson(`${server.url}/v1/items/${item}/similar`);
      expect(similar.status).toBe(200);
      expect(similar.body.items.length).toBeGreaterThan(0);
      // Item-CF neighbours first, then the embedding's (trained with TF.js by `recs train`).
      const wide = await getJson(`${server.url}/v1/items/${item}/similar?limit=100`);
      expect(wide.body.items.some((i: any) => i.source === 'embedding')).toBe(true);
      expect(trained.metrics.holdout.published.ndcg10).toBeGreaterThan(0);

      expect((await send('POST', `${server.url}/v1/events`, { events: [{ userId: user, itemId: item, type: 'purchase' }] })).status).toBe(
        202,
      );
      const after = await getJson(`${server.url}/v1/users/${user}/recommendations?limit=100`);
      expect(after.body.items.map((i: any) => i.itemId)).not.toContain(item);

      const other = recs.body.items[1].itemId;
      expect((await send('PUT', `${server.url}/v1/items/${other}`, { available: false })).status).toBe(200);
      for (const u of ['1', '2', '3', 'new-user', user]) {
        const r = await getJson(`${server.url}/v1/users/${u}/recommendations?limit=100`);
        expect(r.body.items.map((i: any) => i.itemId)).not.toContain(other);
      }
    } finally {
      if (server) await stop(server.child);
      await db.drop();
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  });
});
