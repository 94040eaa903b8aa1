/**
 * Access to the throwaway servers started by scripts/with-test-servers.sh (what `npm test` runs).
 * A missing server is a failure with instructions, never a skip.
 */
import { randomBytes } from 'crypto';
import { Client } from 'pg';

const HOW =
  'run the suite with `npm test`, which starts throwaway servers (needs `apt-get install redis-server` and PostgreSQL 15 under /usr/lib/postgresql/15/bin)';

export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error(`TEST_REDIS_URL is not set: ${HOW}`);
  return url;
}

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error(`TEST_DATABASE_URL is not set: ${HOW}`);
  return url;
}

/** A unique, lower-case name for per-test databases and key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Creates an empty database on the test server and returns its URL and a dropper. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = testDatabaseUrl();
  const name = uniqueName('recs_test');
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
