/**
 * A minimal SQL client shared by the PostgreSQL (pg Pool) and embedded PGlite drivers, so the
 * stores are written once. Only parameterized statements go through `query`; `exec` is for
 * trusted, parameter-less scripts (migrations), which may contain several statements.
 */

export type SqlScalar = string | number | boolean | null;
/** A bind parameter: a scalar, or an array (sent as a PostgreSQL array, e.g. for `unnest`). */
export type SqlParam = SqlScalar | readonly SqlScalar[];

export interface SqlResult<T> {
  rows: T[];
}

/** What can run statements: the client itself, or the connection inside a transaction. */
export interface SqlExecutor {
  query<T>(sql: string, params?: readonly SqlParam[]): Promise<SqlResult<T>>;
  /** Runs a parameter-less script that may hold several statements. */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `fn` in one transaction on one connection: committed when `fn` resolves, rolled back
   * when it throws. Use only the `tx` executor inside `fn` (the outer client may wait on the
   * transaction itself on single-connection drivers and deadlock).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Streams text rows into `COPY ... FROM STDIN` (PostgreSQL only; absent on PGlite). One
   * statement, hence all-or-nothing. Resolves with the number of rows copied.
   */
  copyFrom?(copySql: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<number>;
  /**
   * Streams the raw bytes of `COPY ... TO STDOUT` (PostgreSQL only; absent on PGlite), chunk by
   * chunk with backpressure: a large table is read without ever holding its result set.
   * `settings` are session settings (set_config) for that statement only.
   */
  copyTo?(copySql: string, settings?: Record<string, string>): AsyncIterable<Buffer>;
  /**
   * Takes the session-level advisory lock (classId, objId) without waiting: resolves with its
   * release function, or null when another session holds it. The lock lives as long as the session
   * that took it, so a killed process releases it with its connection.
   */
  tryAdvisoryLock?(classId: number, objId: number): Promise<(() => Promise<void>) | null>;
  close(): Promise<void>;
}

/** Converts the integer shapes drivers return (int8 as string or bigint) to a JS number. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  throw new TypeError(`expected a numeric value, got ${typeof value}`);
}

/** Like toNumber, but keeps SQL NULL as null. */
export function toNullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}
