import type { SqlClient, SqlExecutor, SqlParam, SqlResult } from './client';
import { MIGRATIONS, MIGRATION_LOCK_KEY, assertMigrationsOrdered, migrate } from './migrations';

/** Records statements and answers "already applied?" from an in-memory set. */
class RecordingClient implements SqlClient {
  readonly statements: string[][] = [];
  readonly applied = new Set<number>();

  constructor(readonly kind: 'postgres' | 'pglite') {}

  private executor(log: string[]): SqlExecutor {
    return {
      query: async <T>(sql: string, params: readonly SqlParam[] = []): Promise<SqlResult<T>> => {
        log.push(sql.trim().split(/\s+/).slice(0, 3).join(' '));
        if (sql.includes('FROM schema_migrations WHERE version')) {
          return { rows: (this.applied.has(params[0] as number) ? [{ found: 1 }] : []) as T[] };
        }
        if (sql.startsWith('INSERT INTO schema_migrations')) this.applied.add(params[0] as number);
        if (sql.includes('pg_advisory_xact_lock')) expect(params).toEqual([MIGRATION_LOCK_KEY]);
        return { rows: [] };
      },
      exec: async (sql: string) => {
        log.push(sql.includes('schema_migrations') ? 'CREATE schema_migrations' : 'MIGRATION SQL');
      },
    };
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const log: string[] = [];
    this.statements.push(log);
    return fn(this.executor(log));
  }

  query<T>(sql: string, params?: readonly SqlParam[]): Promise<SqlResult<T>> {
    return this.executor([]).query<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.executor([]).exec(sql);
  }

  async close(): Promise<void> {}
}

describe('migrations', () => {
  it('are numbered 1..n in order with names and SQL', () => {
    expect(() => assertMigrationsOrdered(MIGRATIONS)).not.toThrow();
    for (const m of MIGRATIONS) {
      expect(m.name).toMatch(/^[a-z_]+$/);
      expect(m.sql.trim().length).toBeGreaterThan(0);
    }
    expect(() => assertMigrationsOrdered([MIGRATIONS[1]!, MIGRATIONS[0]!])).toThrow(/expected 1/);
  });

  it('on PostgreSQL takes the advisory lock first in every migration transaction', async () => {
    const client = new RecordingClient('postgres');
    expect(await migrate(client)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(client.statements).toHaveLength(MIGRATIONS.length);
    for (const tx of client.statements) {
      expect(tx[0]).toBe('SELECT pg_advisory_xact_lock($1::bigint)');
      expect(tx[1]).toBe('CREATE schema_migrations');
      expect(tx).toContain('MIGRATION SQL');
    }
  });

  it('skips applied versions and takes no advisory lock on PGlite', async () => {
    const client = new RecordingClient('pglite');
    client.applied.add(1);
    expect(await migrate(client)).toEqual(MIGRATIONS.map((m) => m.version).filter((v) => v !== 1));
    expect(client.statements[0]).not.toContain('MIGRATION SQL');
    expect(client.statements.flat().some((s) => s.includes('advisory'))).toBe(false);
    expect(await migrate(client)).toEqual([]);
  });
});
