/**
 * EventStore, CatalogStore and ModelRegistry over SqlClient: one implementation for PostgreSQL and
 * PGlite. Values always travel as bind parameters (arrays through `unnest` for batches); the only
 * SQL assembled at runtime picks column names from fixed lists.
 *
 * Time: the domain uses epoch milliseconds. Writes send ISO-8601 UTC strings (exact to the ms,
 * independent of the session time zone); reads convert in SQL to epoch ms as float8, so neither
 * driver's Date parsing or time zone is involved.
 */
import { ConflictError, NotFoundError } from '../../errors';
import type { EventType, Item, ItemPatch, StoreEvent } from '../../domain/types';
import type { ModelStatus, ModelVersionRecord } from '../../contracts/versionRecord';
import type { CatalogStore, EventStore, EventVisitor, ModelRegistry } from '../ports';
import { EVENT_TYPES } from '../../domain/types';
import type { SqlClient, SqlExecutor, SqlScalar } from './client';
import { toNullableNumber, toNumber } from './client';

/** Rows per statement for array-parameter inserts: large enough to amortize, small enough for memory. */
const INSERT_BATCH = 10_000;
/** Rows per chunk written to a COPY stream. */
const COPY_CHUNK_ROWS = 2_000;
const DEFAULT_STREAM_BATCH = 5_000;

/** SQL expression turning a timestamptz column into epoch milliseconds (a JS number). */
const epochMs = (column: string): string => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

/** Epoch ms to the ISO-8601 text PostgreSQL parses exactly; throws RangeError on NaN/Infinity. */
export function msToIso(ms: number): string {
  return new Date(ms).toISOString();
}

const msToIsoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : msToIso(ms));

function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

interface EventRow {
  user_id: string;
  item_id: string;
  type: EventType;
  ts_ms: number;
}

const toEvent = (row: EventRow): StoreEvent => ({ userId: row.user_id, itemId: row.item_id, type: row.type, ts: row.ts_ms });

/**
 * `WITH ORDINALITY ... ORDER BY` keeps input order, so ids (the tie-breaker among equal
 * timestamps) follow the order in which the caller listed the events.
 */
const INSERT_EVENTS_SQL = `
  INSERT INTO events (user_id, item_id, type, ts)
  SELECT u.user_id, u.item_id, u.type, u.ts
  FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY
       AS u(user_id, item_id, type, ts, ord)
  ORDER BY u.ord`;

async function insertEventBatches(tx: SqlExecutor, events: readonly StoreEvent[]): Promise<number> {
  let written = 0;
  for (const batch of chunks(events, INSERT_BATCH)) {
    await tx.query(INSERT_EVENTS_SQL, [
      batch.map((e) => e.userId),
      batch.map((e) => e.itemId),
      batch.map((e) => e.type),
      batch.map((e) => msToIso(e.ts)),
    ]);
    written += batch.length;
  }
  return written;
}

