/**
 * Outcome attribution: impressions, clicks, purchases and revenue, counted into the outcome ledger
 * (contracts/outcomes.ts) under the day, experiment, variant, segment and placement carried by the
 * recommendation id of the answer that showed the item. Purchases posted as events within the
 * attribution window after a click on the same item count too. Revenue is the item's catalogue price
 * when the purchase is recorded.
 */
import type { RecommendationCache } from '../storage/cache/port';
import type { CatalogStore } from '../storage/ports';
import type { Policy } from '../config/policy';
import type { FeedbackType, StoreEvent, Segment } from '../domain/types';
import { variantOfRecommendation } from '../experiments/assignment';
import { decodeRecommendationId, type RecommendationRef, userKeyOf } from '../contracts/recommendationId';
import { outcomeDay, outcomeField, type OutcomeKey } from '../contracts/outcomes';
import { ValidationError } from '../errors';
import type { Metrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';

export interface FeedbackInput {
  recommendationId: string;
  itemId: string;
  type: FeedbackType;
  /** When it happened (epoch ms); default now. */
  ts?: number;
}

export class FeedbackService {
  constructor(
    private readonly cache: RecommendationCache,
    private readonly catalog: CatalogStore,
    private readonly policy: Policy,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {}

  private keyOf(ref: RecommendationRef, ts: number): OutcomeKey {
    const { experiment, variant } = variantOfRecommendation(this.policy, ref);
    return { day: outcomeDay(ts), experiment: experiment ?? '', variant, segment: ref.segment, placement: ref.placement };
  }

  /** Each distinct item's price (null when unknown), looked up together. */
  private async prices(itemIds: string[]): Promise<Map<string, number | null>> {
    const ids = [...new Set(itemIds)];
    const found = await Promise.all(ids.map(async (id) => (await this.catalog.getItem(id))?.price ?? null));
    return new Map(ids.map((id, x) => [id, found[x]]));
  }

  /** The increments of one attributed purchase: the count, and the item's price as revenue when known. */
  private purchase(key: OutcomeKey, price: number | null): Array<[string, number]> {
    const out: Array<[string, number]> = [[outcomeField(key, 'purchases'), 1]];
    if (price !== null && price > 0) out.push([outcomeField(key, 'revenue'), price], [outcomeField(key, 'revenueSq'), price * price]);
    return out;
  }

  async record(input: FeedbackInput): Promise<{ variant: string; segment: Segment }> {
    const ref = decodeRecommendationId(input.recommendationId);
    if (!ref) {
      throw new ValidationError('invalid body.recommendationId: not a recommendation id issued by this service', [
        { field: 'body.recommendationId', message: 'not a recommendation id issued by this service' },
      ]);
    }
    const key = this.keyOf(ref, input.ts ?? Date.now());
    const increments: Array<[string, number]> =
      input.type === 'purchase'
        ? this.purchase(key, (await this.prices([input.itemId])).get(input.itemId) ?? null)
        : [[outcomeField(key, input.type === 'click' ? 'clicks' : 'impressions'), 1]];
    await this.cache.addOutcomes(increments, this.policy.feedback.countersTtlSeconds);
    if (input.type === 'click') {
      await this.cache.rememberClick(ref.userKey, input.itemId, input.recommendationId, this.policy.feedback.clickAttributionSeconds);
    } else if (input.type === 'purchase') {
      // Reported directly: the click must not attribute the same purchase a second time.
      await this.cache.takeClicks(ref.userKey, [input.itemId]);
    }
    this.metrics?.feedback.inc({ type: input.type, variant: key.variant });
    return { variant: key.variant, segment: ref.segment };
  }

  /** Purchases posted as events: attributed to the recommendation whose item the user clicked. */
  async attributePurchases(events: StoreEvent[]): Promise<number> {
    const byUser = new Map<string, StoreEvent[]>();
    for (const e of events) {
      if (e.type !== 'purchase') continue;
      const key = userKeyOf(e.userId);
      const list = byUser.get(key) ?? [];
      list.push(e);
      byUser.set(key, list);
    }
    const attributed: Array<[OutcomeKey, string]> = [];
    for (const [userKey, purchases] of byUser) {
      const recs = await this.cache.takeClicks(
        userKey,
        purchases.map((e) => e.itemId),
      );
      for (let x = 0; x < recs.length; x++) {
        const ref = recs[x] ? decodeRecommendationId(recs[x]!) : null;
        if (!ref) continue;
        const key = this.keyOf(ref, purchases[x].ts);
        attributed.push([key, purchases[x].itemId]);
        this.metrics?.feedback.inc({ type: 'attributed_purchase', variant: key.variant });
      }
    }
    if (!attributed.length) return 0;
    const prices = await this.prices(attributed.map(([, itemId]) => itemId));
    const increments = attributed.flatMap(([key, itemId]) => this.purchase(key, prices.get(itemId) ?? null));
    await this.cache.addOutcomes(increments, this.policy.feedback.countersTtlSeconds);
    return attributed.length;
  }
}
