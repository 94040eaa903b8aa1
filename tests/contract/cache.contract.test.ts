/**
 * One contract for RecommendationCache, run against Redis (the real server from TEST_REDIS_URL,
 * a unique key prefix per test) and the in-process MemoryCache, so the two cannot drift apart.
 */
import { createServer } from 'net';
import Redis from 'ioredis';
import { openCache, REQUEST_PATH_CLIENT_OPTIONS } from '../../src/storage/cache';
import { CacheKeys } from '../../src/storage/cache/keys';
import { MemoryCache } from '../../src/storage/cache/memoryCache';
import { RedisCache } from '../../src/storage/cache/redisCache';
import { testRedisUrl, uniqueName } from '../helpers/servers';
import { cacheContract, event, type Harness, LIMITS, packed, publish, RETAIN, STAGING_TTL } from '../helpers/cacheContract';

// ---------------------------------------------------------------------------------------------
// Redis

/** Removes every key under the prefix (test-only: SCAN never runs in the service). */
async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await client.unlink(...found);
  } while (cursor !== '0');
}

async function redisHarness(): Promise<Harness & { client: Redis }> {
  const client = new Redis(testRedisUrl(), { ...REQUEST_PATH_CLIENT_OPTIONS, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const keys = new CacheKeys(uniqueName('recs_test'));
  const cache = new RedisCache({ client, keys });
  return {
    client,
    cache,
    keys,
    pttl: (key) => client.pttl(key),
    dispose: async () => {
      await deletePrefix(client, keys.prefix);
      await cache.close();
    },
  };
}

cacheContract('redis', redisHarness);

describe('RedisCache specifics', () => {
  let h: Harness & { client: Redis };
  beforeEach(async () => {
    h = await redisHarness();
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('reads a user state in one round trip (one scripted call, one socket write)', async () => {
    const { cache, client } = h;
    await publish(cache, 'v1', [['alice', packed(1)]]);
    await cache.switchLive('v1', null, RETAIN);
    await cache.recordEvents([event('alice', 'i1', 'purchase', 1)], LIMITS);
    await cache.setAvailability([{ itemId: 'i9', available: false }]);

    const writes = jest.spyOn(client.stream, 'write');
    const commands = jest.spyOn(client, 'sendCommand');
    try {
      for (let round = 0; round < 2; round++) {
        writes.mockClear();
        commands.mockClear();
        const state = await cache.readUserState('v1', 8, 'alice');
        expect(state.list!.equals(packed(1))).toBe(true);
        expect(state.bought).toEqual(['i1']);
        expect(state.session.map((e) => e.itemId)).toEqual(['i1']);
        expect(state.catalogRev).toBe(1);
        // One command (EVALSHA: the script is loaded when the connection is made), one socket write
        // (auto-pipelining sends it through ioredis's own pipeline: still one command, one write).
        expect(commands).toHaveBeenCalledTimes(1);
        expect(writes).toHaveBeenCalledTimes(1);
      }
      // A user without session or bought keys, and one without a list.
      const bob = await cache.readUserState('v1', 8, 'bob');
      expect(bob).toEqual({ list: null, session: [], bought: [], catalogRev: 1 });
    } finally {
      writes.mockRestore();
      commands.mockRestore();
    }
  });

  it('reads on after the server lost its scripts (NOSCRIPT: load, then repeat the call)', async () => {
    const { cache, client } = h;
    await publish(cache, 'v1', [['alice', packed(1)]]);
    await cache.switchLive('v1', null, RETAIN);
    await client.script('FLUSH');
    expect((await cache.readUserState('v1', 8, 'alice')).list!.equals(packed(1))).toBe(true);
    const commands = jest.spyOn(client, 'sendCommand');
    try {
      expect((await cache.readUserState('v1', 8, 'alice')).list!.equals(packed(1))).toBe(true);
      expect(commands).toHaveBeenCalledTimes(1);
    } finally {
      commands.mockRestore();
    }
  });

  it('treats an empty expected live version as "none yet"', async () => {
    await publish(h.cache, 'v1', [['alice', packed(1)]]);
    expect(await h.cache.switchLive('v1', '', RETAIN)).toBe(true);
    expect(await h.cache.liveVersion()).toBe('v1');
  });

  it('stores sessions compactly as JSON entries', async () => {
    await h.cache.recordEvents([event('alice', 'it\tem', 'cart', 42)], LIMITS);
    expect(await h.client.lrange(h.keys.userSession('alice'), 0, -1)).toEqual(['[42,"cart","it\\tem"]']);
  });
});

// ---------------------------------------------------------------------------------------------
// In-process

function memoryHarnessWithClock(): Harness & { cache: MemoryCache; advance(seconds: number): void } {
  let now = Date.UTC(2024, 0, 1);
  const keys = new CacheKeys(uniqueName('recs_test'));
  const cache = new MemoryCache({ keys, now: () => now });
  return {
    cache,
    keys,
    pttl: async (key) => cache.pttl(key),
    dispose: () => cache.close(),
    advance: (seconds) => {
      now += seconds * 1000;
    },
  };
}

cacheContract('memory', async () => memoryHarnessWithClock());

describe('MemoryCache expiry on the injected clock', () => {
  it("drops the replaced version's lists after retainSeconds and keeps the live one", async () => {
    const h = memoryHarnessWithClock();
    await publish(h.cache, 'v1', [['alice', packed(1)]]);
    expect(await h.cache.switchLive('v1', null, RETAIN)).toBe(true);
    await publish(h.cache, 'v2', [['alice', packed(2)]]);
    expect(await h.cache.switchLive('v2', 'v1', RETAIN)).toBe(true);

    h.advance(RETAIN - 1);
    expect((await h.cache.readUserState('v1', 8, 'alice')).list).not.toBeNull();
    h.advance(2);
    expect((await h.cache.readUserState('v1', 8, 'alice')).list).toBeNull();
    expect(await h.cache.versionInfo('v1')).toBeNull();
    expect(await h.cache.readVersionMeta('v1')).toBeNull();
    expect((await h.cache.readUserState('v2', 8, 'alice')).list!.equals(packed(2))).toBe(true);
    // The previous pointer outlives its keys: a rollback to it is refused, not half-applied.
    expect(await h.cache.switchLive('v1', 'v2', RETAIN)).toBe(false);
    expect(await h.cache.liveVersion()).toBe('v2');
    await h.dispose();
  });

  it('expires an abandoned staged version, so it can no longer be switched to', async () => {
    const h = memoryHarnessWithClock();
    await publish(h.cache, 'v1', [['alice', packed(1)]]);
    h.advance(STAGING_TTL + 1);
    expect(await h.cache.versionInfo('v1')).toBeNull();
    expect(await h.cache.switchLive('v1', null, RETAIN)).toBe(false);
    await h.dispose();
  });

  it('expires sessions and bought sets on their own TTLs, refreshed by new events', async () => {
    const h = memoryHarnessWithClock();
    await h.cache.recordEvents([event('alice', 'i1', 'purchase', 1)], LIMITS);
    h.advance(LIMITS.sessionTtlSeconds - 10);
    await h.cache.recordEvents([event('bob', 'j1', 'view', 2)], LIMITS);
    h.advance(20);
    const alice = await h.cache.readUserState('v1', 8, 'alice');
    expect(alice.session).toEqual([]);
    expect(alice.bought).toEqual(['i1']);
    expect((await h.cache.readUserState('v1', 8, 'bob')).session).toHaveLength(1);
    h.advance(LIMITS.boughtTtlSeconds);
    expect((await h.cache.readUserState('v1', 8, 'alice')).bought).toEqual([]);
    await h.dispose();
  });

  it('refuses to work after close', async () => {
    const h = memoryHarnessWithClock();
    await h.cache.close();
    await expect(h.cache.ping()).rejects.toThrow(/closed/);
  });
});

// ---------------------------------------------------------------------------------------------
// openCache

async function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('openCache', () => {
  it('opens the in-process cache without a Redis URL', async () => {
    const cache = await openCache({ keyPrefix: 'recs' });
    expect(cache.kind).toBe('memory');
    await cache.close();
  });

  it('opens Redis from a URL', async () => {
    const cache = await openCache({ redisUrl: testRedisUrl(), keyPrefix: uniqueName('recs_test') });
    expect(cache.kind).toBe('redis');
    await cache.ping();
    expect(await cache.liveVersion()).toBeNull();
    await cache.close();
  });

  it('fails fast, naming REDIS_URL, when Redis is unreachable', async () => {
    const port = await unusedPort();
    const started = Date.now();
    await expect(openCache({ redisUrl: `redis://:secret@127.0.0.1:${port}`, keyPrefix: 'recs', connectTimeoutMs: 1500 })).rejects.toThrow(
      /REDIS_URL=redis:\/\/:\*\*\*@127\.0\.0\.1/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
