/** Each shopper's segment per model version (bulk-loaded by the trainer), and segment movement. */
import { SEGMENTS, type Segment } from '../../domain/types';
import type { SegmentStore } from '../ports';
import { type SqlClient, type SqlExecutor, toNumber } from './client';
import { csvField } from './stores';

const INSERT_BATCH = 5000;

const emptyCounts = (): Record<Segment, number> => Object.fromEntries(SEGMENTS.map((s) => [s, 0])) as Record<Segment, number>;

export class SqlSegmentStore implements SegmentStore {
  constructor(private readonly sql: SqlClient) {}

  async write(version: string, rows: Iterable<readonly [userId: string, segment: Segment]>): Promise<number> {
    await this.remove(version);
    if (this.sql.copyFrom) {
      // COPY is one statement: a failure leaves no partial snapshot.
      return this.sql.copyFrom(
        "COPY user_segments (version, user_id, segment) FROM STDIN WITH (FORMAT csv, ENCODING 'UTF8')",
        csvChunks(version, rows),
      );
    }
    return this.sql.transaction((tx) => insertBatches(tx, version, rows));
  }

  async sizes(version: string): Promise<Record<Segment, number>> {
    const { rows } = await this.sql.query<{ segment: string; n: unknown }>(
      'SELECT segment, count(*) AS n FROM user_segments WHERE version = $1 GROUP BY segment',
      [version],
    );
    const out = emptyCounts();
    for (const r of rows) if (r.segment in out) out[r.segment as Segment] = toNumber(r.n);
    return out;
  }

  async transitions(from: string, to: string): Promise<Record<Segment, Record<Segment, number>>> {
    const { rows } = await this.sql.query<{ a: string; b: string; n: unknown }>(
      `SELECT p.segment AS a, c.segment AS b, count(*) AS n
         FROM user_segments p JOIN user_segments c ON c.user_id = p.user_id AND c.version = $2
        WHERE p.version = $1
        GROUP BY p.segment, c.segment`,
      [from, to],
    );
    const out = Object.fromEntries(SEGMENTS.map((s) => [s, emptyCounts()])) as Record<Segment, Record<Segment, number>>;
    for (const r of rows) if (r.a in out && r.b in out) out[r.a as Segment][r.b as Segment] = toNumber(r.n);
    return out;
  }

  async retention(version: string, since: number): Promise<Record<Segment, { users: number; retained: number }>> {
    const { rows } = await this.sql.query<{ segment: string; users: unknown; retained: unknown }>(
      `SELECT s.segment, count(*) AS users,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM events e WHERE e.user_id = s.user_id AND e.ts > $2::timestamptz)) AS retained
         FROM user_segments s
        WHERE s.version = $1
        GROUP BY s.segment`,
      [version, new Date(since).toISOString()],
    );
    const out = Object.fromEntries(SEGMENTS.map((s) => [s, { users: 0, retained: 0 }])) as Record<
      Segment,
      { users: number; retained: number }
    >;
    for (const r of rows) if (r.segment in out) out[r.segment as Segment] = { users: toNumber(r.users), retained: toNumber(r.retained) };
    return out;
  }

  async remove(version: string): Promise<void> {
    await this.sql.query('DELETE FROM user_segments WHERE version = $1', [version]);
  }
}

function* csvChunks(version: string, rows: Iterable<readonly [string, Segment]>): Generator<string> {
  let lines: string[] = [];
  const v = csvField(version);
  for (const [userId, segment] of rows) {
    lines.push(`${v},${csvField(userId)},${segment}\n`);
    if (lines.length >= INSERT_BATCH) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length) yield lines.join('');
}

async function insertBatches(tx: SqlExecutor, version: string, rows: Iterable<readonly [string, Segment]>): Promise<number> {
  let written = 0;
  let users: string[] = [];
  let segments: string[] = [];
  const flush = async () => {
    if (!users.length) return;
    await tx.query('INSERT INTO user_segments (version, user_id, segment) SELECT $1, * FROM unnest($2::text[], $3::text[])', [
      version,
      users,
      segments,
    ]);
    written += users.length;
    users = [];
    segments = [];
  };
  for (const [userId, segment] of rows) {
    users.push(userId);
    segments.push(segment);
    if (users.length >= INSERT_BATCH) await flush();
  }
  await flush();
  return written;
}
