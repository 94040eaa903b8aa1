/**
 * RecommendationCache in process memory: the embedded default when REDIS_URL is unset. It mirrors
 * the Redis implementation key for key (same CacheKeys, same value shapes, same TTL rules), so the
 * one contract suite holds both to the same behaviour.
 *
 * Expiry: each entry stores an absolute expiry time from the injectable clock; an expired entry is
 * absent to every reader and is dropped when touched, plus a periodic sweep for keys nobody reads
 * again (a replaced version's buckets).
 */
import type { StoreEvent } from '../../domain/types';
import { bucketOf, CacheKeys, CATALOG_OVERLAY_TTL_SECONDS } from './keys';
import type { CatalogOverlay, OutcomeBatch, RecommendationCache, SessionLimits, UserState, VersionInfo } from './port';
import {
  checkLimits,
  checkTtl,
  checkVersionInfo,
  decodeSessionEntry,
  encodeSessionEntry,
  groupSessionEvents,
  parseVersionInfo,
} from './redisCache';

type Value =
  | { type: 'string'; value: Buffer }
  | { type: 'hash'; value: Map<string, Buffer> }
  | { type: 'list'; value: string[] }
  | { type: 'set'; value: Set<string> };

interface Entry {
  data: Value;
  /** Epoch ms on the injected clock, or null for no expiry. */
  expiresAt: number | null;
}

export interface MemoryCacheOptions {
  keys?: CacheKeys;
  /** Clock in epoch ms; tests inject one to move time forward. */
  now?: () => number;
}

/** Full sweeps for expired keys run at most this often (clock time). */
const SWEEP_INTERVAL_MS = 60_000;

export class MemoryCache implements RecommendationCache {
  readonly kind = 'memory' as const;
  private readonly keys: CacheKeys;
  private readonly now: () => number;
  private readonly store = new Map<string, Entry>();
  private lastSweep: number;
  private closed = false;

  constructor(opts: MemoryCacheOptions = {}) {
    this.keys = opts.keys ?? new CacheKeys();
    this.now = opts.now ?? Date.now;
    this.lastSweep = this.now();
  }

  async liveVersion(): Promise<string | null> {
    return this.getString(this.keys.livePointer()) || null;
  }

  async previousVersion(): Promise<string | null> {
    return this.getString(this.keys.previousPointer()) || null;
  }

  async writeVersion(version: string, info: VersionInfo, meta: Buffer, stagingTtlSeconds: number): Promise<void> {
    this.open();
    checkVersionInfo(info);
    checkTtl(stagingTtlSeconds, 'stagingTtlSeconds');
    if ((await this.liveVersion()) === version) {
      throw new Error(`refusing to write the live version ${version}: it would get a staging TTL`);
    }
    const expiresAt = this.now() + stagingTtlSeconds * 1000;
    const infoHash = new Map<string, Buffer>([
      ['bucketCount', Buffer.from(String(info.bucketCount))],
      ['users', Buffer.from(String(info.users))],
    ]);
    this.store.set(this.keys.versionInfo(version), { data: { type: 'hash', value: infoHash }, expiresAt });
    this.store.set(this.keys.versionMeta(version), { data: { type: 'string', value: Buffer.from(meta) }, expiresAt });
    this.maybeSweep();
  }

  async writeUserLists(version: string, lists: Array<[string, Buffer]>, stagingTtlSeconds: number): Promise<void> {
    this.open();
    checkTtl(stagingTtlSeconds, 'stagingTtlSeconds');
    if (lists.length === 0) return;
    const info = await this.versionInfo(version);
    if (!info) throw new Error(`version ${version} has no info: call writeVersion before writeUserLists`);
    if ((await this.liveVersion()) === version) {
      throw new Error(`refusing to write user lists into the live version ${version}`);
    }
    const expiresAt = this.now() + stagingTtlSeconds * 1000;
    for (const [userId, packed] of lists) {
      const key = this.keys.versionBucket(version, bucketOf(userId, info.bucketCount));
      const hash = this.hashFor(key, true);
      hash.set(userId, Buffer.from(packed));
      this.entry(key)!.expiresAt = expiresAt;
    }
    this.maybeSweep();
  }

  async versionInfo(version: string): Promise<VersionInfo | null> {
    const hash = this.hashFor(this.keys.versionInfo(version), false);
    if (!hash) return null;
    const fields: Record<string, string> = {};
    for (const [k, v] of hash) fields[k] = v.toString('utf8');
    return parseVersionInfo(fields);
  }

  async readVersionMeta(version: string): Promise<Buffer | null> {
    const entry = this.entry(this.keys.versionMeta(version));
    return entry?.data.type === 'string' ? Buffer.from(entry.data.value) : null;
  }

