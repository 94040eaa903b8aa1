/**
 * RecommendationCache on Redis (ioredis), standalone or Cluster. Key layout: keys.ts.
 *
 * Cluster rules kept everywhere: a MULTI or Lua script sent to a Cluster only touches keys sharing
 * one hash tag, and no KEYS/SCAN. Batches whose keys span slots go through `batch()`, which
 * pipelines on a standalone server and sends concurrent commands on a Cluster (ioredis Cluster
 * pipelines must stay on one node). The one exception is the request path's read
 * (READ_USER_STATE_LUA): its keys span tags, so it runs as a script on a standalone server only.
 */
import { createHash } from 'crypto';
import fs from 'fs';
import path from 'path';
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import type { EventType, StoreEvent } from '../../domain/types';
import { EVENT_TYPES } from '../../domain/types';
import { moduleLogger, type Logger } from '../../observability/logger';
import { bucketOf, type CacheKeys, CATALOG_OVERLAY_TTL_SECONDS } from './keys';
import type { CatalogOverlay, OutcomeBatch, RecommendationCache, SessionEvent, SessionLimits, UserState, VersionInfo } from './port';

export type RedisClient = Redis | Cluster;

export interface RedisCacheOptions {
  client: RedisClient;
  keys: CacheKeys;
  logger?: Logger;
}

/** Fields per pipeline when writing user lists: bounds client memory and server latency spikes. */
export const USER_LIST_CHUNK = 1000;
/** Per-user script calls per pipeline in recordEvents. */
const EVENT_USER_CHUNK = 1000;
/** How long close() waits for the server to close the connection after QUIT before dropping it. */
const CLOSE_TIMEOUT_MS = 2000;

type Arg = string | Buffer | number;
type Op = readonly [command: string, ...args: Arg[]];

/** The Lua scripts, one per file under scripts/ (each file's comment says what it takes and returns). */
const SWITCH_LIVE_LUA = readScript('switchLive.lua');
const RECORD_EVENTS_LUA = readScript('recordEvents.lua');
const READ_USER_STATE_LUA = readScript('readUserState.lua');
const TAKE_OUTCOME_BATCH_LUA = readScript('takeOutcomeBatch.lua');
const DROP_OUTCOME_BATCH_LUA = readScript('dropOutcomeBatch.lua');

function readScript(name: string): string {
  return fs.readFileSync(path.join(__dirname, 'scripts', name), 'utf8');
}

interface CacheScripts {
  recsSwitchLive(live: string, previous: string, expected: string, version: string): Promise<[number, string]>;
  recsTakeOutcomeBatch(
    counters: string,
    pending: string,
    pendingId: string,
    newId: string,
    ttl: number,
  ): Promise<[string, string[]] | null>;
  recsDropOutcomeBatch(pending: string, pendingId: string, id: string): Promise<number>;
}

type UserStateReply = [Buffer | null, Buffer | null, Buffer[], Buffer[]];
/**
 * The read script is called by its SHA directly (EVALSHA) rather than through an ioredis custom
 * command, whose extra promise and callback plumbing cost client CPU on every request. A server that
 * lost its scripts (restart, SCRIPT FLUSH) answers NOSCRIPT once; the script is then loaded and the
 * call repeated.
 */
const READ_USER_STATE_SHA = createHash('sha1').update(READ_USER_STATE_LUA).digest('hex');

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/** Session entries are JSON `[ts, type, itemId]`: compact, and safe for any character in an id. */
export function encodeSessionEntry(e: { ts: number; type: EventType; itemId: string }): string {
  return JSON.stringify([e.ts, e.type, e.itemId]);
}

/** Returns null for an entry that is not a well-formed session entry (never trust stored data blindly). */
export function decodeSessionEntry(raw: string): SessionEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return null;
  const [ts, type, itemId] = parsed as unknown[];
  if (typeof ts !== 'number' || typeof type !== 'string' || typeof itemId !== 'string') return null;
  if (!EVENT_TYPE_SET.has(type)) return null;
  return { ts, type: type as EventType, itemId };
}

export class RedisCache implements RecommendationCache {
  readonly kind = 'redis' as const;
  private readonly client: RedisClient;
  private readonly keys: CacheKeys;
  private readonly log: Logger;

