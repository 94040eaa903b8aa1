/**
 * The outcome ledger over its two homes: counters accumulate in the cache (one round trip per
 * feedback), and a flush moves them into the database. A flush takes a batch aside in the cache,
 * adds it to the database at most once (by batch id) and then drops it, so a flush repeated or cut
 * short neither loses nor double-counts. Reads combine the database with what it does not hold yet.
 */
import { randomUUID } from 'crypto';
import type { RecommendationCache } from '../storage/cache/port';
import type { OutcomeStore } from '../storage/ports';
import { CacheUnavailableError } from '../storage/cache/resilientCache';
import { mergeOutcomeRows, rowsFromCounters, type OutcomeRow } from '../contracts/outcomes';
import type { Logger } from '../observability/logger';

export interface FlushResult {
  batchId: string;
  rows: number;
  /** False when the database held the batch already (an earlier flush stopped after storing it). */
  added: boolean;
}

export class OutcomeLedger {
  constructor(
    private readonly cache: RecommendationCache,
    private readonly store: OutcomeStore,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {}

  /** Moves the cache's counters into the database; null when there was nothing to move. */
  async flush(): Promise<FlushResult | null> {
    const batch = await this.cache.takeOutcomeBatch(randomUUID(), this.ttlSeconds);
    if (!batch) return null;
    const rows = rowsFromCounters(batch.counters);
    const added = await this.store.addBatch(batch.batchId, rows);
    await this.cache.dropOutcomeBatch(batch.batchId);
    this.logger.debug({ batchId: batch.batchId, rows: rows.length, added }, 'outcomes flushed');
    return { batchId: batch.batchId, rows: rows.length, added };
  }

  /**
   * The ledger's rows of days in [from, to]: the database's, plus the cache's counters and a pending
   * batch the database does not hold. `complete` is false when the cache could not be read.
   */
  async rows(range: { from?: string; to?: string } = {}): Promise<{ rows: OutcomeRow[]; complete: boolean }> {
    // The database first: a flush running meanwhile can then only hide counters, never count them twice.
    const stored = await this.store.rows(range);
    let unflushed: OutcomeRow[] = [];
    let complete = true;
    try {
      const { counters, pending } = await this.cache.readUnflushedOutcomes();
      unflushed = rowsFromCounters(counters);
      if (pending && !(await this.store.hasBatch(pending.batchId))) unflushed.push(...rowsFromCounters(pending.counters));
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
      complete = false;
    }
    const inRange = (r: OutcomeRow) => (!range.from || r.day >= range.from) && (!range.to || r.day <= range.to);
    return { rows: mergeOutcomeRows(stored, unflushed.filter(inRange)), complete };
  }
}
