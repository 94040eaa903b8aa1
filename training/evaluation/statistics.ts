/**
 * Intervals for offline figures: a bootstrap over cases. The resamples are drawn from a fixed
 * seed, so two runs print the same intervals, and every statistic of one evaluation uses the same
 * resamples (a paired difference resamples the two models' cases together).
 */
import { mulberry32 } from '../../src/util/prng';
import { hitAndNdcg } from './metrics';

export type Interval = [number, number];

export interface BootstrapOptions {
  /** Bootstrap resamples (default 1,000). */
  resamples?: number;
  /** Seed of the resample draws (default BOOTSTRAP_SEED). */
  seed?: number;
}

export const BOOTSTRAP_SEED = 20261207;
const DEFAULT_RESAMPLES = 1000;

/** A paired difference: `diff` = mean(a) - mean(b) over the same cases, with its 95% interval. */
export interface PairedDifference {
  diff: number;
  ci95: Interval;
}

/** Per-case HR@k or NDCG@k from 1-based ranks (0: not within the list). */
export function perCase(ranks: ArrayLike<number>, metric: 'hr10' | 'ndcg10' | 'hr20' | 'ndcg20'): Float64Array {
  const k = metric.endsWith('20') ? 20 : 10;
  const hr = metric.startsWith('hr');
  const out = new Float64Array(ranks.length);
  for (let x = 0; x < ranks.length; x++) {
    const m = hitAndNdcg(ranks[x], k);
    out[x] = hr ? m.hr : m.ndcg;
  }
  return out;
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let x = 0; x < values.length; x++) s += values[x];
  return values.length ? s / values.length : 0;
}

/**
 * The means of `values` over the bootstrap resamples (each n cases drawn with replacement). The
 * draws depend only on n and the seed, so two value arrays of the same length are resampled alike.
 */
export function bootstrapMeans(values: ArrayLike<number>, opts: BootstrapOptions = {}): Float64Array {
  const n = values.length;
  const b = opts.resamples ?? DEFAULT_RESAMPLES;
  const out = new Float64Array(b);
  if (n === 0) return out;
  const rnd = mulberry32(opts.seed ?? BOOTSTRAP_SEED);
  for (let r = 0; r < b; r++) {
    let s = 0;
    for (let x = 0; x < n; x++) s += values[Math.floor(rnd() * n)];
    out[r] = s / n;
  }
  return out;
}

/** The q-quantile of samples (linear interpolation between order statistics). */
export function quantile(samples: Float64Array, q: number): number {
  if (samples.length === 0) return 0;
  const sorted = Float64Array.from(samples).sort();
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Percentile bootstrap 95% interval of the mean of `values`. */
export function meanInterval(values: ArrayLike<number>, opts: BootstrapOptions = {}): Interval {
  const means = bootstrapMeans(values, opts);
  return [quantile(means, 0.025), quantile(means, 0.975)];
}

function differences(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length) throw new Error(`paired difference over ${a.length} and ${b.length} cases: not the same cases`);
  const d = new Float64Array(a.length);
  for (let x = 0; x < a.length; x++) d[x] = a[x] - b[x];
  return d;
}

/** mean(a) - mean(b) over the same cases, with its percentile bootstrap 95% interval (cases resampled together). */
export function pairedDifference(a: ArrayLike<number>, b: ArrayLike<number>, opts: BootstrapOptions = {}): PairedDifference {
  // diff as the difference of the two means: exactly the figures printed for each model.
  return { diff: mean(a) - mean(b), ci95: meanInterval(differences(a, b), opts) };
}

/** The lower bound of the one-sided 95% interval of mean(a) - mean(b) (its bootstrap 5th percentile). */
export function pairedLowerBound(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: BootstrapOptions = {},
): PairedDifference & { lower: number } {
  const d = differences(a, b);
  const means = bootstrapMeans(d, opts);
  return { diff: mean(a) - mean(b), ci95: [quantile(means, 0.025), quantile(means, 0.975)], lower: quantile(means, 0.05) };
}

/** HR@10 and NDCG@10 intervals of one model's per-case ranks. */
export function rankIntervals(ranks: ArrayLike<number>, opts: BootstrapOptions = {}): { hr10: Interval; ndcg10: Interval } {
  return { hr10: meanInterval(perCase(ranks, 'hr10'), opts), ndcg10: meanInterval(perCase(ranks, 'ndcg10'), opts) };
}

/** A model's paired HR@10 and NDCG@10 differences to a reference model on the same cases. */
export function rankDifferences(
  ranks: ArrayLike<number>,
  reference: ArrayLike<number>,
  opts: BootstrapOptions = {},
): { hr10: PairedDifference; ndcg10: PairedDifference } {
  return {
    hr10: pairedDifference(perCase(ranks, 'hr10'), perCase(reference, 'hr10'), opts),
    ndcg10: pairedDifference(perCase(ranks, 'ndcg10'), perCase(reference, 'ndcg10'), opts),
  };
}