  constructor(opts: RedisCacheOptions) {
    this.client = opts.client;
    this.keys = opts.keys;
    this.log = opts.logger ?? moduleLogger('cache');
    this.client.defineCommand('recsSwitchLive', { numberOfKeys: 2, lua: SWITCH_LIVE_LUA });
    this.client.defineCommand('recsRecordEvents', { numberOfKeys: 2, lua: RECORD_EVENTS_LUA });
    this.client.defineCommand('recsTakeOutcomeBatch', { numberOfKeys: 3, lua: TAKE_OUTCOME_BATCH_LUA });
    this.client.defineCommand('recsDropOutcomeBatch', { numberOfKeys: 2, lua: DROP_OUTCOME_BATCH_LUA });
    if (!this.client.isCluster) {
      // Load the read script on every (re)connection, so a request's first read is one EVALSHA too.
      const load = () => void (this.client as Redis).script('LOAD', READ_USER_STATE_LUA).catch(() => undefined);
      this.client.on('ready', load);
      if (this.client.status === 'ready') load();
    }
  }

  /** The ioredis client, for the rate-limit store only (reach it through `redisClientOf` in index.ts). */
  rawClient(): RedisClient {
    return this.client;
  }

  async liveVersion(): Promise<string | null> {
    return (await this.client.get(this.keys.livePointer())) || null;
  }

  async previousVersion(): Promise<string | null> {
    return (await this.client.get(this.keys.previousPointer())) || null;
  }

  async writeVersion(version: string, info: VersionInfo, meta: Buffer, stagingTtlSeconds: number): Promise<void> {
    checkVersionInfo(info);
    checkTtl(stagingTtlSeconds, 'stagingTtlSeconds');
    await this.refuseIfLive(version, 'write');
    const infoKey = this.keys.versionInfo(version);
    const metaKey = this.keys.versionMeta(version);
    // info and meta share the version's hash tag, so one MULTI writes them atomically.
    await this.client
      .multi()
      .del(infoKey)
      .hset(infoKey, 'bucketCount', info.bucketCount, 'users', info.users)
      .expire(infoKey, stagingTtlSeconds)
      .set(metaKey, meta, 'EX', stagingTtlSeconds)
      .exec()
      .then(unwrapResults);
  }

  async writeUserLists(version: string, lists: Array<[string, Buffer]>, stagingTtlSeconds: number): Promise<void> {
    checkTtl(stagingTtlSeconds, 'stagingTtlSeconds');
    if (lists.length === 0) return;
    const [bucketCount, live] = await this.batch([
      ['hget', this.keys.versionInfo(version), 'bucketCount'],
      ['get', this.keys.livePointer()],
    ]);
    if (bucketCount == null) throw new Error(`version ${version} has no info: call writeVersion before writeUserLists`);
    // The staging TTL below must never land on the serving version's buckets.
    if (live === version) throw new Error(`refusing to write user lists into the live version ${version}`);
    const buckets = Number(bucketCount);

    for (let start = 0; start < lists.length; start += USER_LIST_CHUNK) {
      const byBucket = new Map<number, Arg[]>();
      for (const [userId, packed] of lists.slice(start, start + USER_LIST_CHUNK)) {
        const b = bucketOf(userId, buckets);
        let fields = byBucket.get(b);
        if (!fields) byBucket.set(b, (fields = []));
        fields.push(userId, packed);
      }
      const ops: Op[] = [];
      for (const [b, fields] of byBucket) {
        const key = this.keys.versionBucket(version, b);
        ops.push(['hset', key, ...fields], ['expire', key, stagingTtlSeconds]);
      }
      await this.batch(ops);
    }
  }

  async versionInfo(version: string): Promise<VersionInfo | null> {
    return parseVersionInfo(await this.client.hgetall(this.keys.versionInfo(version)));
  }

  async readVersionMeta(version: string): Promise<Buffer | null> {
    return this.client.getBuffer(this.keys.versionMeta(version));
  }

