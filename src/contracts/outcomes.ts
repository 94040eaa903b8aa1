/**
 * The outcome ledger's rows: impressions, clicks, attributed purchases and attributed revenue per
 * day x experiment x variant x segment x placement. Counters accumulate in the cache under one
 * field per (key, metric) and are flushed into the database's `outcomes` table.
 */
import { PLACEMENTS, SEGMENTS, type Placement, type Segment } from '../domain/types';

export interface OutcomeKey {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** '' for answers outside every experiment. */
  experiment: string;
  variant: string;
  segment: Segment;
  placement: Placement;
}

export interface OutcomeCounts {
  impressions: number;
  clicks: number;
  purchases: number;
  /** Sum of the attributed purchases' prices. */
  revenue: number;
  /** Sum of their squares (the revenue per impression's variance comes from it). */
  revenueSq: number;
}

export type OutcomeRow = OutcomeKey & OutcomeCounts;

export type OutcomeMetric = keyof OutcomeCounts;

const METRIC_CODES: Record<OutcomeMetric, string> = { impressions: 'i', clicks: 'c', purchases: 'p', revenue: 'r', revenueSq: 'q' };
const METRIC_BY_CODE = new Map(Object.entries(METRIC_CODES).map(([m, c]) => [c, m as OutcomeMetric]));

export const EMPTY_COUNTS: Readonly<OutcomeCounts> = { impressions: 0, clicks: 0, purchases: 0, revenue: 0, revenueSq: 0 };

export function outcomeDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Experiment and variant names never hold `|` (the policy's name rule), so fields split cleanly. */
export function outcomeKeyText(key: OutcomeKey): string {
  return `${key.day}|${key.experiment}|${key.variant}|${key.segment}|${key.placement}`;
}

/** The cache field counting one metric of one key. */
export function outcomeField(key: OutcomeKey, metric: OutcomeMetric): string {
  return `${outcomeKeyText(key)}|${METRIC_CODES[metric]}`;
}

/** Cache counters back into rows (fields that do not parse are skipped). */
export function rowsFromCounters(counters: ReadonlyMap<string, number>): OutcomeRow[] {
  const rows = new Map<string, OutcomeRow>();
  for (const [field, value] of counters) {
    const parts = field.split('|');
    if (parts.length !== 6) continue;
    const [day, experiment, variant, segment, placement, code] = parts;
    const metric = METRIC_BY_CODE.get(code);
    if (!metric || !(SEGMENTS as readonly string[]).includes(segment) || !(PLACEMENTS as readonly string[]).includes(placement)) continue;
    const key = parts.slice(0, 5).join('|');
    let row = rows.get(key);
    if (!row) {
      row = { day, experiment, variant, segment: segment as Segment, placement: placement as Placement, ...EMPTY_COUNTS };
      rows.set(key, row);
    }
    row[metric] += value;
  }
  return [...rows.values()];
}

/** Rows with the same key summed, in key order. */
export function mergeOutcomeRows(...lists: ReadonlyArray<readonly OutcomeRow[]>): OutcomeRow[] {
  const rows = new Map<string, OutcomeRow>();
  for (const list of lists) {
    for (const r of list) {
      const key = outcomeKeyText(r);
      const row = rows.get(key);
      if (!row) rows.set(key, { ...r });
      else for (const m of Object.keys(METRIC_CODES) as OutcomeMetric[]) row[m] += r[m];
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}
