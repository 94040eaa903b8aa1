/**
 * Versioned schema migrations. Append new entries; never edit an applied one. Each migration runs
 * in its own transaction together with its `schema_migrations` row, so a crash leaves the schema
 * at a well-defined version.
 */
import { moduleLogger } from '../../observability/logger';
import type { SqlClient, SqlExecutor } from './client';
import { toNumber } from './client';

// Resolved per use: the CLI configures the root logger after modules are loaded.
const log = () => moduleLogger('storage');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events',
    sql: `
      CREATE TABLE events (
        id      bigserial PRIMARY KEY,
        user_id text NOT NULL,
        item_id text NOT NULL,
        type    text NOT NULL CHECK (type IN ('view', 'fav', 'cart', 'purchase')),
        ts      timestamptz NOT NULL
      );
      -- recentEventsForUser
      CREATE INDEX events_user_ts_idx ON events (user_id, ts DESC);
      -- streamEvents keyset pagination and latestEventTime
      CREATE INDEX events_ts_id_idx ON events (ts, id);
    `,
  },
  {
    version: 2,
    name: 'items',
    sql: `
      CREATE TABLE items (
        item_id    text PRIMARY KEY,
        category   text NULL,
        available  boolean NOT NULL DEFAULT true,
        price      numeric NULL,
        created_at timestamptz NULL,
        first_seen timestamptz NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 3,
    name: 'model_versions',
    sql: `
      CREATE TABLE model_versions (
        version      text PRIMARY KEY,
        created_at   timestamptz NOT NULL,
        status       text NOT NULL
                     CHECK (status IN ('training', 'ready', 'publishing', 'live', 'retired', 'rejected', 'failed')),
        metrics      jsonb NOT NULL DEFAULT '{}'::jsonb,
        timings      jsonb NOT NULL DEFAULT '{}'::jsonb,
        manifest     jsonb NOT NULL DEFAULT '{}'::jsonb,
        published_at timestamptz NULL
      );
      -- At most one live version, enforced by the database rather than by callers.
      CREATE UNIQUE INDEX model_versions_one_live_idx ON model_versions ((status)) WHERE status = 'live';
      CREATE INDEX model_versions_created_idx ON model_versions (created_at DESC, version DESC);
    `,
  },
  {
    version: 4,
    name: 'growth',
    sql: `
      -- The outcome ledger: one row per day x experiment x variant x segment x placement.
      CREATE TABLE outcomes (
        day         date NOT NULL,
        experiment  text NOT NULL,
        variant     text NOT NULL,
        segment     text NOT NULL,
        placement   text NOT NULL,
        impressions bigint NOT NULL DEFAULT 0,
        clicks      bigint NOT NULL DEFAULT 0,
        purchases   bigint NOT NULL DEFAULT 0,
        revenue     double precision NOT NULL DEFAULT 0,
        revenue_sq  double precision NOT NULL DEFAULT 0,
        PRIMARY KEY (day, experiment, variant, segment, placement)
      );
      -- Batches of cache counters already added: a flush repeated after a crash adds nothing twice.
      CREATE TABLE outcome_batches (
        batch_id  text PRIMARY KEY,
        stored_at timestamptz NOT NULL DEFAULT now()
      );
      -- Each shopper's segment per model version, for segment movement between versions.
      CREATE TABLE user_segments (
        version text NOT NULL,
        user_id text NOT NULL,
        segment text NOT NULL,
        PRIMARY KEY (version, user_id)
      );
    `,
  },
];

/** Advisory lock key serializing migrations across processes (arbitrary, fixed). */
export const MIGRATION_LOCK_KEY = 7_312_004_101;

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

/** Checks the list is strictly increasing from 1 without gaps (a programming error otherwise). */
export function assertMigrationsOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, index) => {
    if (m.version !== index + 1) {
      throw new Error(`migration #${index} has version ${m.version}, expected ${index + 1}`);
    }
  });
}

async function isApplied(tx: SqlExecutor, version: number): Promise<boolean> {
  const { rows } = await tx.query<{ found: number }>('SELECT 1 AS found FROM schema_migrations WHERE version = $1', [version]);
  return rows.length > 0;
}

/** Applies pending migrations in order; returns the versions this call applied. */
export async function migrate(client: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  assertMigrationsOrdered(migrations);
  const applied: number[] = [];
  for (const migration of migrations) {
    const didApply = await client.transaction(async (tx) => {
      if (client.kind === 'postgres') {
        // Another process migrating at the same time waits here, then sees our rows and skips.
        // Taken before CREATE TABLE IF NOT EXISTS, which itself races between sessions.
        await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      }
      await tx.exec(CREATE_MIGRATIONS_TABLE);
      if (await isApplied(tx, migration.version)) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      return true;
    });
    if (didApply) {
      applied.push(migration.version);
      log().info({ version: migration.version, name: migration.name }, 'applied migration');
    }
  }
  return applied;
}

/** The highest applied version, 0 when the database was never migrated. */
export async function schemaVersion(client: SqlClient): Promise<number> {
  const { rows: exists } = await client.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!exists[0]?.present) return 0;
  const { rows } = await client.query<{ version: unknown }>('SELECT COALESCE(max(version), 0) AS version FROM schema_migrations');
  return toNumber(rows[0]?.version ?? 0);
}
