/**
 * The growth report: model versions with their segment sizes, how shoppers moved between the
 * segments of the previous and the live version (transition matrix, retention, activation,
 * win-back, churn), the outcome ledger per day x experiment x variant x segment x placement, and
 * each experiment's variants against control with 95% intervals.
 */
import type { Database } from '../storage/ports';
import type { Policy } from '../config/policy';
import { SEGMENTS, type Segment } from '../domain/types';
import type { ModelVersionRecord } from '../contracts/versionRecord';
import type { OutcomeRow } from '../contracts/outcomes';
import type { OutcomeLedger } from '../experiments/ledger';
import { experimentReports } from '../experiments/service';
import { rates, type Difference } from '../experiments/stats';

const ENGAGED: readonly Segment[] = ['active', 'paying', 'high_value'];
const LAPSING: readonly Segment[] = ['at_risk', 'churned'];

export interface Movement {
  users: number;
  retained: number;
  rate: number;
  /** new -> active, paying or high_value (for `new` only). */
  activation?: number;
  /** at_risk or churned -> active, paying or high_value (for those two). */
  winBack?: number;
  /** -> at_risk or churned (for the others). */
  churn?: number;
}

export interface GrowthReport {
  range: { from: string | null; to: string | null };
  versions: Array<{
    version: string;
    status: string;
    trainedAt: string;
    dataNow: string | null;
    segments: Partial<Record<Segment, number>>;
  }>;
  transitions: { from: string; to: string; counts: Record<Segment, Record<Segment, number>> } | null;
  retention: Partial<Record<Segment, Movement>>;
  outcomes: Array<OutcomeRow & { ctr: number; conversion: number; revenuePerThousand: number }>;
  experiments: Array<{
    name: string;
    segments: Segment[] | null;
    tags: Record<string, string> | null;
    placement: string | null;
    start: string | null;
    stop: string | null;
    control: string;
    variants: Array<{ variant: string; ctr: Difference; conversion: Difference; revenuePerThousand: Difference }>;
  }>;
  /** False when the cache could not be read: counters not yet flushed are missing. */
  complete: boolean;
}

/** Published versions, oldest first. */
function publishedVersions(records: ModelVersionRecord[]): ModelVersionRecord[] {
  return records
    .filter((m) => m.status === 'live' || m.status === 'retired')
    .sort((a, b) => a.createdAt - b.createdAt || (a.version < b.version ? -1 : 1));
}

/** The version's "now" (its newest event), from its manifest. */
function dataNow(m: ModelVersionRecord): number | null {
  const now = Date.parse(String(m.manifest.now ?? ''));
  return Number.isFinite(now) ? now : null;
}

export class GrowthService {
  constructor(
    private readonly db: Database,
    private readonly ledger: OutcomeLedger,
    private readonly policy: Policy,
  ) {}

  async report(range: { from?: string; to?: string } = {}): Promise<GrowthReport> {
    const published = publishedVersions(await this.db.models.list(1000));
    const versions = published.map((m) => ({
      version: m.version,
      status: m.status,
      trainedAt: new Date(m.createdAt).toISOString(),
      dataNow: dataNow(m) === null ? null : new Date(dataNow(m)!).toISOString(),
      segments: m.metrics.segments ?? {},
    }));
    const live = published.find((m) => m.status === 'live');
    // The version the live one replaced: the retired one published last.
    const previous = published.filter((m) => m.status === 'retired').sort((a, b) => (b.publishedAt ?? 0) - (a.publishedAt ?? 0))[0];
    let transitions: GrowthReport['transitions'] = null;
    const retention: GrowthReport['retention'] = {};
    if (live && previous) {
      const counts = await this.db.segments.transitions(previous.version, live.version);
      transitions = { from: previous.version, to: live.version, counts };
      const since = dataNow(previous) ?? previous.createdAt;
      const kept = await this.db.segments.retention(previous.version, since);
      for (const a of SEGMENTS) {
        const { users, retained } = kept[a];
        if (!users) continue;
        const share = (targets: readonly Segment[]) => targets.reduce((n, b) => n + counts[a][b], 0) / users;
        const m: Movement = { users, retained, rate: retained / users };
        if (a === 'new') m.activation = share(ENGAGED);
        else if (LAPSING.includes(a)) m.winBack = share(ENGAGED);
        if (!LAPSING.includes(a)) m.churn = share(LAPSING);
        retention[a] = m;
      }
    }
    const { rows, complete } = await this.ledger.rows(range);
    const outcomes = rows.map((r) => ({ ...r, ...rates(r) }));
    const experiments = experimentReports(rows, this.policy).experiments.map((e) => ({
      name: e.name,
      segments: e.config?.segments ?? null,
      tags: e.config?.tags ?? null,
      placement: e.config?.placement ?? null,
      start: e.config?.start ?? null,
      stop: e.config?.stop ?? null,
      control: e.control,
      variants: e.variants
        .filter((v) => v.vsControl)
        .map((v) => ({
          variant: v.variant,
          ctr: v.vsControl!.ctr,
          conversion: v.vsControl!.conversion,
          revenuePerThousand: v.vsControl!.revenuePerThousand,
        })),
    }));
    return { range: { from: range.from ?? null, to: range.to ?? null }, versions, transitions, retention, outcomes, experiments, complete };
  }
}

const CSV_COLUMNS = [
  'day',
  'experiment',
  'variant',
  'segment',
  'placement',
  'impressions',
  'clicks',
  'purchases',
  'revenue',
  'ctr',
  'conversion',
  'revenuePerThousand',
] as const;

/** The outcome rows as CSV (RFC 4180, a header line first). */
export function outcomesCsv(outcomes: GrowthReport['outcomes']): string {
  const cell = (v: unknown) => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [CSV_COLUMNS.join(','), ...outcomes.map((r) => CSV_COLUMNS.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