/** One CSV field, always quoted: commas, quotes, newlines and backslashes survive; never NULL. */
export function csvField(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

function* eventCsvChunks(events: readonly StoreEvent[]): Generator<string> {
  for (let start = 0; start < events.length; start += COPY_CHUNK_ROWS) {
    const end = Math.min(start + COPY_CHUNK_ROWS, events.length);
    const lines: string[] = [];
    for (let i = start; i < end; i++) {
      const e = events[i]!;
      lines.push(`${csvField(e.userId)},${csvField(e.itemId)},${csvField(e.type)},${msToIso(e.ts)}\n`);
    }
    yield lines.join('');
  }
}

interface PagedEventRow extends EventRow {
  /** bigserial: a string (pg) or bigint/number (PGlite); only passed back as the cursor. */
  id: unknown;
  ts_us: unknown;
}

const STREAM_EVENTS_COLUMNS = `id, user_id, item_id, type, ${epochMs('ts')} AS ts_ms,
  (extract(epoch FROM ts) * 1000000)::int8 AS ts_us`;
const STREAM_EVENTS_FIRST_SQL = `SELECT ${STREAM_EVENTS_COLUMNS} FROM events ORDER BY ts, id LIMIT $1`;
const STREAM_EVENTS_NEXT_SQL = `SELECT ${STREAM_EVENTS_COLUMNS} FROM events
  WHERE (ts, id) > ('epoch'::timestamptz + $1::int8 * interval '1 microsecond', $2::int8)
  ORDER BY ts, id LIMIT $3`;

/** Same order and timestamps as streamEvents (epoch ms, floored), as COPY text rows. */
const SCAN_EVENTS_COPY_SQL = `COPY (SELECT user_id, item_id, type, floor(extract(epoch FROM ts) * 1000)::int8
  FROM events ORDER BY ts, id) TO STDOUT`;

/**
 * One sequential scan and one sort beat walking the (ts, id) index: the events were written in
 * import order, so the index scan visits heap pages at random. JIT only adds compile time here.
 */
const SCAN_SETTINGS = { enable_indexscan: 'off', enable_indexonlyscan: 'off', jit: 'off', work_mem: '512MB' };

const TAB = 9;
const NL = 10;
const BACKSLASH = 92;

/** Undoes COPY text escaping (\\, \t, \n, \r, \b, \f, \v, octal \NNN, hex \xHH) in one field. */
function unescapeCopyText(raw: Buffer): string {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== BACKSLASH || i + 1 >= raw.length) {
      out.push(c);
      continue;
    }
    const n = raw[++i]!;
    const simple: Record<number, number> = { 98: 8, 102: 12, 110: 10, 114: 13, 116: 9, 118: 11 };
    if (simple[n] !== undefined) out.push(simple[n]!);
    else if (n === 120) {
      let v = 0;
      let d = 0;
      while (d < 2 && i + 1 < raw.length && /[0-9a-fA-F]/.test(String.fromCharCode(raw[i + 1]!))) {
        v = v * 16 + parseInt(String.fromCharCode(raw[++i]!), 16);
        d++;
      }
      out.push(v);
    } else if (n >= 48 && n <= 55) {
      let v = n - 48;
      for (let d = 0; d < 2 && i + 1 < raw.length && raw[i + 1]! >= 48 && raw[i + 1]! <= 55; d++) v = v * 8 + (raw[++i]! - 48);
      out.push(v);
    } else out.push(n);
  }
  return Buffer.from(out).toString('utf8');
}

/**
 * Decodes the text-format rows of SCAN_EVENTS_COPY_SQL straight from the byte chunks (a row may
 * span chunks): two id strings per row, the type by its first byte, the timestamp digit by digit.
 */
export class CopyEventDecoder {
  private rest: Buffer | null = null;
  private count = 0;
  constructor(private readonly visit: EventVisitor) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0) break;
      this.row(buf, start, nl);
      start = nl + 1;
    }
    if (start < buf.length) this.rest = Buffer.from(buf.subarray(start));
  }

  end(): number {
    if (this.rest && this.rest.length) throw new Error('COPY output ended inside a row');
    return this.count;
  }

  private field(buf: Buffer, a: number, b: number): string {
    for (let i = a; i < b; i++) if (buf[i] === BACKSLASH) return unescapeCopyText(buf.subarray(a, b));
    return buf.toString('utf8', a, b);
  }

  private row(buf: Buffer, a: number, b: number): void {
    const t1 = buf.indexOf(TAB, a);
    const t2 = t1 < 0 ? -1 : buf.indexOf(TAB, t1 + 1);
    const t3 = t2 < 0 ? -1 : buf.indexOf(TAB, t2 + 1);
    if (t3 < 0 || t3 >= b) throw new Error(`unexpected COPY row: ${buf.toString('utf8', a, b)}`);
    const userId = this.field(buf, a, t1);
    const itemId = this.field(buf, t1 + 1, t2);
    // view, fav, cart, purchase: the first byte tells them apart.
    const c = buf[t2 + 1];
    const type = c === 118 ? 0 : c === 102 ? 1 : c === 99 ? 2 : c === 112 ? 3 : -1;
    if (type < 0 || (EVENT_TYPES as readonly string[])[type]!.length !== t3 - t2 - 1)
      throw new Error(`unknown event type in COPY row: ${buf.toString('utf8', a, b)}`);
    let p = t3 + 1;
    let neg = false;
    if (buf[p] === 45) {
      neg = true;
      p++;
    }
    let ts = 0;
    for (; p < b; p++) ts = ts * 10 + (buf[p]! - 48);
    this.count++;
    this.visit(userId, itemId, type, neg ? -ts : ts);
  }
}

