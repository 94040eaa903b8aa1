/** SqlClient over an embedded PGlite (WASM PostgreSQL): one connection, so work is serialized. */
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { SqlClient, SqlExecutor, SqlParam, SqlResult } from './client';

type PgliteModule = typeof import('@electric-sql/pglite');

let pgliteModule: PgliteModule | undefined;

/**
 * Loads @electric-sql/pglite through Node's own CommonJS loader. Its CJS build reaches Node
 * built-ins with dynamic `import()`, which fails inside Jest's module sandbox (no
 * --experimental-vm-modules) but works in a module compiled by Node itself. In a plain Node
 * process this is equivalent to `require('@electric-sql/pglite')`.
 */
function loadPglite(): PgliteModule {
  if (pgliteModule) return pgliteModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeModule = require('module') as { _load?: (request: string, parent: null, isMain: boolean) => unknown };
  pgliteModule =
    typeof nodeModule._load === 'function'
      ? (nodeModule._load(require.resolve('@electric-sql/pglite'), null, false) as PgliteModule)
      : // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require('@electric-sql/pglite') as PgliteModule);
  return pgliteModule;
}

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
  private readonly advisoryLocks = new Set<string>();

  private constructor(private readonly db: PGlite) {}

  /** Opens PGlite persisted in `dataDir` (which must exist), or in memory when it is undefined. */
  static async open(dataDir?: string): Promise<PgliteSqlClient> {
    const db = await loadPglite().PGlite.create(dataDir);
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

  /**
   * PGlite has one session, in which PostgreSQL advisory locks are re-entrant, and one process owns
   * the data directory: the lock is therefore held in this client (per process, like the session).
   */
  async tryAdvisoryLock(classId: number, objId: number): Promise<(() => Promise<void>) | null> {
    const key = `${classId}:${objId}`;
    if (this.advisoryLocks.has(key)) return null;
    this.advisoryLocks.add(key);
    return async () => {
      this.advisoryLocks.delete(key);
    };
  }

  async close(): Promise<void> {
    // Wait for work in flight so closing never cuts a transaction short.
    await this.lock.run(() => this.db.close());
  }
}
