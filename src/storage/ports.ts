/**
 * Store interfaces (ports). Each has a PostgreSQL and an embedded PGlite implementation that pass
 * one shared contract suite (tests/contract/stores.contract.test.ts). Stores do I/O only.
 */
import type { Item, ItemPatch, Segment, StoreEvent } from '../domain/types';
import type { OutcomeRow } from '../contracts/outcomes';
import type { ModelStatus, ModelVersionRecord } from '../contracts/versionRecord';

/** One event as scanEvents hands it over: ids, type index into EVENT_TYPES, epoch ms. */
export type EventVisitor = (userId: string, itemId: string, type: number, ts: number) => void;

export interface EventStore {
  /** Inserts all events in one transaction: either every event is stored or none is. */
  insertEvents(events: StoreEvent[]): Promise<number>;
  /**
   * Bulk load for imports: fastest path available (COPY on PostgreSQL). Not required to be one
   * transaction across calls, but each call is all-or-nothing.
   */
  bulkInsertEvents(events: StoreEvent[]): Promise<number>;
  /** Every event in (ts, id) order, in batches, without loading the whole table at once. */
  streamEvents(batchSize?: number): AsyncIterable<StoreEvent[]>;
  /**
   * Every event in (ts, id) order, handed to `visit` field by field (`type` is the index into
   * EVENT_TYPES) without building event objects: the trainer's bulk load. Resolves with the count.
   */
  scanEvents?(visit: EventVisitor): Promise<number>;
  countEvents(): Promise<number>;
  /** The user's most recent events, newest first. */
  recentEventsForUser(userId: string, limit: number): Promise<StoreEvent[]>;
  /** Newest event timestamp (epoch ms), or null when empty. */
  latestEventTime(): Promise<number | null>;
}

export interface CatalogStore {
  /** Inserts or updates items; only the fields present in each patch change. One transaction. */
  upsertItems(patches: ItemPatch[]): Promise<number>;
  /** Adds items seen in events that the catalogue does not know yet; known items are untouched. */
  ensureItems(items: Array<{ itemId: string; category?: string | null; firstSeen?: number | null }>): Promise<number>;
  getItem(itemId: string): Promise<Item | null>;
  streamItems(batchSize?: number): AsyncIterable<Item[]>;
  countItems(): Promise<number>;
}

export interface ModelRegistry {
  /** Creates a version record (status `training`). Fails if the version exists. */
  create(version: string, createdAt: number): Promise<void>;
  update(
    version: string,
    patch: Partial<Pick<ModelVersionRecord, 'status' | 'metrics' | 'timings' | 'manifest' | 'publishedAt'>>,
  ): Promise<void>;
  get(version: string): Promise<ModelVersionRecord | null>;
  /** Newest first. */
  list(limit?: number): Promise<ModelVersionRecord[]>;
  /** Marks `version` live and any other live version retired, atomically. */
  markLive(version: string, publishedAt: number): Promise<void>;
  live(): Promise<ModelVersionRecord | null>;
  withStatus(status: ModelStatus): Promise<ModelVersionRecord[]>;
  /** Deletes a version's record; refuses (ConflictError) to delete the live version. */
  remove(version: string): Promise<void>;
}

/** The outcome ledger (contracts/outcomes.ts): rows are added by batch, each batch id at most once. */
export interface OutcomeStore {
  /** Adds the rows to the ledger in one transaction unless `batchId` was added before; true when added. */
  addBatch(batchId: string, rows: readonly OutcomeRow[]): Promise<boolean>;
  hasBatch(batchId: string): Promise<boolean>;
  /** Rows of days in [from, to] (YYYY-MM-DD, inclusive; open ends when omitted). */
  rows(range?: { from?: string; to?: string }): Promise<OutcomeRow[]>;
}

/** Each shopper's segment per model version. */
export interface SegmentStore {
  /** Replaces a version's snapshot (all-or-nothing); resolves with the rows written. */
  write(version: string, rows: Iterable<readonly [userId: string, segment: Segment]>): Promise<number>;
  sizes(version: string): Promise<Record<Segment, number>>;
  /** counts[a][b]: shoppers in segment a in `from` and b in `to` (those missing from `to` aside). */
  transitions(from: string, to: string): Promise<Record<Segment, Record<Segment, number>>>;
  /** Per segment of `version`: its shoppers, and how many have an event after `since` (epoch ms). */
  retention(version: string, since: number): Promise<Record<Segment, { users: number; retained: number }>>;
  remove(version: string): Promise<void>;
}

/** A named lock held across processes (see Database.tryLock). */
export interface DatabaseLock {
  readonly name: string;
  release(): Promise<void>;
}

/** Everything backed by the relational database, opened and closed together. */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly events: EventStore;
  readonly catalog: CatalogStore;
  readonly models: ModelRegistry;
  readonly outcomes: OutcomeStore;
  readonly segments: SegmentStore;
  /** Applies pending migrations; returns the versions applied. */
  migrate(): Promise<number[]>;
  /** Current schema version (0 when never migrated). */
  schemaVersion(): Promise<number>;
  /**
   * Takes the named lock without waiting, or resolves null when someone else holds it. PostgreSQL:
   * a session advisory lock, released by `release()` or by the holder's connection ending (a killed
   * process never leaves it behind). PGlite: held by this handle (one process owns the directory).
   */
  tryLock(name: string): Promise<DatabaseLock | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
