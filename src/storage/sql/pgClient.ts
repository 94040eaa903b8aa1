/** SqlClient over a pg connection pool (real PostgreSQL), with COPY FROM STDIN for bulk loads. */
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { from as copyFromStdin, to as copyToStdout } from 'pg-copy-streams';
import { moduleLogger } from '../../observability/logger';
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
      // A database that is down or unreachable fails requests within seconds instead of hanging them.
      connectionTimeoutMillis: 5000,
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

  async *copyTo(copySql: string, settings: Record<string, string> = {}): AsyncIterable<Buffer> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    let finished = false;
    try {
      // Session settings for this statement only (reset before the connection goes back).
      for (const [name, value] of Object.entries(settings)) await client.query('SELECT set_config($1, $2, false)', [name, value]);
      const source = client.query(copyToStdout(copySql, { highWaterMark: 1 << 20 }));
      for await (const chunk of source) yield chunk as Buffer;
      for (const name of Object.keys(settings)) await client.query(`RESET ${name.replace(/[^a-z_.]/gi, '')}`);
      finished = true;
    } catch (err) {
      failure = err as Error;
      throw err;
    } finally {
      // A COPY abandoned half-way (the consumer stopped early) leaves the protocol mid-stream:
      // that connection is dropped rather than returned to the pool.
      client.release(failure ?? (finished ? undefined : new Error('COPY TO STDOUT abandoned before its end')));
    }
  }

  async tryAdvisoryLock(classId: number, objId: number): Promise<(() => Promise<void>) | null> {
    // A session lock belongs to one connection: keep that connection out of the pool until release.
    const client = await this.pool.connect();
    let got: boolean;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS locked', [classId, objId]);
      got = rows[0]?.locked === true;
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    if (!got) {
      client.release();
      return null;
    }
    // Losing that connection loses the lock; pg would emit 'error' on the checked-out client.
    const onError = (err: Error) => log().warn({ err }, 'connection holding an advisory lock failed');
    client.on('error', onError);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      let broken: Error | undefined;
      try {
        await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [classId, objId]);
      } catch (err) {
        broken = err as Error; // destroying the connection releases the lock too
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
