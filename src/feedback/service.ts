/**
 * Outcome attribution for A/B reports: impressions, clicks and purchases per variant and segment,
 * from the recommendation id each answer carried. Purchases posted as events within the
 * attribution window after a click on the same item count too.
 */
import type { RecommendationCache } from '../storage/cache/port';
import type { Policy } from '../config/policy';
import type { StoreEvent, Segment } from '../domain/types';
import { SEGMENTS } from '../domain/types';
import { DEFAULT_VARIANT } from '../experiments/assignment';
import { decodeRecommendationId, experimentTag, RecommendationRef, userKeyOf } from './recommendationId';
import { ValidationError } from '../errors';
import type { Metrics } from '../serving/metrics';
import type { Logger } from '../logger';

export const FEEDBACK_TYPES = ['impression', 'click', 'purchase'] as const;
export type FeedbackType = (typeof FEEDBACK_TYPES)[number];

/** Counters of answers given without an experiment live under this name. */
const NO_EXPERIMENT = '_none';
const Z95 = 1.959963984540054;

export interface Rates {
  impressions: number;
  clicks: number;
  purchases: number;
  ctr: number;
  conversion: number;
}

export interface Difference {
  /** Variant minus control. */
  diff: number;
  ci95: [number, number];
  /** Two-sided p-value of a two-proportion z-test. */
  pValue: number | null;
}

export interface ExperimentReport {
  experiment: string | null;
  control: string;
  variants: Array<Rates & { variant: string; segments: Array<Rates & { segment: Segment }>; vsControl?: { ctr: Difference; conversion: Difference } }>;
}

function rates(impressions: number, clicks: number, purchases: number): Rates {
  return {
    impressions,
    clicks,
    purchases,
    ctr: impressions ? clicks / impressions : 0,
    conversion: impressions ? purchases / impressions : 0,
  };
}

/**
 * mathjs (for erf) is thousands of modules: required on the first experiment report, so a serving
 * process that never reports does not carry it in its heap (every young-generation GC pays for heap).
 */
let mathjs: typeof import('mathjs') | undefined;
function erf(x: number): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  mathjs ??= require('mathjs') as typeof import('mathjs');
  return mathjs.erf(x);
}

/** Difference of two proportions with a Wald 95% interval and a pooled z-test p-value. */
export function proportionDifference(x1: number, n1: number, x0: number, n0: number): Difference {
  if (!n1 || !n0) return { diff: 0, ci95: [0, 0], pValue: null };
  const p1 = x1 / n1;
  const p0 = x0 / n0;
  const diff = p1 - p0;
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p0 * (1 - p0)) / n0);
  const pooled = (x1 + x0) / (n1 + n0);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0));
  const z = sePooled > 0 ? Math.abs(diff) / sePooled : 0;
  const pValue = sePooled > 0 ? 2 * (1 - 0.5 * (1 + erf(z / Math.SQRT2))) : null;
  return { diff, ci95: [diff - Z95 * se, diff + Z95 * se], pValue };
}

export class FeedbackService {
  constructor(
    private readonly cache: RecommendationCache,
    private readonly policy: Policy,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {}

  private experimentName(): string {
    return this.policy.experiment?.name ?? NO_EXPERIMENT;
  }

  /** The variant a recommendation was served under, if it belongs to the current experiment. */
  private variantOf(ref: RecommendationRef): string {
    const exp = this.policy.experiment;
    if (!exp || ref.experimentTag !== experimentTag(exp.name) || ref.variantIndex < 0) return DEFAULT_VARIANT;
    return exp.variants[ref.variantIndex]?.name ?? DEFAULT_VARIANT;
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

  async report(): Promise<ExperimentReport> {
    const counts = await this.cache.readCounters(this.experimentName());
    const names = this.policy.experiment?.variants.map((v) => v.name) ?? [DEFAULT_VARIANT];
    for (const field of counts.keys()) {
      const v = field.split('|')[0];
      if (!names.includes(v)) names.push(v);
    }
    const get = (variant: string, segment: string, type: FeedbackType) => counts.get(`${variant}|${segment}|${type}`) ?? 0;
    const variants = names.map((variant) => {
      const segments = SEGMENTS.map((segment) => ({
        segment,
        ...rates(get(variant, segment, 'impression'), get(variant, segment, 'click'), get(variant, segment, 'purchase')),
      })).filter((r) => r.impressions || r.clicks || r.purchases);
      const total = segments.reduce(
        (a, r) => ({ i: a.i + r.impressions, c: a.c + r.clicks, p: a.p + r.purchases }),
        { i: 0, c: 0, p: 0 },
      );
      return { variant, ...rates(total.i, total.c, total.p), segments };
    });
    const control = variants[0];
    for (const v of variants.slice(1)) {
      (v as (typeof variants)[number] & { vsControl?: unknown }).vsControl = {
        ctr: proportionDifference(v.clicks, v.impressions, control.clicks, control.impressions),
        conversion: proportionDifference(v.purchases, v.impressions, control.purchases, control.impressions),
      };
    }
    return { experiment: this.policy.experiment?.name ?? null, control: control.variant, variants };
  }
}
