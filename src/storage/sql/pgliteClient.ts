/** SqlClient over an embedded PGlite (WASM PostgreSQL): one connection, so work is serialized. */
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { SqlClient, SqlExecutor, SqlParam, SqlResult } from './client';

/**
 * A FIFO async mutex. PGlite has a single session: a statement from another caller issued while a
 * transaction is open would run inside that transaction, so every unit of work takes the lock.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

function transactionExecutor(tx: Transaction): SqlExecutor {
  return {
    async query<T>(sql: string, params: readonly SqlParam[] = []): Promise<SqlResult<T>> {
      const result = await tx.query<T>(sql, params as unknown[]);
      return { rows: result.rows };
    },
    async exec(sql: string): Promise<void> {
      await tx.exec(sql);
    },
  };
}

export class PgliteSqlClient implements SqlClient {
  readonly kind = 'pglite' as const;
  private readonly lock = new Mutex();

  private constructor(private readonly db: PGlite) {}

  /** Opens PGlite persisted in `dataDir` (which must exist), or in memory when it is undefined. */
  static async open(dataDir?: string): Promise<PgliteSqlClient> {
    const db = await PGlite.create(dataDir);
    return new PgliteSqlClient(db);
  }

  query<T>(sql: string, params: readonly SqlParam[] = []): Promise<SqlResult<T>> {
    return this.lock.run(async () => {
      const result = await this.db.query<T>(sql, params as unknown[]);
      return { rows: result.rows };
    });
  }

  exec(sql: string): Promise<void> {
    return this.lock.run(async () => {
      await this.db.exec(sql);
    });
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.lock.run(() => this.db.transaction((tx) => fn(transactionExecutor(tx))));
  }

  async close(): Promise<void> {
    // Wait for work in flight so closing never cuts a transaction short.
    await this.lock.run(() => this.db.close());
  }
}