  async switchLive(version: string, expectedLive: string | null, retainSeconds: number): Promise<boolean> {
    this.open();
    checkTtl(retainSeconds, 'retainSeconds');
    const info = await this.versionInfo(version);
    if (!info || !this.entry(this.keys.versionMeta(version))) return false;
    // Everything below runs without an await, so it is atomic like the Redis script.
    const current = this.getString(this.keys.livePointer()) ?? '';
    if (current !== (expectedLive ?? '')) return false;
    for (const key of this.keys.versionKeys(version, info.bucketCount)) {
      const entry = this.entry(key);
      if (entry) entry.expiresAt = null;
    }
    if (current === version) return true;
    this.setString(this.keys.livePointer(), version);
    if (current !== '') {
      this.setString(this.keys.previousPointer(), current);
      this.expireVersion(current, retainSeconds);
    }
    return true;
  }

  async deleteVersion(version: string): Promise<void> {
    this.open();
    if ((await this.liveVersion()) === version) throw new Error(`refusing to delete the live version ${version}`);
    const info = await this.versionInfo(version);
    const keys = info ? this.keys.versionKeys(version, info.bucketCount) : [this.keys.versionInfo(version), this.keys.versionMeta(version)];
    for (const key of keys) this.store.delete(key);
  }

  async readUserState(version: string, bucketCount: number, userId: string): Promise<UserState> {
    this.open();
    const bucket = this.hashFor(this.keys.versionBucket(version, bucketOf(userId, bucketCount)), false);
    const packed = bucket?.get(userId);
    const session = this.listFor(this.keys.userSession(userId), false) ?? [];
    const bought = this.setFor(this.keys.userBought(userId), false);
    return {
      list: packed ? Buffer.from(packed) : null,
      session: session.map(decodeSessionEntry).filter((e) => e !== null),
      bought: bought ? [...bought] : [],
      catalogRev: Number(this.getString(this.keys.catalogRevision()) ?? 0),
    };
  }

  async recordEvents(events: StoreEvent[], limits: SessionLimits): Promise<void> {
    this.open();
    checkLimits(limits);
    const now = this.now();
    for (const [userId, userEvents] of groupSessionEvents(events)) {
      const sessionKey = this.keys.userSession(userId);
      const session = this.listFor(sessionKey, true);
      for (const e of userEvents) session.unshift(encodeSessionEntry(e));
      session.length = Math.min(session.length, limits.maxEvents);
      this.entry(sessionKey)!.expiresAt = now + limits.sessionTtlSeconds * 1000;

      const purchases = userEvents.filter((e) => e.type === 'purchase');
      if (purchases.length > 0) {
        const boughtKey = this.keys.userBought(userId);
        const bought = this.setFor(boughtKey, true);
        for (const e of purchases) bought.add(e.itemId);
        this.entry(boughtKey)!.expiresAt = now + limits.boughtTtlSeconds * 1000;
      }
    }
    this.maybeSweep();
  }

  async setAvailability(changes: Array<{ itemId: string; available: boolean }>): Promise<number> {
    this.open();
    const revKey = this.keys.catalogRevision();
    if (changes.length === 0) return Number(this.getString(revKey) ?? 0);
    const availKey = this.keys.catalogAvailability();
    const expiresAt = this.now() + CATALOG_OVERLAY_TTL_SECONDS * 1000;
    const hash = this.hashFor(availKey, true);
    for (const c of changes) hash.set(c.itemId, Buffer.from(c.available ? '1' : '0'));
    this.entry(availKey)!.expiresAt = expiresAt;
    const rev = Number(this.getString(revKey) ?? 0) + 1;
    this.setString(revKey, String(rev), expiresAt);
    return rev;
  }

  async addOutcomes(increments: ReadonlyArray<readonly [field: string, by: number]>, ttlSeconds: number): Promise<void> {
    this.open();
    if (increments.length === 0) return;
    const key = this.keys.outcomeCounters();
    const hash = this.hashFor(key, true);
    for (const [f, by] of increments) hash.set(f, Buffer.from(String(Number(hash.get(f)?.toString() ?? 0) + by)));
    this.entry(key)!.expiresAt = this.now() + ttlSeconds * 1000;
  }

  async takeOutcomeBatch(newBatchId: string, ttlSeconds: number): Promise<OutcomeBatch | null> {
    this.open();
    const k = this.keys;
    let id = this.getString(k.outcomePendingBatchId());
    if (id === null) {
      const counters = this.entry(k.outcomeCounters());
      if (!counters) return null;
      const expiresAt = this.now() + ttlSeconds * 1000;
      this.store.delete(k.outcomeCounters());
      this.store.set(k.outcomePendingBatch(), { ...counters, expiresAt });
      this.setString(k.outcomePendingBatchId(), newBatchId, expiresAt);
      id = newBatchId;
    }
    return { batchId: id, counters: this.numbers(k.outcomePendingBatch()) };
  }

  async dropOutcomeBatch(batchId: string): Promise<void> {
    this.open();
    if (this.getString(this.keys.outcomePendingBatchId()) !== batchId) return;
    this.store.delete(this.keys.outcomePendingBatch());
    this.store.delete(this.keys.outcomePendingBatchId());
  }