export class SqlEventStore implements EventStore {
  constructor(private readonly sql: SqlClient) {}

  async insertEvents(events: StoreEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    return this.sql.transaction((tx) => insertEventBatches(tx, events));
  }

  async bulkInsertEvents(events: StoreEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    if (this.sql.copyFrom) {
      // Rows are formatted lazily while streaming; a bad timestamp mid-way aborts the COPY, and an
      // aborted COPY (one statement) leaves nothing behind.
      const copied = await this.sql.copyFrom(
        "COPY events (user_id, item_id, type, ts) FROM STDIN WITH (FORMAT csv, ENCODING 'UTF8')",
        eventCsvChunks(events),
      );
      return copied;
    }
    return this.sql.transaction((tx) => insertEventBatches(tx, events));
  }

  async *streamEvents(batchSize = DEFAULT_STREAM_BATCH): AsyncIterable<StoreEvent[]> {
    const limit = Math.max(1, Math.floor(batchSize));
    // Keyset on (ts, id): the cursor carries ts in exact microseconds so rows with sub-ms
    // timestamps written by other tools are neither skipped nor repeated.
    let cursor: { tsMicros: string; id: string } | null = null;
    for (;;) {
      const page: PagedEventRow[] = cursor
        ? (await this.sql.query<PagedEventRow>(STREAM_EVENTS_NEXT_SQL, [cursor.tsMicros, cursor.id, limit])).rows
        : (await this.sql.query<PagedEventRow>(STREAM_EVENTS_FIRST_SQL, [limit])).rows;
      const last = page[page.length - 1];
      if (!last) return;
      cursor = { tsMicros: String(last.ts_us), id: String(last.id) };
      yield page.map(toEvent);
      if (page.length < limit) return;
    }
  }

  async scanEvents(visit: EventVisitor): Promise<number> {
    if (!this.sql.copyTo) {
      // PGlite: the keyset pages, converted field by field.
      let n = 0;
      for await (const page of this.streamEvents(50_000)) {
        for (const e of page) visit(e.userId, e.itemId, EVENT_TYPES.indexOf(e.type), e.ts);
        n += page.length;
      }
      return n;
    }
    const decoder = new CopyEventDecoder(visit);
    for await (const chunk of this.sql.copyTo(SCAN_EVENTS_COPY_SQL, SCAN_SETTINGS)) decoder.push(chunk);
    return decoder.end();
  }

  async countEvents(): Promise<number> {
    const { rows } = await this.sql.query<{ n: unknown }>('SELECT count(*) AS n FROM events');
    return toNumber(rows[0]!.n);
  }

  async recentEventsForUser(userId: string, limit: number): Promise<StoreEvent[]> {
    const { rows } = await this.sql.query<EventRow>(
      `SELECT user_id, item_id, type, ${epochMs('ts')} AS ts_ms
       FROM events WHERE user_id = $1
       ORDER BY ts DESC, id DESC
       LIMIT $2`,
      [userId, Math.max(0, Math.floor(limit))],
    );
    return rows.map(toEvent);
  }

  async latestEventTime(): Promise<number | null> {
    const { rows } = await this.sql.query<{ ts_ms: number | null }>(`SELECT ${epochMs('max(ts)')} AS ts_ms FROM events`);
    return rows[0]?.ts_ms ?? null;
  }
}

// ---------------------------------------------------------------------------------------------
// Catalogue
// ---------------------------------------------------------------------------------------------

interface ItemRow {
  item_id: string;
  category: string | null;
  available: boolean;
  price: number | null;
  created_ms: number | null;
}

/**
 * `createdAt` falls back to first_seen (when the item first appeared in events): catalogues often
 * lack a creation date and "new arrivals" still needs one.
 */
