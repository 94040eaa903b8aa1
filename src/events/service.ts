/**
 * Ingestion of storefront events: stored durably first (one transaction: all or nothing), then
 * pushed into the user's live session in the cache so the next answer reflects them at once.
 */
import type { Database } from '../storage/ports';
import type { RecommendationCache } from '../storage/cache/port';
import type { StoreEvent } from '../domain/types';
import type { Policy } from '../config/policy';
import type { Logger } from '../observability/logger';
import { UnavailableError } from '../errors';
import { CacheUnavailableError } from '../storage/cache/resilientCache';
import type { FeedbackService } from '../feedback/service';
import type { Metrics } from '../observability/metrics';

export class EventService {
  constructor(
    private readonly db: Database,
    private readonly cache: RecommendationCache,
    private readonly policy: Policy,
    private readonly logger: Logger,
    private readonly feedback?: FeedbackService,
    private readonly metrics?: Metrics,
  ) {}

  async record(events: StoreEvent[]): Promise<number> {
    try {
      // Items first: an event may name an item the catalogue has not seen yet.
      const items = new Map<string, number>();
      for (const e of events) if (!items.has(e.itemId)) items.set(e.itemId, e.ts);
      await this.db.catalog.ensureItems([...items].map(([itemId, firstSeen]) => ({ itemId, firstSeen })));
      await this.db.events.insertEvents(events);
    } catch (err) {
      this.logger.error({ err }, 'event store write failed');
      throw new UnavailableError('events could not be stored right now; retry later (nothing was written)');
    }
    this.metrics?.eventsAccepted.inc(events.length);
    const s = this.policy.serving;
    try {
      await this.cache.recordEvents(events, {
        maxEvents: s.sessionMaxEvents,
        sessionTtlSeconds: s.sessionTtlSeconds,
        boughtTtlSeconds: s.boughtTtlSeconds,
      });
    } catch (err) {
      // The events are durable; only the live session signal is late until the next retrain. During a
      // cache outage (breaker open, logged once by the cache) this is expected: no warning per request.
      if (err instanceof CacheUnavailableError) this.logger.debug({ err }, 'session cache unavailable; events stored');
      else this.logger.warn({ err }, 'session cache write failed; events stored');
    }
    if (this.feedback && events.some((e) => e.type === 'purchase')) {
      await this.feedback.attributePurchases(events).catch((err) => this.logger.warn({ err }, 'purchase attribution failed'));
    }
    return events.length;
  }
}
