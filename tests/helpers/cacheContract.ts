/**
 * The RecommendationCache contract, shared by tests/contract/cache.contract.test.ts (Redis standalone
 * and the in-process cache) and tests/e2e/cluster.e2e.test.ts (Redis Cluster).
 */
import type { StoreEvent } from '../../src/domain/types';
import { bucketOf, type CacheKeys, CATALOG_OVERLAY_TTL_SECONDS } from '../../src/storage/cache/keys';
import type { RecommendationCache, SessionLimits, VersionInfo } from '../../src/storage/cache/port';

export interface Harness {
  cache: RecommendationCache;
  keys: CacheKeys;
  /** Remaining TTL of a raw key in ms, with PTTL's conventions: -2 absent, -1 no expiry. */
  pttl(key: string): Promise<number>;
  dispose(): Promise<void>;
}

export const STAGING_TTL = 3600;
export const RETAIN = 600;
export const LIMITS: SessionLimits = { maxEvents: 5, sessionTtlSeconds: 1800, boughtTtlSeconds: 7200 };
export const INFO: VersionInfo = { bucketCount: 8, users: 3 };

/** Deterministic, distinct "packed lists": the cache treats them as opaque bytes. */
export function packed(seed: number, length = 40): Buffer {
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buf[i] = (seed * 31 + i * 7) & 0xff;
  buf[0] = 0; // a NUL byte, so no string conversion can survive unnoticed
  return buf;
}

export const META = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13]);

export async function publish(
  cache: RecommendationCache,
  version: string,
  lists: Array<[string, Buffer]>,
  info: VersionInfo = { ...INFO, users: lists.length },
): Promise<void> {
  await cache.writeVersion(version, info, META, STAGING_TTL);
  await cache.writeUserLists(version, lists, STAGING_TTL);
}

export function event(userId: string, itemId: string, type: StoreEvent['type'], ts: number): StoreEvent {
  return { userId, itemId, type, ts };
}