const ITEM_COLUMNS = `item_id, category, available, price::float8 AS price,
  ${epochMs('COALESCE(created_at, first_seen)')} AS created_ms`;

const toItem = (row: ItemRow): Item => ({
  itemId: row.item_id,
  category: row.category,
  available: row.available,
  price: toNullableNumber(row.price),
  createdAt: row.created_ms,
});

/** The patchable columns, their array type for unnest, and how a patch value is sent. */
const PATCH_FIELDS = [
  { field: 'category', column: 'category', arrayType: 'text[]', encode: (p: ItemPatch): SqlScalar => p.category ?? null },
  { field: 'available', column: 'available', arrayType: 'boolean[]', encode: (p: ItemPatch): SqlScalar => p.available ?? null },
  { field: 'price', column: 'price', arrayType: 'numeric[]', encode: (p: ItemPatch): SqlScalar => p.price ?? null },
  { field: 'createdAt', column: 'created_at', arrayType: 'timestamptz[]', encode: (p: ItemPatch): SqlScalar => msToIsoOrNull(p.createdAt) },
] as const;

type PatchField = (typeof PATCH_FIELDS)[number];

/** Later patches of the same item override earlier ones field by field, as if applied in order. */
function mergePatches(patches: readonly ItemPatch[]): ItemPatch[] {
  const merged = new Map<string, ItemPatch>();
  for (const patch of patches) {
    const current = merged.get(patch.itemId) ?? { itemId: patch.itemId };
    for (const { field } of PATCH_FIELDS) {
      // `undefined` means "absent"; `null` is a value (clears the field).
      if (patch[field] !== undefined) Object.assign(current, { [field]: patch[field] });
    }
    merged.set(patch.itemId, current);
  }
  return [...merged.values()];
}

/**
 * One statement per set of present fields: the column list comes from PATCH_FIELDS only, values
 * are arrays bound to parameters. Absent columns take their defaults on insert and stay unchanged
 * on update.
 */
function upsertStatement(fields: readonly PatchField[]): string {
  const columns = fields.map((f) => f.column);
  const unnestArgs = ['$1::text[]', ...fields.map((f, i) => `$${i + 2}::${f.arrayType}`)].join(', ');
  const insertColumns = ['item_id', ...columns, 'updated_at'].join(', ');
  const selectColumns = ['u.item_id', ...columns.map((c) => `u.${c}`), 'now()'].join(', ');
  const updates = [...columns.map((c) => `${c} = EXCLUDED.${c}`), 'updated_at = now()'].join(', ');
  return `
    INSERT INTO items (${insertColumns})
    SELECT ${selectColumns}
    FROM unnest(${unnestArgs}) AS u(item_id${columns.map((c) => `, ${c}`).join('')})
    ON CONFLICT (item_id) DO UPDATE SET ${updates}`;
}

export class SqlCatalogStore implements CatalogStore {
  constructor(private readonly sql: SqlClient) {}

  async upsertItems(patches: ItemPatch[]): Promise<number> {
    const merged = mergePatches(patches);
    if (merged.length === 0) return 0;
    // Group by which fields are present (at most 16 shapes) so each group is one statement.
    const groups = new Map<string, { fields: PatchField[]; patches: ItemPatch[] }>();
    for (const patch of merged) {
      const fields = PATCH_FIELDS.filter((f) => patch[f.field] !== undefined);
      const key = fields.map((f) => f.field).join(',');
      const group = groups.get(key) ?? { fields, patches: [] };
      group.patches.push(patch);
      groups.set(key, group);
    }
    await this.sql.transaction(async (tx) => {
      for (const { fields, patches: groupPatches } of groups.values()) {
        const statement = upsertStatement(fields);
        for (const batch of chunks(groupPatches, INSERT_BATCH)) {
          await tx.query(statement, [batch.map((p) => p.itemId), ...fields.map((f) => batch.map(f.encode))]);
        }
      }
    });
    return merged.length;
  }