  async switchLive(version: string, expectedLive: string | null, retainSeconds: number): Promise<boolean> {
    checkTtl(retainSeconds, 'retainSeconds');
    const infoKey = this.keys.versionInfo(version);
    const metaKey = this.keys.versionMeta(version);

    // Remember the remaining TTL so that a refused switch can put it back: "changes nothing".
    const [bucketField, infoPttl, metaExists] = await this.client
      .multi()
      .hget(infoKey, 'bucketCount')
      .pttl(infoKey)
      .exists(metaKey)
      .exec()
      .then(unwrapResults);
    if (bucketField == null || metaExists !== 1) return false;
    const versionKeys = this.keys.versionKeys(version, Number(bucketField));

    const persisted = await this.batch([...versionKeys.map((k): Op => ['persist', k]), ['exists', infoKey], ['exists', metaKey]]);
    const restoreTtl = async () => {
      if (typeof infoPttl === 'number' && infoPttl > 0) {
        await this.batch(versionKeys.map((k): Op => ['pexpire', k, infoPttl]));
      }
    };
    // The keys may have expired between the check and PERSIST.
    if (persisted[persisted.length - 2] !== 1 || persisted[persisted.length - 1] !== 1) {
      await restoreTtl();
      return false;
    }

    const scripts = this.client as unknown as CacheScripts;
    const [switched, replaced] = await scripts.recsSwitchLive(
      this.keys.livePointer(),
      this.keys.previousPointer(),
      expectedLive ?? '',
      version,
    );
    if (switched !== 1) {
      await restoreTtl();
      return false;
    }
    if (replaced !== '' && replaced !== version) {
      try {
        await this.expireVersion(replaced, retainSeconds);
      } catch (err) {
        // The switch itself happened; report it as done, but make the leak visible.
        this.log.error({ err, version: replaced }, 'switched live version but could not expire the replaced one');
      }
    }
    this.log.info({ version, replaced: replaced || null }, 'live version switched');
    return true;
  }

  async deleteVersion(version: string): Promise<void> {
    const [bucketField, live] = await this.batch([
      ['hget', this.keys.versionInfo(version), 'bucketCount'],
      ['get', this.keys.livePointer()],
    ]);
    if (live === version) throw new Error(`refusing to delete the live version ${version}`);
    // Without info the bucket count is unknown; orphaned buckets still carry their staging/retain TTL.
    const keys =
      bucketField == null
        ? [this.keys.versionInfo(version), this.keys.versionMeta(version)]
        : this.keys.versionKeys(version, Number(bucketField));
    // UNLINK frees large buckets off the server's main thread; one key per command for Cluster.
    await this.batch(keys.map((k): Op => ['unlink', k]));
  }

  /**
   * One round trip: one EVALSHA on a standalone server (a pipeline of four commands costs the
   * ioredis client about three times the CPU of one scripted call), concurrent commands on a Cluster.
   */
  async readUserState(version: string, bucketCount: number, userId: string): Promise<UserState> {
    const bucket = this.keys.versionBucket(version, bucketOf(userId, bucketCount));
    const sessionKey = this.keys.userSession(userId);
    const boughtKey = this.keys.userBought(userId);
    const revKey = this.keys.catalogRevision();
    let list: unknown, session: string[], bought: string[], rev: unknown;
    if (this.client.isCluster) {
      [list, session, bought, rev] = (await this.batch([
        ['hgetBuffer', bucket, userId],
        ['lrange', sessionKey, 0, -1],
        ['smembers', boughtKey],
        ['get', revKey],
      ])) as [unknown, string[], string[], unknown];
    } else {
      const r = await this.evalReadUserState(bucket, sessionKey, boughtKey, revKey, userId);
      [list, rev] = r;
      session = r[2].map((b) => b.toString('utf8'));
      bought = r[3].map((b) => b.toString('utf8'));
    }
    return {
      list: Buffer.isBuffer(list) ? list : null,
      session: decodeSession(session),
      bought,
      catalogRev: rev == null ? 0 : Number(String(rev)),
    };
  }

