/**
 * Outcome attribution for A/B reports: impressions, clicks and purchases per variant and segment,
 * from the recommendation id each answer carried. Purchases posted as events within the
 * attribution window after a click on the same item count too (experiments/service.ts reports them).
 */
import type { RecommendationCache } from '../storage/cache/port';
import type { Policy } from '../config/policy';
import type { FeedbackType, StoreEvent, Segment } from '../domain/types';
import { experimentCounterName, variantOfRecommendation } from '../experiments/assignment';
import { decodeRecommendationId, type RecommendationRef, userKeyOf } from '../contracts/recommendationId';
import { ValidationError } from '../errors';
import type { Metrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';

export class FeedbackService {
  constructor(
    private readonly cache: RecommendationCache,
    private readonly policy: Policy,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {}

  private experimentName(): string {
    return experimentCounterName(this.policy);
  }

  private variantOf(ref: RecommendationRef): string {
    return variantOfRecommendation(this.policy, ref);
  }

  async record(input: { recommendationId: string; itemId: string; type: FeedbackType }): Promise<{ variant: string; segment: Segment }> {
    const ref = decodeRecommendationId(input.recommendationId);
    if (!ref) {
      throw new ValidationError('invalid body.recommendationId: not a recommendation id issued by this service', [
        { field: 'body.recommendationId', message: 'not a recommendation id issued by this service' },
      ]);
    }
    const variant = this.variantOf(ref);
    const ttl = this.policy.feedback.countersTtlSeconds;
    await this.cache.incrementCounters(this.experimentName(), [`${variant}|${ref.segment}|${input.type}`], ttl);
    if (input.type === 'click') {
      await this.cache.rememberClick(ref.userKey, input.itemId, input.recommendationId, this.policy.feedback.clickAttributionSeconds);
    } else if (input.type === 'purchase') {
      // Reported directly: the click must not attribute the same purchase a second time.
      await this.cache.takeClicks(ref.userKey, [input.itemId]);
    }
    this.metrics?.feedback.inc({ type: input.type, variant });
    return { variant, segment: ref.segment };
  }

  /** Purchases posted as events: attributed to the recommendation whose item the user clicked. */
  async attributePurchases(events: StoreEvent[]): Promise<number> {
    const byUser = new Map<string, string[]>();
    for (const e of events) {
      if (e.type !== 'purchase') continue;
      const key = userKeyOf(e.userId);
      const list = byUser.get(key) ?? [];
      list.push(e.itemId);
      byUser.set(key, list);
    }
    const fields: string[] = [];
    for (const [userKey, itemIds] of byUser) {
      const recs = await this.cache.takeClicks(userKey, itemIds);
      for (const id of recs) {
        const ref = id ? decodeRecommendationId(id) : null;
        if (!ref) continue;
        const variant = this.variantOf(ref);
        fields.push(`${variant}|${ref.segment}|purchase`);
        this.metrics?.feedback.inc({ type: 'attributed_purchase', variant });
      }
    }
    if (fields.length) await this.cache.incrementCounters(this.experimentName(), fields, this.policy.feedback.countersTtlSeconds);
    return fields.length;
  }
}