  /** Returns how many items were new to the catalogue. */
  async ensureItems(items: Array<{ itemId: string; category?: string | null; firstSeen?: number | null }>): Promise<number> {
    // Merge duplicates first: ON CONFLICT cannot touch one row twice in a statement.
    const merged = new Map<string, { category: string | null; firstSeen: number | null }>();
    for (const item of items) {
      const prev = merged.get(item.itemId);
      const category = prev?.category ?? item.category ?? null;
      const seen = [prev?.firstSeen, item.firstSeen].filter((t): t is number => typeof t === 'number');
      merged.set(item.itemId, { category, firstSeen: seen.length ? Math.min(...seen) : null });
    }
    if (merged.size === 0) return 0;
    const entries = [...merged.entries()];
    return this.sql.transaction(async (tx) => {
      let inserted = 0;
      for (const batch of chunks(entries, INSERT_BATCH)) {
        // Known items only gain what they lack: a category when theirs is NULL, an earlier
        // first_seen. `xmax = 0` is true exactly for rows this statement inserted.
        const { rows } = await tx.query<{ inserted: boolean }>(
          `INSERT INTO items AS i (item_id, category, first_seen)
           SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
           ON CONFLICT (item_id) DO UPDATE SET
             category = COALESCE(i.category, EXCLUDED.category),
             first_seen = LEAST(i.first_seen, EXCLUDED.first_seen),
             updated_at = now()
           WHERE (i.category IS NULL AND EXCLUDED.category IS NOT NULL)
              OR (EXCLUDED.first_seen IS NOT NULL AND (i.first_seen IS NULL OR EXCLUDED.first_seen < i.first_seen))
           RETURNING (xmax = 0) AS inserted`,
          [batch.map(([id]) => id), batch.map(([, v]) => v.category), batch.map(([, v]) => msToIsoOrNull(v.firstSeen))],
        );
        inserted += rows.filter((r) => r.inserted).length;
      }
      return inserted;
    });
  }

