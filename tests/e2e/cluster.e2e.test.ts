/**
 * Redis Cluster end to end: a private 3-master cluster on loopback, the cache contract run through
 * it, then the whole service (import, train + publish, recommendations, events, availability,
 * feedback, rollback) with REDIS_CLUSTER=1 and REDIS_URL listing the nodes. Any command that touched
 * keys of two slots together (MULTI, Lua, pipeline) would fail here with CROSSSLOT.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import Redis, { type Cluster } from 'ioredis';
import { openCache, type RedisCache } from '../../src/storage/cache';
import { bucketOf, CacheKeys } from '../../src/storage/cache/keys';
import { generateStorefront } from '../../src/sample/storefront';
import { rollback } from '../../training/job/publish';
import { RedisClusterProcess } from '../helpers/redisCluster';
import { cacheContract, event, type Harness, LIMITS, packed, publish, RETAIN } from '../helpers/cacheContract';
import { openTestStack, type TestStack } from '../helpers/stack';
import { uniqueName } from '../helpers/servers';

jest.setTimeout(120_000);

let cluster: RedisClusterProcess;

beforeAll(async () => {
  cluster = await RedisClusterProcess.start(3);
});

afterAll(async () => {
  await cluster?.stop();
});

/** Keys under a prefix on every master (test-only: SCAN never runs in the service). */
async function deletePrefix(prefix: string): Promise<number> {
  let deleted = 0;
  for (const port of cluster.ports) {
    const node = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 });
    try {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        // One key per UNLINK: keys found on a node may still lie in different slots.
        for (const k of found) deleted += await node.unlink(k);
      } while (cursor !== '0');
    } finally {
      node.disconnect();
    }
  }
  return deleted;
}

async function clusterHarness(): Promise<Harness & { client: Cluster }> {
  const keyPrefix = uniqueName('recs_test');
  const cache = await openCache({ redisUrl: cluster.url, cluster: true, keyPrefix });
  const client = (cache as RedisCache).rawClient() as Cluster;
  return {
    client,
    cache,
    keys: new CacheKeys(keyPrefix),
    pttl: (key) => client.pttl(key),
    dispose: async () => {
      await deletePrefix(keyPrefix);
      await cache.close();
    },
  };
}

describe('Redis Cluster topology', () => {
  it('has three masters sharing all 16384 slots', async () => {
    for (const port of cluster.ports) {
      const info = String(await cluster.command(port, 'cluster', 'info'));
      expect(info).toMatch(/cluster_state:ok/);
      expect(info).toMatch(/cluster_known_nodes:3/);
      expect(info).toMatch(/cluster_size:3/);
    }
  });

  it('spreads a version over several masters: its buckets land in different slots', async () => {
    const h = await clusterHarness();
    try {
      const slots = new Set<number>();
      for (let b = 0; b < 32; b++) slots.add(Number(await h.client.cluster('KEYSLOT', h.keys.versionBucket('v1', b))));
      expect(slots.size).toBeGreaterThan(16);
      // Keys that are written together share their slot.
      const slotOf = async (k: string) => Number(await h.client.cluster('KEYSLOT', k));
      expect(await slotOf(h.keys.userSession('alice'))).toBe(await slotOf(h.keys.userBought('alice')));
      expect(await slotOf(h.keys.versionInfo('v1'))).toBe(await slotOf(h.keys.versionMeta('v1')));
      expect(await slotOf(h.keys.livePointer())).toBe(await slotOf(h.keys.previousPointer()));
      expect(await slotOf(h.keys.catalogAvailability())).toBe(await slotOf(h.keys.catalogRevision()));
    } finally {
      await h.dispose();
    }
  });
});

cacheContract('redis cluster', clusterHarness);

describe('RedisCache on a Cluster', () => {
  it('serves a user state whose four keys live on different nodes', async () => {
    const h = await clusterHarness();
    try {
      const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
      await publish(
        h.cache,
        'v1',
        users.map((u, i) => [u, packed(i)]),
        { bucketCount: 16, users: users.length },
      );
      expect(await h.cache.switchLive('v1', null, RETAIN)).toBe(true);
      await h.cache.recordEvents(
        users.map((u, i) => event(u, `i${i}`, 'purchase', 1000 + i)),
        LIMITS,
      );
      await h.cache.setAvailability([{ itemId: 'i1', available: false }]);
      for (const [i, u] of users.entries()) {
        const state = await h.cache.readUserState('v1', 16, u);
        expect(state.list!.equals(packed(i))).toBe(true);
        expect(state.bought).toEqual([`i${i}`]);
        expect(state.session).toEqual([{ itemId: `i${i}`, type: 'purchase', ts: 1000 + i }]);
        expect(state.catalogRev).toBe(1);
      }
      expect(new Set(users.map((u) => bucketOf(u, 16))).size).toBe(16);
    } finally {
      await h.dispose();
    }
  });
});

