/** Differences between a variant and control with their 95% intervals (Wald), from the ledger's sums. */
import type { OutcomeCounts } from '../contracts/outcomes';

const Z95 = 1.959963984540054;

export interface Difference {
  /** Variant minus control. */
  diff: number;
  ci95: [number, number];
  /** Two-sided p-value of a two-proportion z-test (null for revenue, or without data). */
  pValue: number | null;
}

export interface Rates {
  impressions: number;
  clicks: number;
  purchases: number;
  revenue: number;
  ctr: number;
  /** Attributed purchases per impression. */
  conversion: number;
  revenuePerThousand: number;
}

export function rates(c: OutcomeCounts): Rates {
  const n = c.impressions;
  return {
    impressions: n,
    clicks: c.clicks,
    purchases: c.purchases,
    revenue: Math.round(c.revenue * 100) / 100,
    ctr: n ? c.clicks / n : 0,
    conversion: n ? c.purchases / n : 0,
    revenuePerThousand: n ? (1000 * c.revenue) / n : 0,
  };
}

/**
 * mathjs (for erf) is thousands of modules: required on the first report, so a serving process
 * that never reports does not carry it in its heap.
 */
let mathjs: typeof import('mathjs') | undefined;
function erf(x: number): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  mathjs ??= require('mathjs') as typeof import('mathjs');
  return mathjs.erf(x);
}

/** Difference of two proportions x1/n1 - x0/n0 with a Wald 95% interval and a pooled z-test p-value. */
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

/**
 * Difference in revenue per 1,000 impressions, each impression's revenue a sample (mostly 0): the
 * variance per impression is E[r^2] - E[r]^2 from the sums of revenue and of its squares.
 */
export function revenueDifference(v: OutcomeCounts, control: OutcomeCounts): Difference {
  if (!v.impressions || !control.impressions) return { diff: 0, ci95: [0, 0], pValue: null };
  const mean = (c: OutcomeCounts) => c.revenue / c.impressions;
  const variance = (c: OutcomeCounts) => Math.max(0, c.revenueSq / c.impressions - mean(c) ** 2);
  const diff = mean(v) - mean(control);
  const se = Math.sqrt(variance(v) / v.impressions + variance(control) / control.impressions);
  return { diff: 1000 * diff, ci95: [1000 * (diff - Z95 * se), 1000 * (diff + Z95 * se)], pValue: null };
}