  async getItem(itemId: string): Promise<Item | null> {
    const { rows } = await this.sql.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items WHERE item_id = $1`, [itemId]);
    return rows[0] ? toItem(rows[0]) : null;
  }

  async *streamItems(batchSize = DEFAULT_STREAM_BATCH): AsyncIterable<Item[]> {
    const limit = Math.max(1, Math.floor(batchSize));
    let after: string | null = null;
    for (;;) {
      const page: ItemRow[] =
        after === null
          ? (await this.sql.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items ORDER BY item_id LIMIT $1`, [limit])).rows
          : (
              await this.sql.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items WHERE item_id > $1 ORDER BY item_id LIMIT $2`, [
                after,
                limit,
              ])
            ).rows;
      const last = page[page.length - 1];
      if (!last) return;
      after = last.item_id;
      yield page.map(toItem);
      if (page.length < limit) return;
    }
  }

  async countItems(): Promise<number> {
    const { rows } = await this.sql.query<{ n: unknown }>('SELECT count(*) AS n FROM items');
    return toNumber(rows[0]!.n);
  }
}

// ---------------------------------------------------------------------------------------------
// Model registry
// ---------------------------------------------------------------------------------------------

interface ModelRow {
  version: string;
  created_ms: number;
  status: ModelStatus;
  metrics: ModelVersionRecord['metrics'];
  timings: Record<string, number>;
  manifest: Record<string, unknown>;
  published_ms: number | null;
}

const MODEL_COLUMNS = `version, ${epochMs('created_at')} AS created_ms, status, metrics, timings, manifest,
  ${epochMs('published_at')} AS published_ms`;

const toModel = (row: ModelRow): ModelVersionRecord => ({
  version: row.version,
  createdAt: row.created_ms,
  status: row.status,
  metrics: row.metrics,
  timings: row.timings,
  manifest: row.manifest,
  publishedAt: row.published_ms,
});

/** Serializes markLive across connections and processes (arbitrary, fixed). */
const MARK_LIVE_LOCK_KEY = 7_312_004_102;

export class SqlModelRegistry implements ModelRegistry {
  constructor(private readonly sql: SqlClient) {}

  async create(version: string, createdAt: number): Promise<void> {
    const { rows } = await this.sql.query<{ version: string }>(
      `INSERT INTO model_versions (version, created_at, status) VALUES ($1, $2::timestamptz, 'training')
       ON CONFLICT (version) DO NOTHING RETURNING version`,
      [version, msToIso(createdAt)],
    );
    if (rows.length === 0) throw new ConflictError(`model version '${version}' already exists`, { version });
  }

  async update(
    version: string,
    patch: Partial<Pick<ModelVersionRecord, 'status' | 'metrics' | 'timings' | 'manifest' | 'publishedAt'>>,
  ): Promise<void> {
    // A static statement: each column has a "present" flag, so absent fields keep their value and
    // publishedAt can still be cleared with an explicit null.
    const has = (value: unknown): boolean => value !== undefined;
    const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
    const { rows } = await this.sql.query<{ version: string }>(
      `UPDATE model_versions SET
         status       = CASE WHEN $2::boolean  THEN $3::text ELSE status END,
         metrics      = CASE WHEN $4::boolean  THEN $5::jsonb ELSE metrics END,
         timings      = CASE WHEN $6::boolean  THEN $7::jsonb ELSE timings END,
         manifest     = CASE WHEN $8::boolean  THEN $9::jsonb ELSE manifest END,
         published_at = CASE WHEN $10::boolean THEN $11::timestamptz ELSE published_at END
       WHERE version = $1
       RETURNING version`,
      [
        version,
        has(patch.status),
        patch.status ?? null,
        has(patch.metrics),
        json(patch.metrics),
        has(patch.timings),
        json(patch.timings),
        has(patch.manifest),
        json(patch.manifest),
        has(patch.publishedAt),
        msToIsoOrNull(patch.publishedAt),
      ],
    );
    if (rows.length === 0) throw new NotFoundError('model version', version);
  }

  async get(version: string): Promise<ModelVersionRecord | null> {
    const { rows } = await this.sql.query<ModelRow>(`SELECT ${MODEL_COLUMNS} FROM model_versions WHERE version = $1`, [version]);
    return rows[0] ? toModel(rows[0]) : null;
  }

  async list(limit?: number): Promise<ModelVersionRecord[]> {
    const { rows } = await this.sql.query<ModelRow>(
      `SELECT ${MODEL_COLUMNS} FROM model_versions ORDER BY created_at DESC, version DESC LIMIT $1`,
      [limit === undefined ? null : Math.max(0, Math.floor(limit))],
    );
    return rows.map(toModel);
  }

  async markLive(version: string, publishedAt: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      // Without the lock two concurrent publishers would both retire the old version and then
      // collide on the one-live index; with it the second simply wins after the first.
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MARK_LIVE_LOCK_KEY]);
      const { rows } = await tx.query<{ version: string }>('SELECT version FROM model_versions WHERE version = $1 FOR UPDATE', [version]);
      if (rows.length === 0) throw new NotFoundError('model version', version);
      await tx.query("UPDATE model_versions SET status = 'retired' WHERE status = 'live' AND version <> $1", [version]);
      await tx.query("UPDATE model_versions SET status = 'live', published_at = $2::timestamptz WHERE version = $1", [
        version,
        msToIso(publishedAt),
      ]);
    });
  }

  async live(): Promise<ModelVersionRecord | null> {
    const { rows } = await this.sql.query<ModelRow>(`SELECT ${MODEL_COLUMNS} FROM model_versions WHERE status = 'live'`);
    return rows[0] ? toModel(rows[0]) : null;
  }

  async remove(version: string): Promise<void> {
    const { rows } = await this.sql.query<{ status: string }>(
      `DELETE FROM model_versions WHERE version = $1 AND status <> 'live' RETURNING status`,
      [version],
    );
    if (rows.length === 0 && (await this.get(version))) {
      throw new ConflictError(`model version '${version}' is live and cannot be removed`, { version });
    }
  }

  async withStatus(status: ModelStatus): Promise<ModelVersionRecord[]> {
    const { rows } = await this.sql.query<ModelRow>(
      `SELECT ${MODEL_COLUMNS} FROM model_versions WHERE status = $1 ORDER BY created_at DESC, version DESC`,
      [status],
    );
    return rows.map(toModel);
  }
}