export function cacheContract(name: string, factory: () => Promise<Harness>): void {
  describe(`RecommendationCache contract: ${name}`, () => {
    let h: Harness;
    let cache: RecommendationCache;
    let keys: CacheKeys;

    beforeEach(async () => {
      h = await factory();
      ({ cache, keys } = h);
    });
    afterEach(async () => {
      await h.dispose();
    });

    /** The keys a version's users live in (buckets without users do not exist). */
    function usedKeys(version: string, userIds: string[], bucketCount = INFO.bucketCount): string[] {
      const buckets = new Set(userIds.map((u) => bucketOf(u, bucketCount)));
      return [keys.versionInfo(version), keys.versionMeta(version), ...[...buckets].map((b) => keys.versionBucket(version, b))];
    }

    it('has no live or previous version, info or meta before the first publish', async () => {
      expect(await cache.liveVersion()).toBeNull();
      expect(await cache.previousVersion()).toBeNull();
      expect(await cache.versionInfo('v1')).toBeNull();
      expect(await cache.readVersionMeta('v1')).toBeNull();
      await expect(cache.ping()).resolves.toBeUndefined();
    });

    it('publishes a first version and serves exact packed bytes per user', async () => {
      const lists: Array<[string, Buffer]> = [
        ['alice', packed(1)],
        ['bob', packed(2, 3)],
        ['carol', packed(3, 1000)],
      ];
      await publish(cache, 'v1', lists);
      expect(await cache.versionInfo('v1')).toEqual({ bucketCount: 8, users: 3 });
      expect((await cache.readVersionMeta('v1'))!.equals(META)).toBe(true);

      expect(await cache.switchLive('v1', null, RETAIN)).toBe(true);
      expect(await cache.liveVersion()).toBe('v1');
      expect(await cache.previousVersion()).toBeNull();

      for (const [userId, buf] of lists) {
        const state = await cache.readUserState('v1', 8, userId);
        expect(Buffer.isBuffer(state.list)).toBe(true);
        expect(state.list!.equals(buf)).toBe(true);
        expect(state.session).toEqual([]);
        expect(state.bought).toEqual([]);
        expect(state.catalogRev).toBe(0);
      }
      expect((await cache.readUserState('v1', 8, 'nobody')).list).toBeNull();
      expect((await cache.readUserState('v-unknown', 8, 'alice')).list).toBeNull();
    });

    it('writes many users across buckets and pipeline chunks', async () => {
      const lists: Array<[string, Buffer]> = [];
      for (let i = 0; i < 2500; i++) lists.push([`user-${i}`, packed(i, 12)]);
      await cache.writeVersion('v1', { bucketCount: 16, users: lists.length }, META, STAGING_TTL);
      // Two calls: a later call adds to (and may overwrite in) the same buckets.
      await cache.writeUserLists('v1', lists.slice(0, 1200), STAGING_TTL);
      await cache.writeUserLists('v1', lists.slice(1200), STAGING_TTL);
      await cache.writeUserLists('v1', [['user-7', packed(9999)]], STAGING_TTL);
      expect(await cache.switchLive('v1', null, RETAIN)).toBe(true);
      for (const i of [0, 1, 999, 1000, 1199, 1200, 2499]) {
        const state = await cache.readUserState('v1', 16, `user-${i}`);
        expect(state.list!.equals(packed(i, 12))).toBe(true);
      }
      expect((await cache.readUserState('v1', 16, 'user-7')).list!.equals(packed(9999))).toBe(true);
      for (let b = 0; b < 16; b++) expect(await h.pttl(keys.versionBucket('v1', b))).toBe(-1);
    });

    it('refuses to write lists before the version info exists', async () => {
      await expect(cache.writeUserLists('v1', [['alice', packed(1)]], STAGING_TTL)).rejects.toThrow(/writeVersion/);
    });

    it('keeps staged version keys on the staging TTL until the switch, then makes them permanent', async () => {
      const users = ['alice', 'bob', 'carol', 'dave'];
      await publish(
        cache,
        'v1',
        users.map((u, i) => [u, packed(i)]),
      );
      for (const key of usedKeys('v1', users)) {
        const ttl = await h.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(STAGING_TTL * 1000);
      }
      expect(await cache.switchLive('v1', null, RETAIN)).toBe(true);
      for (const key of usedKeys('v1', users)) expect(await h.pttl(key)).toBe(-1);
    });

    it('refuses a switch whose expected live version is stale, changing nothing', async () => {
      await publish(cache, 'v1', [['alice', packed(1)]]);
      expect(await cache.switchLive('v1', null, RETAIN)).toBe(true);
      await publish(cache, 'v2', [['alice', packed(2)]]);

      expect(await cache.switchLive('v2', 'v0', RETAIN)).toBe(false);
      expect(await cache.switchLive('v2', null, RETAIN)).toBe(false);
      expect(await cache.liveVersion()).toBe('v1');
      expect(await cache.previousVersion()).toBeNull();
      // Neither version's keys changed: v1 permanent, v2 still staged.
      for (const key of usedKeys('v1', ['alice'])) expect(await h.pttl(key)).toBe(-1);
      for (const key of usedKeys('v2', ['alice'])) {
        const ttl = await h.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(STAGING_TTL * 1000);
      }
      expect((await cache.readUserState('v1', 8, 'alice')).list!.equals(packed(1))).toBe(true);
    });

    it('refuses the first switch when a live version already exists', async () => {
      await publish(cache, 'v1', [['alice', packed(1)]]);
      expect(await cache.switchLive('v1', null, RETAIN)).toBe(true);
      await publish(cache, 'v2', [['alice', packed(2)]]);
      expect(await cache.switchLive('v2', null, RETAIN)).toBe(false);
      expect(await cache.liveVersion()).toBe('v1');
    });

    it('switching to a new version records the old one as previous and lets its keys expire', async () => {
      await publish(cache, 'v1', [
        ['alice', packed(1)],
        ['bob', packed(2)],
      ]);
      expect(await cache.switchLive('v1', null, RETAIN)).toBe(true);
      await publish(cache, 'v2', [
        ['alice', packed(3)],
        ['bob', packed(4)],
      ]);
      expect(await cache.switchLive('v2', 'v1', RETAIN)).toBe(true);

      expect(await cache.liveVersion()).toBe('v2');
      expect(await cache.previousVersion()).toBe('v1');
      for (const key of usedKeys('v1', ['alice', 'bob'])) {
        const ttl = await h.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(RETAIN * 1000);
      }
      for (const key of usedKeys('v2', ['alice', 'bob'])) expect(await h.pttl(key)).toBe(-1);
      // The previous version still answers until it expires (a rollback target).
      expect((await cache.readUserState('v1', 8, 'alice')).list!.equals(packed(1))).toBe(true);
      expect((await cache.readUserState('v2', 8, 'alice')).list!.equals(packed(3))).toBe(true);
    });

    it('rolls back to the previous version', async () => {
      await publish(cache, 'v1', [['alice', packed(1)]]);
      expect(await cache.switchLive('v1', null, RETAIN)).toBe(true);
      await publish(cache, 'v2', [['alice', packed(2)]]);
      expect(await cache.switchLive('v2', 'v1', RETAIN)).toBe(true);

      expect(await cache.switchLive('v1', 'v2', RETAIN)).toBe(true);
      expect(await cache.liveVersion()).toBe('v1');
      expect(await cache.previousVersion()).toBe('v2');
      for (const key of usedKeys('v1', ['alice'])) expect(await h.pttl(key)).toBe(-1);
      for (const key of usedKeys('v2', ['alice'])) {
        const ttl = await h.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(RETAIN * 1000);
      }
      expect((await cache.readUserState('v1', 8, 'alice')).list!.equals(packed(1))).toBe(true);
    });

    it('switching to the version that is already live succeeds and keeps previous', async () => {
      await publish(cache, 'v1', [['alice', packed(1)]]);
      expect(await cache.switchLive('v1', null, RETAIN)).toBe(true);
      expect(await cache.switchLive('v1', 'v1', RETAIN)).toBe(true);
      expect(await cache.liveVersion()).toBe('v1');
      expect(await cache.previousVersion()).toBeNull();
      for (const key of usedKeys('v1', ['alice'])) expect(await h.pttl(key)).toBe(-1);
    });

    it('refuses to switch to a version whose keys are missing', async () => {
      expect(await cache.switchLive('ghost', null, RETAIN)).toBe(false);
      expect(await cache.liveVersion()).toBeNull();

      await publish(cache, 'v1', [['alice', packed(1)]]);
      expect(await cache.switchLive('v1', null, RETAIN)).toBe(true);
      await publish(cache, 'v2', [['alice', packed(2)]]);
      await cache.deleteVersion('v2');
      expect(await cache.switchLive('v2', 'v1', RETAIN)).toBe(false);
      expect(await cache.liveVersion()).toBe('v1');
      expect(await cache.previousVersion()).toBeNull();
    });

    it('deleteVersion removes info, meta and every bucket, and refuses the live version', async () => {
      const users = Array.from({ length: 50 }, (_, i) => `u${i}`);
      await publish(
        cache,
        'v1',
        users.map((u, i) => [u, packed(i)]),
      );
      await cache.deleteVersion('v1');
      for (const key of keys.versionKeys('v1', INFO.bucketCount)) expect(await h.pttl(key)).toBe(-2);
      expect(await cache.versionInfo('v1')).toBeNull();
      expect(await cache.readVersionMeta('v1')).toBeNull();
      expect((await cache.readUserState('v1', 8, 'u1')).list).toBeNull();
      await expect(cache.deleteVersion('never-written')).resolves.toBeUndefined();

      await publish(cache, 'v2', [['alice', packed(1)]]);
      expect(await cache.switchLive('v2', null, RETAIN)).toBe(true);
      await expect(cache.deleteVersion('v2')).rejects.toThrow(/live/);
      expect((await cache.readUserState('v2', 8, 'alice')).list!.equals(packed(1))).toBe(true);
    });

    it('records session events newest first, trimmed to maxEvents, with TTLs', async () => {
      await cache.recordEvents(
        [
          event('alice', 'i1', 'view', 1000),
          event('alice', 'i2', 'cart', 2000),
          event('bob', 'j1', 'view', 1500),
          event('alice', 'i3', 'purchase', 3000),
        ],
        LIMITS,
      );
      // A later batch, out of order within itself: the session still ends newest first.
      await cache.recordEvents(
        [event('alice', 'i6', 'view', 6000), event('alice', 'i4', 'fav', 4000), event('alice', 'i5', 'purchase', 5000)],
        LIMITS,
      );
      const alice = await cache.readUserState('none', 8, 'alice');
      expect(alice.list).toBeNull();
      expect(alice.session).toEqual([
        { itemId: 'i6', type: 'view', ts: 6000 },
        { itemId: 'i5', type: 'purchase', ts: 5000 },
        { itemId: 'i4', type: 'fav', ts: 4000 },
        { itemId: 'i3', type: 'purchase', ts: 3000 },
        { itemId: 'i2', type: 'cart', ts: 2000 },
      ]);
      expect([...alice.bought].sort()).toEqual(['i3', 'i5']);

      const bob = await cache.readUserState('none', 8, 'bob');
      expect(bob.session).toEqual([{ itemId: 'j1', type: 'view', ts: 1500 }]);
      expect(bob.bought).toEqual([]);

      const sessionTtl = await h.pttl(keys.userSession('alice'));
      expect(sessionTtl).toBeGreaterThan(0);
      expect(sessionTtl).toBeLessThanOrEqual(LIMITS.sessionTtlSeconds * 1000);
      const boughtTtl = await h.pttl(keys.userBought('alice'));
      expect(boughtTtl).toBeGreaterThan(LIMITS.sessionTtlSeconds * 1000);
      expect(boughtTtl).toBeLessThanOrEqual(LIMITS.boughtTtlSeconds * 1000);
      expect(await h.pttl(keys.userBought('bob'))).toBe(-2);
    });

    it('accepts an empty event batch', async () => {
      await expect(cache.recordEvents([], LIMITS)).resolves.toBeUndefined();
    });

    it('adds outcome counters (counts and revenue) atomically, with a TTL', async () => {
      expect(await cache.readUnflushedOutcomes()).toEqual({ counters: new Map(), pending: null });
      await cache.addOutcomes(
        [
          ['d|e|a|new|home|i', 1],
          ['d|e|a|new|home|i', 1],
          ['d|e|a|new|home|r', 12.5],
        ],
        3600,
      );
      await cache.addOutcomes([['d|e|a|new|home|r', 0.25]], 3600);
      await cache.addOutcomes([], 3600);
      const { counters } = await cache.readUnflushedOutcomes();
      expect(counters).toEqual(
        new Map([
          ['d|e|a|new|home|i', 2],
          ['d|e|a|new|home|r', 12.75],
        ]),
      );
      const ttl = await h.pttl(keys.outcomeCounters());
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(3600 * 1000);
    });

    it('moves outcome counters into a batch for a flush, hands a pending batch out again, and drops it by id', async () => {
      expect(await cache.takeOutcomeBatch('b1', 3600)).toBeNull();
      await cache.addOutcomes([['f|i', 3]], 3600);
      const first = await cache.takeOutcomeBatch('b1', 3600);
      expect(first).toEqual({ batchId: 'b1', counters: new Map([['f|i', 3]]) });
      // Increments after the move start afresh; the batch stays pending until dropped.
      await cache.addOutcomes([['f|i', 2]], 3600);
      expect(await cache.readUnflushedOutcomes()).toEqual({ counters: new Map([['f|i', 2]]), pending: first });
      // A flush cut short is repeated with the same batch, whatever id the retry proposes.
      expect(await cache.takeOutcomeBatch('b2', 3600)).toEqual(first);
      await cache.dropOutcomeBatch('b2'); // not the pending batch: nothing happens
      expect((await cache.readUnflushedOutcomes()).pending).toEqual(first);
      await cache.dropOutcomeBatch('b1');
      expect(await cache.readUnflushedOutcomes()).toEqual({ counters: new Map([['f|i', 2]]), pending: null });
      expect(await cache.takeOutcomeBatch('b3', 3600)).toEqual({ batchId: 'b3', counters: new Map([['f|i', 2]]) });
      await cache.dropOutcomeBatch('b3');
      expect(await cache.takeOutcomeBatch('b4', 3600)).toBeNull();
    });

    it('remembers clicks per user and item, and hands each out once', async () => {
      await cache.rememberClick('user-key', 'i1', 'r-1', 3600);
      await cache.rememberClick('user-key', 'i2', 'r-2', 3600);
      await cache.rememberClick('user-key', 'i1', 'r-3', 3600); // a later click wins
      await cache.rememberClick('other', 'i1', 'r-9', 3600);
      expect(await cache.takeClicks('user-key', ['i1', 'i5', 'i2'])).toEqual(['r-3', null, 'r-2']);
      expect(await cache.takeClicks('user-key', ['i1', 'i2'])).toEqual([null, null]);
      expect(await cache.takeClicks('other', ['i1'])).toEqual(['r-9']);
      expect(await cache.takeClicks('nobody', [])).toEqual([]);
    });

    it('setAvailability bumps the revision and readCatalogOverlay returns the map', async () => {
      expect(await cache.readCatalogOverlay()).toEqual({ rev: 0, availability: new Map() });
      expect(
        await cache.setAvailability([
          { itemId: 'i1', available: false },
          { itemId: 'i2', available: true },
        ]),
      ).toBe(1);
      expect(
        await cache.setAvailability([
          { itemId: 'i1', available: true },
          { itemId: 'i3', available: false },
        ]),
      ).toBe(2);
      const overlay = await cache.readCatalogOverlay();
      expect(overlay.rev).toBe(2);
      expect(overlay.availability).toEqual(
        new Map([
          ['i1', true],
          ['i2', true],
          ['i3', false],
        ]),
      );
      expect((await cache.readUserState('v1', 8, 'alice')).catalogRev).toBe(2);
      for (const key of [keys.catalogAvailability(), keys.catalogRevision()]) {
        const ttl = await h.pttl(key);
        expect(ttl).toBeGreaterThan((CATALOG_OVERLAY_TTL_SECONDS - 60) * 1000);
        expect(ttl).toBeLessThanOrEqual(CATALOG_OVERLAY_TTL_SECONDS * 1000);
      }
      // No changes: nothing written, the revision stays.
      expect(await cache.setAvailability([])).toBe(2);
    });

    it('round-trips ids with unicode, spaces, colons, braces, tabs and newlines', async () => {
      const odd = ['ünï cødé 🛒', 'a:b:c', '{tag}', 'x}y{z', 'tab\there', 'line\nbreak', '"quoted"\\', ''];
      const lists = odd.map((id, i): [string, Buffer] => [id, packed(100 + i)]);
      await publish(cache, 'v1', lists);
      expect(await cache.switchLive('v1', null, RETAIN)).toBe(true);
      for (const [id, buf] of lists) expect((await cache.readUserState('v1', 8, id)).list!.equals(buf)).toBe(true);

      const user = 'user\t{1}: ü\n';
      await cache.recordEvents(
        odd.map((itemId, i) => event(user, itemId, i % 2 === 0 ? 'purchase' : 'view', 1000 + i)),
        { ...LIMITS, maxEvents: 100 },
      );
      const state = await cache.readUserState('v1', 8, user);
      expect(state.session.map((e) => e.itemId)).toEqual([...odd].reverse());
      expect([...state.bought].sort()).toEqual(odd.filter((_, i) => i % 2 === 0).sort());

      await cache.setAvailability(odd.map((itemId, i) => ({ itemId, available: i % 3 === 0 })));
      const overlay = await cache.readCatalogOverlay();
      expect(overlay.availability).toEqual(new Map(odd.map((id, i) => [id, i % 3 === 0])));
    });

    it('rejects invalid version ids and counts', async () => {
      await expect(cache.writeVersion('bad version', INFO, META, STAGING_TTL)).rejects.toThrow(/version/);
      await expect(cache.writeVersion('v1', { bucketCount: 0, users: 0 }, META, STAGING_TTL)).rejects.toThrow(/bucketCount/);
      await expect(cache.writeVersion('v1', INFO, META, 0)).rejects.toThrow(/stagingTtlSeconds/);
      await expect(cache.recordEvents([event('a', 'i', 'view', 1)], { ...LIMITS, maxEvents: 0 })).rejects.toThrow(/maxEvents/);
    });
  });
}