  /** The read script by EVALSHA; a NOSCRIPT reply (the server lost its scripts) loads it and repeats the call once. */
  private async evalReadUserState(
    bucket: string,
    sessionKey: string,
    boughtKey: string,
    revKey: string,
    userId: string,
  ): Promise<UserStateReply> {
    // ioredis generates evalshaBuffer (EVALSHA with Buffer replies) at runtime; its typings lack it.
    const client = this.client as Redis & { evalshaBuffer(...args: Array<string | number>): Promise<unknown> };
    for (let loaded = false; ; loaded = true) {
      try {
        return (await client.evalshaBuffer(READ_USER_STATE_SHA, 4, bucket, sessionKey, boughtKey, revKey, userId)) as UserStateReply;
      } catch (err) {
        if (loaded || !(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        await client.script('LOAD', READ_USER_STATE_LUA);
      }
    }
  }

  async recordEvents(events: StoreEvent[], limits: SessionLimits): Promise<void> {
    checkLimits(limits);
    const ops: Op[] = [];
    for (const [userId, userEvents] of groupSessionEvents(events)) {
      const entries = userEvents.map(encodeSessionEntry);
      const purchases = userEvents.filter((e) => e.type === 'purchase').map((e) => e.itemId);
      ops.push([
        'recsRecordEvents',
        this.keys.userSession(userId),
        this.keys.userBought(userId),
        limits.maxEvents,
        limits.sessionTtlSeconds,
        limits.boughtTtlSeconds,
        entries.length,
        ...entries,
        ...purchases,
      ]);
    }
    for (let start = 0; start < ops.length; start += EVENT_USER_CHUNK) {
      await this.batch(ops.slice(start, start + EVENT_USER_CHUNK));
    }
  }

  async setAvailability(changes: Array<{ itemId: string; available: boolean }>): Promise<number> {
    const availKey = this.keys.catalogAvailability();
    const revKey = this.keys.catalogRevision();
    if (changes.length === 0) return Number((await this.client.get(revKey)) ?? 0);
    const fields: string[] = [];
    for (const c of changes) fields.push(c.itemId, c.available ? '1' : '0');
    const results = await this.client
      .multi()
      .hset(availKey, ...fields)
      .expire(availKey, CATALOG_OVERLAY_TTL_SECONDS)
      .incr(revKey)
      .expire(revKey, CATALOG_OVERLAY_TTL_SECONDS)
      .exec()
      .then(unwrapResults);
    return Number(results[2]);
  }

  async addOutcomes(increments: ReadonlyArray<readonly [field: string, by: number]>, ttlSeconds: number): Promise<void> {
    if (increments.length === 0) return;
    const key = this.keys.outcomeCounters();
    const tx = this.client.multi();
    for (const [field, by] of increments) {
      if (Number.isInteger(by)) tx.hincrby(key, field, by);
      else tx.hincrbyfloat(key, field, by);
    }
    tx.expire(key, ttlSeconds);
    await tx.exec().then(unwrapResults);
  }

  async takeOutcomeBatch(newBatchId: string, ttlSeconds: number): Promise<OutcomeBatch | null> {
    const k = this.keys;
    const client = this.client as unknown as CacheScripts;
    const reply = await client.recsTakeOutcomeBatch(
      k.outcomeCounters(),
      k.outcomePendingBatch(),
      k.outcomePendingBatchId(),
      newBatchId,
      ttlSeconds,
    );
    if (!reply) return null;
    const [batchId, flat] = reply;
    const counters = new Map<string, number>();
    for (let x = 0; x + 1 < flat.length; x += 2) counters.set(flat[x], Number(flat[x + 1]));
    return { batchId, counters };
  }

  async dropOutcomeBatch(batchId: string): Promise<void> {
    const k = this.keys;
    await (this.client as unknown as CacheScripts).recsDropOutcomeBatch(k.outcomePendingBatch(), k.outcomePendingBatchId(), batchId);
  }

  async readUnflushedOutcomes(): Promise<{ counters: Map<string, number>; pending: OutcomeBatch | null }> {
    const k = this.keys;
    const toMap = (hash: Record<string, string>) => new Map(Object.entries(hash).map(([f, v]) => [f, Number(v)]));
    // One slot: a MULTI reads the three keys at one instant (a batch cannot move between the reads).
    const [counters, pending, pendingId] = unwrapResults(
      await this.client.multi().hgetall(k.outcomeCounters()).hgetall(k.outcomePendingBatch()).get(k.outcomePendingBatchId()).exec(),
    ) as [Record<string, string>, Record<string, string>, string | null];
    return { counters: toMap(counters), pending: pendingId ? { batchId: pendingId, counters: toMap(pending) } : null };
  }

  async rememberClick(userKey: string, itemId: string, recommendationId: string, ttlSeconds: number): Promise<void> {
    const key = this.keys.userClicks(userKey);
    await this.client.multi().hset(key, itemId, recommendationId).expire(key, ttlSeconds).exec().then(unwrapResults);
  }

  async takeClicks(userKey: string, itemIds: string[]): Promise<Array<string | null>> {
    if (itemIds.length === 0) return [];
    const key = this.keys.userClicks(userKey);
    const [found] = await this.client
      .multi()
      .hmget(key, ...itemIds)
      .hdel(key, ...itemIds)
      .exec()
      .then(unwrapResults);
    return (found as Array<string | null>).map((v) => v ?? null);
  }

  async readCatalogOverlay(): Promise<CatalogOverlay> {
    // MULTI so the map and the revision are one consistent snapshot.
    const [hash, rev] = await this.client
      .multi()
      .hgetall(this.keys.catalogAvailability())
      .get(this.keys.catalogRevision())
      .exec()
      .then(unwrapResults);
    const availability = new Map<string, boolean>();
    for (const [itemId, flag] of Object.entries(hash as Record<string, string>)) availability.set(itemId, flag === '1');
    return { rev: rev == null ? 0 : Number(rev), availability };
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  /** Quits gracefully and resolves once the socket is really closed (no handle outlives close). */
  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    const ended = new Promise<void>((resolve) => this.client.once('end', () => resolve()));
    try {
      await this.client.quit();
    } catch {
      // Already closing or never connected: make sure no socket or reconnect timer survives.
      this.client.disconnect();
    }
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.client.disconnect();
        resolve();
      }, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([ended, giveUp]);
    clearTimeout(timer);
  }

  /** Sets `retainSeconds` on every key of `version` (its bucket count comes from its info). */
  private async expireVersion(version: string, retainSeconds: number): Promise<void> {
    const bucketField = await this.client.hget(this.keys.versionInfo(version), 'bucketCount');
    const keys =
      bucketField == null
        ? [this.keys.versionInfo(version), this.keys.versionMeta(version)]
        : this.keys.versionKeys(version, Number(bucketField));
    await this.batch(keys.map((k): Op => ['expire', k, retainSeconds]));
  }

  private async refuseIfLive(version: string, action: string): Promise<void> {
    if ((await this.liveVersion()) === version) {
      throw new Error(`refusing to ${action} the live version ${version}: it would get a staging TTL`);
    }
  }

  /**
   * Runs independent commands in one round trip and returns their results in order; throws the first
   * command error. Standalone: one pipeline. Cluster: the keys span slots on several nodes, which an
   * ioredis Cluster pipeline refuses, so the commands are sent concurrently instead.
   */
  private async batch(ops: readonly Op[]): Promise<unknown[]> {
    if (ops.length === 0) return [];
    if (this.client.isCluster) {
      const target = this.client as unknown as Record<string, (...args: Arg[]) => Promise<unknown>>;
      return Promise.all(ops.map(([command, ...args]) => target[command](...args)));
    }
    return unwrapResults(await this.client.pipeline(ops.map((op) => [...op])).exec());
  }
}

function unwrapResults(results: Array<[Error | null, unknown]> | null): unknown[] {
  // exec() yields null only when a WATCHed key changed; none is watched here.
  if (!results) throw new Error('redis transaction was aborted');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

function decodeSession(raw: string[]): SessionEvent[] {
  const out: SessionEvent[] = [];
  for (const entry of raw) {
    const e = decodeSessionEntry(entry);
    if (e) out.push(e);
  }
  return out;
}

/**
 * Groups events by user, each user's events oldest first (stable for equal timestamps, so arrival
 * order breaks ties): pushing them in that order onto the list head leaves the newest first.
 * Shared with MemoryCache so both order sessions identically.
 */
export function groupSessionEvents(events: readonly StoreEvent[]): Map<string, StoreEvent[]> {
  const byUser = new Map<string, StoreEvent[]>();
  for (const e of events) {
    let list = byUser.get(e.userId);
    if (!list) byUser.set(e.userId, (list = []));
    list.push(e);
  }
  for (const list of byUser.values()) list.sort((a, b) => a.ts - b.ts);
  return byUser;
}

export function parseVersionInfo(hash: Record<string, string>): VersionInfo | null {
  if (hash.bucketCount === undefined) return null;
  return { bucketCount: Number(hash.bucketCount), users: Number(hash.users ?? 0) };
}

export function checkVersionInfo(info: VersionInfo): void {
  if (!Number.isInteger(info.bucketCount) || info.bucketCount < 1) {
    throw new Error(`invalid bucketCount ${info.bucketCount}: a positive integer is required`);
  }
  if (!Number.isInteger(info.users) || info.users < 0) throw new Error(`invalid users count ${info.users}`);
}

export function checkTtl(seconds: number, name: string): void {
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`invalid ${name} ${seconds}: a positive integer is required`);
}

export function checkLimits(limits: SessionLimits): void {
  if (!Number.isInteger(limits.maxEvents) || limits.maxEvents < 1) throw new Error(`invalid maxEvents ${limits.maxEvents}`);
  checkTtl(limits.sessionTtlSeconds, 'sessionTtlSeconds');
  checkTtl(limits.boughtTtlSeconds, 'boughtTtlSeconds');
}
