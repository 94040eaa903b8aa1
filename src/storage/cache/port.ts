/**
 * The cache port. Two implementations (Redis via ioredis, in-process) pass one contract suite
 * (tests/contract/cache.contract.test.ts). Every key is built in keys.ts; every value either has a
 * TTL or belongs to a version whose keys are expired when it is replaced.
 */
import type { EventType, StoreEvent } from '../../domain/types';

/** Outcome counters moved aside for one flush. */
export interface OutcomeBatch {
  batchId: string;
  counters: Map<string, number>;
}

export interface SessionEvent {
  itemId: string;
  type: EventType;
  /** Epoch ms. */
  ts: number;
}

export interface UserState {
  /** The user's packed list in the version (packedList.ts), or null when the version has none. */
  list: Buffer | null;
  /** Events posted through the API recently, newest first. */
  session: SessionEvent[];
  /** Items bought through the API recently. */
  bought: string[];
  /** Revision of the live catalogue overlay; reload the overlay when it moved. */
  catalogRev: number;
}

export interface CatalogOverlay {
  rev: number;
  /** Availability set through the API since training, by item id. */
  availability: Map<string, boolean>;
}

export interface VersionInfo {
  bucketCount: number;
  users: number;
}

export interface SessionLimits {
  maxEvents: number;
  sessionTtlSeconds: number;
  boughtTtlSeconds: number;
}

export interface RecommendationCache {
  readonly kind: 'redis' | 'memory';

  /** The live version id, or null before the first publish. */
  liveVersion(): Promise<string | null>;
  /** The version that was live before the current one (for rollback), or null. */
  previousVersion(): Promise<string | null>;

  /** Writes a version's info and meta with the staging TTL. */
  writeVersion(version: string, info: VersionInfo, meta: Buffer, stagingTtlSeconds: number): Promise<void>;
  /** Writes (userId, packed list) pairs into the version's buckets, pipelined, with the staging TTL. */
  writeUserLists(version: string, lists: Array<[string, Buffer]>, stagingTtlSeconds: number): Promise<void>;
  versionInfo(version: string): Promise<VersionInfo | null>;
  readVersionMeta(version: string): Promise<Buffer | null>;
  /**
   * Makes `version`'s keys permanent, then atomically points `live` at it provided `live` still
   * equals `expectedLive` (compare-and-set), remembers the replaced version as previous and lets its
   * keys expire after `retainSeconds`. Returns false (and changes nothing) when `live` moved or the
   * version's keys are missing.
   */
  switchLive(version: string, expectedLive: string | null, retainSeconds: number): Promise<boolean>;
  /** Removes every key of a version (a failed or abandoned publish). */
  deleteVersion(version: string): Promise<void>;

  /** Everything a recommendation request needs from the cache, in one round trip. */
  readUserState(version: string, bucketCount: number, userId: string): Promise<UserState>;
  /** Appends API events to each user's session (bounded, TTL) and purchases to the bought set. */
  recordEvents(events: StoreEvent[], limits: SessionLimits): Promise<void>;
  /** Records availability changes and bumps the overlay revision; returns the new revision. */
  setAvailability(changes: Array<{ itemId: string; available: boolean }>): Promise<number>;
  readCatalogOverlay(): Promise<CatalogOverlay>;

  /**
   * Adds to the outcome ledger's counters (contracts/outcomes.ts fields), in one atomic step; their
   * TTL is refreshed on every write.
   */
  addOutcomes(increments: ReadonlyArray<readonly [field: string, by: number]>, ttlSeconds: number): Promise<void>;
  /**
   * The counters a flush stores: the batch pending from an earlier flush that did not finish, or
   * else the counters so far, moved aside atomically under the id `newBatchId` (later increments
   * start afresh). Null when there is nothing to flush.
   */
  takeOutcomeBatch(newBatchId: string, ttlSeconds: number): Promise<OutcomeBatch | null>;
  /** Drops the pending batch once the database holds it (nothing happens for another id). */
  dropOutcomeBatch(batchId: string): Promise<void>;
  /** What the database does not hold yet: the counters, and the pending batch if any. */
  readUnflushedOutcomes(): Promise<{ counters: Map<string, number>; pending: OutcomeBatch | null }>;
  /** Remembers that a user (by key) clicked an item shown by a recommendation, for purchase attribution. */
  rememberClick(userKey: string, itemId: string, recommendationId: string, ttlSeconds: number): Promise<void>;
  /** For each item, the recommendation whose click it was (null where none), consuming the clicks. */
  takeClicks(userKey: string, itemIds: string[]): Promise<Array<string | null>>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
