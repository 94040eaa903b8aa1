/** SqlClient over a pg connection pool (real PostgreSQL), with COPY FROM STDIN for bulk loads. */
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { moduleLogger } from '../../logger';
import type { SqlClient, SqlExecutor, SqlParam, SqlResult } from './client';

// Resolved per use: the CLI configures the root logger after modules are loaded.
const log = () => moduleLogger('storage');

function executorFor(client: Pool | PoolClient): SqlExecutor {
  return {
    async query<T>(sql: string, params: readonly SqlParam[] = []): Promise<SqlResult<T>> {
      const result = await client.query(sql, params as unknown[]);
      return { rows: result.rows as T[] };
    },
    async exec(sql: string): Promise<void> {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await client.query(sql);
    },
  };
}

export interface PgClientOptions {
  connectionString: string;
  /** Pool size; the service mostly runs short queries, imports use one connection for COPY. */
  maxConnections?: number;
}

export class PgSqlClient implements SqlClient {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;
  private readonly executor: SqlExecutor;

  constructor(options: PgClientOptions) {
    const config: PoolConfig = {
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      application_name: 'storefront-recs',
    };
    this.pool = new Pool(config);
    // An idle client losing its connection emits 'error' on the pool; without a listener that
    // would crash the process. The pool replaces the client on the next checkout.
    this.pool.on('error', (err) => log().warn({ err }, 'idle PostgreSQL connection failed'));
    this.executor = executorFor(this.pool);
  }

  query<T>(sql: string, params?: readonly SqlParam[]): Promise<SqlResult<T>> {
    return this.executor.query<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.executor.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(executorFor(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is in an unknown state: destroy it instead of returning it to the pool.
          broken = rollbackErr as Error;
        }
        throw err;
      }
    } finally {
      client.release(broken);
    }
  }

  async copyFrom(copySql: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<number> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      const sink = client.query(copyFromStdin(copySql));
      // pg-copy-streams (v6+) finishes the writable only after the server confirmed the COPY.
      await pipeline(Readable.from(chunks, { objectMode: false }), sink);
      return sink.rowCount;
    } catch (err) {
      failure = err as Error;
      throw err;
    } finally {
      // After an aborted COPY the protocol state is not worth trusting: drop that connection.
      client.release(failure);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
