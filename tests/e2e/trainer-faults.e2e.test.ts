/**
 * The nightly job under faults, with the built binary: a `recs train --publish` SIGKILLed in the
 * middle of its publish leaves the live version serving, unchanged; a second trainer started while
 * one runs fails fast; the next run cleans up the dead run's version and publishes.
 *
 * To kill the trainer provably mid-publish (not before, not after), its Redis connection goes
 * through a TCP relay in this test that stops forwarding at the first write of user lists (a
 * `...}:users` key): the trainer hangs inside the publish and is SIGKILLed there. Production code
 * has no test hook.
 */
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import { assertBuilt, runRecs, startRecs, stop } from '../helpers/cli';
import { freshDatabase, testRedisUrl, uniqueName } from '../helpers/servers';
import { generateStorefront, writeEventsCsv, writeItemsCsv } from '../../src/sample/storefront';
import { openDatabase } from '../../src/storage/database';
import { CacheKeys } from '../../src/storage/cache/keys';
import { spawn } from 'child_process';
import { childEnv, ROOT } from '../helpers/cli';

jest.setTimeout(150_000);

/** Relays to Redis; once `stall` is armed it stops forwarding client bytes from the first chunk matching it. */
async function relay(target: URL) {
  const state = { armed: false, stalled: false };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    client.on('data', (chunk) => {
      if (state.stalled) return;
      if (state.armed && /\}:users/.test(chunk.toString('latin1'))) {
        state.stalled = true;
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (d) => client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    state,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const getJson = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(() => assertBuilt());

it('a trainer SIGKILLed mid-publish leaves the live version serving; a concurrent trainer fails fast; the next run cleans up and publishes', async () => {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-trainkill-'));
  const db = await freshDatabase();
  const prefix = uniqueName('tk');
  const cfg = path.join(dir, 'policy.json');
  await fs.promises.writeFile(cfg, JSON.stringify({ training: { embedding: { enabled: false } } }));
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: prefix,
    DATA_DIR: path.join(dir, 'data'),
    MODELS_DIR: path.join(dir, 'models'),
    DEBUG_TOKEN: 'tok',
    RECS_CONFIG_FILE: cfg,
    LOG_LEVEL: 'info',
  };
  const proxy = await relay(new URL(testRedisUrl()));
  let serve: Awaited<ReturnType<typeof startRecs>> | undefined;
  try {
    const sample = generateStorefront({ users: 400, items: 200, categories: 6, days: 90, seed: 9 });
    await writeEventsCsv(path.join(dir, 'events.csv'), sample.events);
    await writeItemsCsv(path.join(dir, 'items.csv'), sample.items);
    expect((await runRecs(['migrate'], env)).code).toBe(0);
    expect(
      (await runRecs(['import', path.join(dir, 'events.csv'), '--format', 'events-csv', '--items', path.join(dir, 'items.csv')], env)).code,
    ).toBe(0);
    const first = await runRecs(['train', '--publish', '--json'], env);
    expect(first.code).toBe(0);
    const v1 = JSON.parse(first.stdout).version as string;

    serve = await startRecs(['serve', '--port', '0'], env, /"port":(\d+).*"msg":"serving"/);
    const auth = { authorization: 'Bearer tok' };
    const users = [...new Set(sample.events.slice(-50).map((e) => e.userId))].slice(0, 8);
    const answers = async () =>
      Promise.all(users.map(async (u) => (await getJson(`${serve!.url}/v1/users/${u}/recommendations?limit=10`)).body));
    const before = await answers();
    expect(before.every((a) => a.modelVersion === v1 && a.items.length === 10)).toBe(true);

    // Trainer A publishes through the relay and hangs at its first user-list write.
    proxy.state.armed = true;
    const a = spawn(process.execPath, [path.join(ROOT, 'bin', 'recs.js'), 'train', '--publish', '--force'], {
      cwd: ROOT,
      env: childEnv({ ...env, REDIS_URL: proxy.url }),
    });
    let aOut = '';
    a.stderr.on('data', (d) => (aOut += d));
    a.stdout.on('data', (d) => (aOut += d));
    const aClosed = new Promise<void>((r) => a.on('close', () => r()));
    const deadline = Date.now() + 90_000;
    while (!(proxy.state.stalled && /publishing: staging the version/.test(aOut))) {
      if (a.exitCode !== null || Date.now() > deadline) throw new Error(`trainer A did not reach the publish stage:\n${aOut}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const v2 = /"version":"([^"]+)","previous"/.exec(aOut)![1];
    expect(v2).not.toBe(v1);

    // Trainer B, started while A holds the lock: fails fast and clearly, changes nothing.
    const t0 = Date.now();
    const b = await runRecs(['train', '--publish', '--force'], env);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toMatch(/another `recs train` is running/);
    expect(Date.now() - t0).toBeLessThan(15_000);

    a.kill('SIGKILL');
    await aClosed;

    // The live version is intact and serving, answers unchanged.
    const models = await getJson(`${serve.url}/debug/models`, auth);
    expect(models.status).toBe(200);
    expect(JSON.stringify(models.body)).toContain(v1);
    const liveOf = (body: any): string | undefined =>
      body.live ?? body.versions?.find((m: any) => m.status === 'live' || m.live === true)?.version;
    expect(liveOf(models.body)).toBe(v1);
    expect(await answers()).toEqual(before.map((x) => ({ ...x, recommendationId: expect.any(String) })));

    const dbh = await openDatabase({ databaseUrl: db.url, dataDir: dir });
    try {
      expect((await dbh.models.get(v2))?.status).toBe('publishing');
      expect((await dbh.models.live())?.version).toBe(v1);

      // The next run: cleans up the dead run's version, takes the lock, publishes.
      const next = await runRecs(['train', '--publish', '--force', '--json'], env);
      expect(next.code).toBe(0);
      const v3 = JSON.parse(next.stdout).version as string;
      expect(next.stderr).toMatch(/abandoned by an interrupted run/);
      expect((await dbh.models.get(v2))?.status).toBe('failed');
      expect((await dbh.models.live())?.version).toBe(v3);
      const redis = new Redis(testRedisUrl());
      try {
        const keys = new CacheKeys(prefix);
        expect(await redis.exists(keys.versionInfo(v2), keys.versionMeta(v2))).toBe(0);
      } finally {
        redis.disconnect();
      }
      // The service follows the new live pointer.
      const deadline2 = Date.now() + 10_000;
      while ((await getJson(`${serve.url}/v1/users/${users[0]}/recommendations`)).body.modelVersion !== v3) {
        if (Date.now() > deadline2) throw new Error('service did not pick up the new version');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await dbh.close();
    }
  } finally {
    if (serve) expect(await stop(serve.child)).toBe(0);
    await proxy.close();
    await db.drop();
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
  // Four `recs train` processes (one killed mid-publish, one refused at once) and a server: about
  // 25 s here, and room for a loaded 2-core machine.
}, 180_000);