  async readUnflushedOutcomes(): Promise<{ counters: Map<string, number>; pending: OutcomeBatch | null }> {
    this.open();
    const id = this.getString(this.keys.outcomePendingBatchId());
    return {
      counters: this.numbers(this.keys.outcomeCounters()),
      pending: id === null ? null : { batchId: id, counters: this.numbers(this.keys.outcomePendingBatch()) },
    };
  }

  /** A hash of numbers (counters) as a Map. */
  private numbers(key: string): Map<string, number> {
    const hash = this.hashFor(key, false);
    return new Map([...(hash ?? new Map<string, Buffer>())].map(([f, v]) => [f, Number(v.toString())]));
  }

  async rememberClick(userKey: string, itemId: string, recommendationId: string, ttlSeconds: number): Promise<void> {
    this.open();
    const key = this.keys.userClicks(userKey);
    this.hashFor(key, true).set(itemId, Buffer.from(recommendationId));
    this.entry(key)!.expiresAt = this.now() + ttlSeconds * 1000;
  }

  async takeClicks(userKey: string, itemIds: string[]): Promise<Array<string | null>> {
    this.open();
    const hash = this.hashFor(this.keys.userClicks(userKey), false);
    return itemIds.map((id) => {
      const v = hash?.get(id);
      hash?.delete(id);
      return v ? v.toString() : null;
    });
  }

  async readCatalogOverlay(): Promise<CatalogOverlay> {
    this.open();
    const availability = new Map<string, boolean>();
    const hash = this.hashFor(this.keys.catalogAvailability(), false);
    if (hash) for (const [itemId, flag] of hash) availability.set(itemId, flag.toString() === '1');
    return { rev: Number(this.getString(this.keys.catalogRevision()) ?? 0), availability };
  }

  async ping(): Promise<void> {
    this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.store.clear();
  }

  /**
   * Remaining time to live of a raw key in ms, with Redis PTTL's conventions: -2 when the key is
   * absent (or expired), -1 when it has no expiry. For tests and debugging; not part of the port.
   */
  pttl(key: string): number {
    const entry = this.entry(key);
    if (!entry) return -2;
    return entry.expiresAt === null ? -1 : entry.expiresAt - this.now();
  }

  private expireVersion(version: string, retainSeconds: number): void {
    const infoHash = this.hashFor(this.keys.versionInfo(version), false);
    const bucketCount = Number(infoHash?.get('bucketCount')?.toString() ?? 0);
    const expiresAt = this.now() + retainSeconds * 1000;
    for (const key of this.keys.versionKeys(version, bucketCount)) {
      const entry = this.entry(key);
      if (entry) entry.expiresAt = expiresAt;
    }
  }

  private open(): void {
    if (this.closed) throw new Error('the in-process cache is closed');
  }

  /** The live entry under `key`, dropping it when expired. */
  private entry(key: string): Entry | undefined {
    const entry = this.store.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= this.now()) {
      this.store.delete(key);
      return undefined;
    }
    return entry;
  }

  private getString(key: string): string | null {
    const entry = this.entry(key);
    if (!entry) return null;
    if (entry.data.type !== 'string') throw wrongType(key);
    return entry.data.value.toString('utf8');
  }

  /** Like Redis SET: replaces the value and, unless `expiresAt` is given, clears any expiry. */
  private setString(key: string, value: string, expiresAt: number | null = null): void {
    this.store.set(key, { data: { type: 'string', value: Buffer.from(value, 'utf8') }, expiresAt });
  }

  private hashFor(key: string, create: true): Map<string, Buffer>;
  private hashFor(key: string, create: false): Map<string, Buffer> | undefined;
  private hashFor(key: string, create: boolean): Map<string, Buffer> | undefined {
    const entry = this.entry(key);
    if (entry) {
      if (entry.data.type !== 'hash') throw wrongType(key);
      return entry.data.value;
    }
    if (!create) return undefined;
    const value = new Map<string, Buffer>();
    this.store.set(key, { data: { type: 'hash', value }, expiresAt: null });
    return value;
  }

  private listFor(key: string, create: true): string[];
  private listFor(key: string, create: false): string[] | undefined;
  private listFor(key: string, create: boolean): string[] | undefined {
    const entry = this.entry(key);
    if (entry) {
      if (entry.data.type !== 'list') throw wrongType(key);
      return entry.data.value;
    }
    if (!create) return undefined;
    const value: string[] = [];
    this.store.set(key, { data: { type: 'list', value }, expiresAt: null });
    return value;
  }

  private setFor(key: string, create: true): Set<string>;
  private setFor(key: string, create: false): Set<string> | undefined;
  private setFor(key: string, create: boolean): Set<string> | undefined {
    const entry = this.entry(key);
    if (entry) {
      if (entry.data.type !== 'set') throw wrongType(key);
      return entry.data.value;
    }
    if (!create) return undefined;
    const value = new Set<string>();
    this.store.set(key, { data: { type: 'set', value }, expiresAt: null });
    return value;
  }

  private maybeSweep(): void {
    const now = this.now();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [key, entry] of this.store) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) this.store.delete(key);
    }
  }
}

function wrongType(key: string): Error {
  return new Error(`WRONGTYPE: ${key} holds a different kind of value`);
}