describe('service end to end on a Redis Cluster', () => {
  let stack: TestStack;
  let firstVersion: string;
  const sample = generateStorefront({ users: 400, items: 240, categories: 8, days: 120, seed: 23 });
  const users = [...new Set(sample.events.map((e) => e.userId))];
  const bought = new Map<string, Set<string>>();
  for (const e of sample.events) {
    if (e.type !== 'purchase') continue;
    if (!bought.has(e.userId)) bought.set(e.userId, new Set());
    bought.get(e.userId)!.add(e.itemId);
  }
  let prefix: string;
  let cfgDir: string | undefined;

  beforeAll(async () => {
    prefix = uniqueName('t');
    // Small buckets, so that a 400-user version spreads over many slots (and all three masters).
    cfgDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-cluster-cfg-'));
    const cfg = path.join(cfgDir, 'policy.json');
    await fs.promises.writeFile(cfg, JSON.stringify({ training: { embedding: { enabled: false } }, cache: { usersPerBucket: 16 } }));
    stack = await openTestStack('embedded', {
      RECS_CONFIG_FILE: cfg,
      REDIS_URL: cluster.url,
      REDIS_CLUSTER: '1',
      REDIS_KEY_PREFIX: prefix,
      DEBUG_TOKEN: 'tok',
    });
    expect(stack.rt.cache.kind).toBe('redis');
    const report = await stack.importSample(sample);
    expect(report.rejected).toBe(0);
    const trained = await stack.train();
    expect(trained.status).toBe('live');
    firstVersion = trained.version;
    await stack.rt.live.start();
  });

  afterAll(async () => {
    await stack?.close();
    if (prefix) await deletePrefix(prefix);
    if (cfgDir) await fs.promises.rm(cfgDir, { recursive: true, force: true });
  });

  const recs = (userId: string, query = 'limit=10') =>
    request(stack.app).get(`/v1/users/${encodeURIComponent(userId)}/recommendations?${query}`);

  it('is ready and publishes the lists across all three masters', async () => {
    const res = await request(stack.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.checks.model).toBe(firstVersion);
    for (const port of cluster.ports) {
      const keys = Number(await cluster.command(port, 'dbsize'));
      expect(keys).toBeGreaterThan(0);
    }
  });

  it('answers many known users with full personal lists, never their purchases', async () => {
    let personal = 0;
    for (const userId of users.slice(0, 150)) {
      const res = await recs(userId);
      expect(res.status).toBe(200);
      expect(res.body.modelVersion).toBe(firstVersion);
      expect(res.body.degraded).toBe(false);
      expect(res.body.items).toHaveLength(10);
      const ids = res.body.items.map((i: { itemId: string }) => i.itemId);
      expect(new Set(ids).size).toBe(10);
      for (const id of ids) expect(bought.get(userId)?.has(id) ?? false).toBe(false);
      if (res.body.items.some((i: { source: string }) => i.source === 'itemcf')) personal++;
    }
    expect(personal).toBeGreaterThan(50);
    const unknown = await recs('nobody-at-all', 'limit=25');
    expect(unknown.body.segment).toBe('new');
    expect(unknown.body.items).toHaveLength(25);
  });

  it('takes events (session + bought) and reflects them at once', async () => {
    const userId = [...bought.keys()][2];
    const before = await recs(userId, 'limit=20');
    const target = before.body.items[0].itemId as string;
    const seed = sample.events[sample.events.length - 1].itemId;
    const post = await request(stack.app)
      .post('/v1/events')
      .send({
        events: [
          { userId, itemId: target, type: 'purchase' },
          { userId: 'cluster-fresh', itemId: seed, type: 'view' },
          { userId: 'cluster-fresh', itemId: seed, type: 'cart' },
        ],
      });
    expect(post.status).toBe(202);
    expect(post.body).toEqual({ accepted: 3 });
    for (const q of ['limit=20', 'limit=100', `limit=50&context=${encodeURIComponent(target)}`]) {
      const after = await recs(userId, q);
      expect(after.body.items.map((i: { itemId: string }) => i.itemId)).not.toContain(target);
    }
    const fresh = await recs('cluster-fresh');
    expect(fresh.body.items[0].source).toBe('session');
    const debug = await request(stack.app).get('/debug/users/cluster-fresh').set('Authorization', 'Bearer tok');
    expect(debug.status).toBe(200);
  });

  it('hides an unavailable item from everyone at once (PUT availability)', async () => {
    const popular = await recs('another-unknown-user', 'limit=5');
    const target = popular.body.items[0].itemId as string;
    await request(stack.app)
      .put(`/v1/items/${encodeURIComponent(target)}`)
      .send({ available: false })
      .expect(200);
    for (const userId of ['another-unknown-user', ...users.slice(0, 30)]) {
      const res = await recs(userId, 'limit=50');
      expect(res.body.items.map((i: { itemId: string }) => i.itemId)).not.toContain(target);
    }
    await request(stack.app)
      .put(`/v1/items/${encodeURIComponent(target)}`)
      .send({ available: true })
      .expect(200);
    expect((await recs('another-unknown-user', 'limit=5')).body.items[0].itemId).toBe(target);
  });

  it('attributes feedback', async () => {
    const res = await recs(users[0]);
    const fb = await request(stack.app)
      .post('/v1/feedback')
      .send({ recommendationId: res.body.recommendationId, itemId: res.body.items[0].itemId, type: 'click' });
    expect(fb.status).toBe(202);
  });

  it('publishes a second version and rolls back to the first', async () => {
    const { db, cache } = stack.rt;
    const second = await stack.train({ force: true });
    expect(second.status).toBe('live');
    await stack.rt.live.refresh();
    expect((await recs(users[0])).body.modelVersion).toBe(second.version);
    const back = await rollback({
      cache,
      models: db.models,
      modelsDir: stack.config.modelsDir,
      policy: stack.config.policy,
      logger: stack.rt.logger,
    });
    expect(back).toEqual({ from: second.version, to: firstVersion });
    await stack.rt.live.refresh();
    const res = await recs(users[0]);
    expect(res.body.modelVersion).toBe(firstVersion);
    expect(res.body.items).toHaveLength(10);
  });
});
