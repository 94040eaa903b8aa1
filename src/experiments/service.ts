/**
 * The A/B report: impressions, clicks and purchases per variant and segment from the outcome
 * counters (feedback/service.ts counts them), each variant against control with a 95% interval.
 */
import type { RecommendationCache } from '../storage/cache/port';
import type { Policy } from '../config/policy';
import type { FeedbackType, Segment } from '../domain/types';
import { SEGMENTS } from '../domain/types';
import { DEFAULT_VARIANT, experimentCounterName } from './assignment';

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
  variants: Array<
    Rates & { variant: string; segments: Array<Rates & { segment: Segment }>; vsControl?: { ctr: Difference; conversion: Difference } }
  >;
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

export class ExperimentService {
  constructor(
    private readonly cache: RecommendationCache,
    private readonly policy: Policy,
  ) {}

  async report(): Promise<ExperimentReport> {
    const counts = await this.cache.readCounters(experimentCounterName(this.policy));
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
      const total = segments.reduce((a, r) => ({ i: a.i + r.impressions, c: a.c + r.clicks, p: a.p + r.purchases }), { i: 0, c: 0, p: 0 });
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
