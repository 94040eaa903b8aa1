/** The outcome ledger's table: rows added by batch, each batch at most once. */
import type { OutcomeRow } from '../../contracts/outcomes';
import type { Placement, Segment } from '../../domain/types';
import type { OutcomeStore } from '../ports';
import { type SqlClient, toNumber } from './client';

/** Batch ids older than this are forgotten: a pending cache batch expires long before. */
const BATCH_MEMORY_DAYS = 30;

const ADD_ROWS_SQL = `
  INSERT INTO outcomes AS o (day, experiment, variant, segment, placement, impressions, clicks, purchases, revenue, revenue_sq)
  SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[],
                       $9::float8[], $10::float8[])
  ON CONFLICT (day, experiment, variant, segment, placement) DO UPDATE SET
    impressions = o.impressions + EXCLUDED.impressions,
    clicks      = o.clicks + EXCLUDED.clicks,
    purchases   = o.purchases + EXCLUDED.purchases,
    revenue     = o.revenue + EXCLUDED.revenue,
    revenue_sq  = o.revenue_sq + EXCLUDED.revenue_sq`;

interface OutcomeDbRow {
  day: string | Date;
  experiment: string;
  variant: string;
  segment: string;
  placement: string;
  impressions: unknown;
  clicks: unknown;
  purchases: unknown;
  revenue: unknown;
  revenue_sq: unknown;
}

export class SqlOutcomeStore implements OutcomeStore {
  constructor(private readonly sql: SqlClient) {}

  async addBatch(batchId: string, rows: readonly OutcomeRow[]): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const claimed = await tx.query<{ batch_id: string }>(
        'INSERT INTO outcome_batches (batch_id) VALUES ($1) ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id',
        [batchId],
      );
      if (claimed.rows.length === 0) return false;
      if (rows.length > 0) {
        await tx.query(ADD_ROWS_SQL, [
          rows.map((r) => r.day),
          rows.map((r) => r.experiment),
          rows.map((r) => r.variant),
          rows.map((r) => r.segment),
          rows.map((r) => r.placement),
          rows.map((r) => r.impressions),
          rows.map((r) => r.clicks),
          rows.map((r) => r.purchases),
          rows.map((r) => r.revenue),
          rows.map((r) => r.revenueSq),
        ]);
      }
      await tx.query(`DELETE FROM outcome_batches WHERE stored_at < now() - make_interval(days => $1::int)`, [BATCH_MEMORY_DAYS]);
      return true;
    });
  }

  async hasBatch(batchId: string): Promise<boolean> {
    const { rows } = await this.sql.query<{ found: number }>('SELECT 1 AS found FROM outcome_batches WHERE batch_id = $1', [batchId]);
    return rows.length > 0;
  }

  async rows(range: { from?: string; to?: string } = {}): Promise<OutcomeRow[]> {
    const { rows } = await this.sql.query<OutcomeDbRow>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, experiment, variant, segment, placement, impressions, clicks, purchases, revenue, revenue_sq
         FROM outcomes
        WHERE ($1::date IS NULL OR day >= $1::date) AND ($2::date IS NULL OR day <= $2::date)
        ORDER BY day, experiment, variant, segment, placement`,
      [range.from ?? null, range.to ?? null],
    );
    return rows.map((r) => ({
      day: String(r.day),
      experiment: r.experiment,
      variant: r.variant,
      segment: r.segment as Segment,
      placement: r.placement as Placement,
      impressions: toNumber(r.impressions),
      clicks: toNumber(r.clicks),
      purchases: toNumber(r.purchases),
      revenue: Number(r.revenue),
      revenueSq: Number(r.revenue_sq),
    }));
  }
}
