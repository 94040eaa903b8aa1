/**
 * The experiments report: per experiment and variant, impressions, clicks, attributed purchases and
 * revenue from the outcome ledger, per segment too, and each variant against control (the first
 * variant) with 95% intervals.
 */
import type { Experiment, Policy } from '../config/policy';
import { SEGMENTS, type Segment } from '../domain/types';
import { EMPTY_COUNTS, type OutcomeCounts, type OutcomeRow } from '../contracts/outcomes';
import { DEFAULT_VARIANT } from './assignment';
import type { OutcomeLedger } from './ledger';
import { proportionDifference, rates, revenueDifference, type Difference, type Rates } from './stats';

export interface VariantReport extends Rates {
  variant: string;
  segments: Array<Rates & { segment: Segment }>;
  vsControl?: { ctr: Difference; conversion: Difference; revenuePerThousand: Difference };
}

export interface ExperimentReport {
  name: string;
  /** The experiment's targeting as configured; null when it is in the ledger but no longer configured. */
  config: Omit<Experiment, 'variants' | 'salt'> | null;
  control: string;
  variants: VariantReport[];
}

export interface ExperimentsReport {
  experiments: ExperimentReport[];
  /** Answers outside every experiment (variant `default`). */
  outside: Rates & { segments: Array<Rates & { segment: Segment }> };
}

const add = (a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts => ({
  impressions: a.impressions + b.impressions,
  clicks: a.clicks + b.clicks,
  purchases: a.purchases + b.purchases,
  revenue: a.revenue + b.revenue,
  revenueSq: a.revenueSq + b.revenueSq,
});

/** Sums per variant and per (variant, segment). */
function totals(rows: readonly OutcomeRow[]): Map<string, { all: OutcomeCounts; bySegment: Map<Segment, OutcomeCounts> }> {
  const out = new Map<string, { all: OutcomeCounts; bySegment: Map<Segment, OutcomeCounts> }>();
  for (const r of rows) {
    let v = out.get(r.variant);
    if (!v) out.set(r.variant, (v = { all: { ...EMPTY_COUNTS }, bySegment: new Map() }));
    v.all = add(v.all, r);
    v.bySegment.set(r.segment, add(v.bySegment.get(r.segment) ?? { ...EMPTY_COUNTS }, r));
  }
  return out;
}

function segmentRates(bySegment: Map<Segment, OutcomeCounts> | undefined): Array<Rates & { segment: Segment }> {
  return SEGMENTS.filter((s) => bySegment?.has(s)).map((segment) => ({ segment, ...rates(bySegment!.get(segment)!) }));
}

/** The report of every experiment configured or present in `rows`, configured ones first in policy order. */
export function experimentReports(rows: readonly OutcomeRow[], policy: Policy): ExperimentsReport {
  const byExperiment = new Map<string, OutcomeRow[]>();
  for (const r of rows) {
    const list = byExperiment.get(r.experiment) ?? [];
    list.push(r);
    byExperiment.set(r.experiment, list);
  }
  const names = [...policy.experiments.map((e) => e.name), ...[...byExperiment.keys()].filter((n) => n !== '').sort()];
  const experiments = [...new Set(names)].map((name): ExperimentReport => {
    const exp = policy.experiments.find((e) => e.name === name);
    const sums = totals(byExperiment.get(name) ?? []);
    const variantNames = [...new Set([...(exp?.variants.map((v) => v.name) ?? []), ...[...sums.keys()].sort()])];
    const control = variantNames[0] ?? DEFAULT_VARIANT;
    const controlSums = sums.get(control)?.all ?? EMPTY_COUNTS;
    const variants = variantNames.map((variant): VariantReport => {
      const s = sums.get(variant);
      const all = s?.all ?? EMPTY_COUNTS;
      const report: VariantReport = { variant, ...rates(all), segments: segmentRates(s?.bySegment) };
      if (variant !== control) {
        report.vsControl = {
          ctr: proportionDifference(all.clicks, all.impressions, controlSums.clicks, controlSums.impressions),
          conversion: proportionDifference(all.purchases, all.impressions, controlSums.purchases, controlSums.impressions),
          revenuePerThousand: revenueDifference(all, controlSums),
        };
      }
      return report;
    });
    const config = exp ? (({ variants: _v, salt: _s, ...targeting }) => targeting)(exp) : null;
    return { name, config, control, variants };
  });
  const outside = totals(byExperiment.get('') ?? []).get(DEFAULT_VARIANT);
  return { experiments, outside: { ...rates(outside?.all ?? EMPTY_COUNTS), segments: segmentRates(outside?.bySegment) } };
}

export class ExperimentService {
  constructor(
    private readonly ledger: OutcomeLedger,
    private readonly policy: Policy,
  ) {}

  /** Over every day in the ledger. */
  async report(): Promise<ExperimentsReport> {
    const { rows } = await this.ledger.rows();
    return experimentReports(rows, this.policy);
  }
}
