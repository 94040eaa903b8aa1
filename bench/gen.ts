/**
 * Synthetic storefront data at scale (src/sample/scale.ts), streamed in constant memory:
 *
 *   npm run gen -- --events 1000000 [--users U --items I --categories C --seed S]
 *                  (--out events.csv [--items-out items.csv] | --database [URL])
 *
 * --out writes the events-csv import format (and, with --items-out, the catalogue CSV);
 * --database migrates the schema and COPYs catalogue and events straight into PostgreSQL
 * (URL, else DATABASE_URL). Defaults: users = events / 20, items = events / 200.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import { PgSqlClient } from '../src/storage/sql/pgClient';
import { migrate } from '../src/storage/sql/migrations';
import { type ScaleOptions, scaleEventsCsv, scaleItemsCsv, scaleOptions } from '../src/sample/scale';

/** Migrates and COPYs a scale sample into PostgreSQL; returns seconds spent on events. */
export async function loadScaleIntoPostgres(url: string, o: ScaleOptions): Promise<{ events: number; items: number; seconds: number }> {
  const client = new PgSqlClient({ connectionString: url, maxConnections: 2 });
  try {
    await migrate(client);
    const t0 = Date.now();
    const items = await client.copyFrom!(
      "COPY items (item_id, category, available, price, created_at) FROM STDIN WITH (FORMAT csv, ENCODING 'UTF8')",
      scaleItemsCsv(o, false),
    );
    const events = await client.copyFrom!(
      "COPY events (user_id, item_id, type, ts) FROM STDIN WITH (FORMAT csv, ENCODING 'UTF8')",
      scaleEventsCsv(o, false),
    );
    await client.exec('ANALYZE events; ANALYZE items');
    return { events, items, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await client.close();
  }
}

async function writeChunks(file: string, chunks: Iterable<string>): Promise<void> {
  const out = fs.createWriteStream(file);
  for (const c of chunks) if (!out.write(c)) await once(out, 'drain');
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

export function parseScaleArgs(argv: string[]): { opts: ScaleOptions; out?: string; itemsOut?: string; database?: string | true } {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v.replace(/_/g, '').replace(/[mM]$/, 'e6').replace(/[kK]$/, 'e3'));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number, got '${v}'`);
    return Math.floor(n);
  };
  const events = num('--events');
  if (!events) throw new Error('--events N is required');
  const opts = scaleOptions(events, { users: num('--users'), items: num('--items'), categories: num('--categories'), seed: num('--seed') });
  const dbi = argv.indexOf('--database');
  const database = dbi < 0 ? undefined : argv[dbi + 1] && !argv[dbi + 1].startsWith('--') ? argv[dbi + 1] : true;
  return { opts, out: get('--out'), itemsOut: get('--items-out'), database };
}

async function main(): Promise<void> {
  const { opts, out, itemsOut, database } = parseScaleArgs(process.argv.slice(2));
  if (!out && !database) throw new Error('give --out <file.csv> or --database [URL]');
  const t0 = Date.now();
  if (out) {
    await writeChunks(out, scaleEventsCsv(opts));
    if (itemsOut) await writeChunks(itemsOut, scaleItemsCsv(opts));
  }
  if (database) {
    const url = database === true ? process.env.DATABASE_URL : database;
    if (!url) throw new Error('--database needs a URL or DATABASE_URL');
    await loadScaleIntoPostgres(url, opts);
  }
  process.stderr.write(
    `generated ${opts.events} events, ${opts.users} users, ${opts.items} items, ${opts.categories} categories in ${((Date.now() - t0) / 1000).toFixed(1)}s` +
      ` (peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB)\n`,
  );
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
