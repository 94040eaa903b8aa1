/**
 * Opens the relational database: PostgreSQL when a URL is given, otherwise embedded PGlite
 * persisted under `<dataDir>/pglite` (or in memory for tests and one-off runs).
 */
import { mkdir } from 'fs/promises';
import { join } from 'path';
import type { Database } from './ports';
import type { SqlClient } from './sql/client';
import { migrate, schemaVersion } from './sql/migrations';
import { PgSqlClient } from './sql/pgClient';
import { PgliteSqlClient } from './sql/pgliteClient';
import { SqlCatalogStore, SqlEventStore, SqlModelRegistry } from './sql/stores';
import { SqlOutcomeStore } from './sql/outcomeStore';
import { SqlSegmentStore } from './sql/segmentStore';
import { fnv1a32 } from '../util/hash';

/** First key of this product's named advisory locks (the second is a hash of the name). */
const LOCK_NAMESPACE = 73_120_041;

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; when unset the embedded PGlite is used. */
  databaseUrl?: string;
  /** Root of embedded data; PGlite lives in `<dataDir>/pglite`. */
  dataDir: string;
  /** PGlite without files (ignored when databaseUrl is set). */
  inMemory?: boolean;
}

/** Wraps an open SqlClient as the Database port. Exposed for tests and tools with their own client. */
export function databaseFromClient(client: SqlClient): Database {
  return {
    kind: client.kind,
    events: new SqlEventStore(client),
    catalog: new SqlCatalogStore(client),
    models: new SqlModelRegistry(client),
    outcomes: new SqlOutcomeStore(client),
    segments: new SqlSegmentStore(client),
    migrate: () => migrate(client),
    schemaVersion: () => schemaVersion(client),
    tryLock: async (name: string) => {
      if (!client.tryAdvisoryLock) throw new Error(`the ${client.kind} client cannot take locks`);
      const release = await client.tryAdvisoryLock(LOCK_NAMESPACE, fnv1a32(name) | 0);
      return release ? { name, release } : null;
    },
    ping: async () => {
      await client.query('SELECT 1');
    },
    close: () => client.close(),
  };
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const client = new PgSqlClient({ connectionString: opts.databaseUrl });
    return databaseFromClient(client);
  }
  if (opts.inMemory) return databaseFromClient(await PgliteSqlClient.open());
  const dir = join(opts.dataDir, 'pglite');
  await mkdir(dir, { recursive: true });
  return databaseFromClient(await PgliteSqlClient.open(dir));
}
