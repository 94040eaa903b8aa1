/**
 * `recs`: the command line (commander). Each command loads the configuration once, opens the
 * stores through the wiring module, and closes them before returning.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import fs from 'fs';
import path from 'path';
import http from 'http';
import { loadConfig, AppConfig } from './config';
import { configureLogger, Logger } from './logger';
import { openStores, buildRuntime, Runtime } from './wiring';
import { createApp } from './serving/app';
import { createHttpServer } from './serving/httpServer';
import type { Database } from './storage/ports';
import type { RecommendationCache } from './storage/cache/port';
import { IMPORT_FORMATS, ImportFormat } from './import/formats';
import type { TrainReport } from '../training/job/pipeline';
// Each command loads what it runs (`await import` below): the importer, the sample generator and
// the training pipeline (TF.js, mathjs, cli-progress) stay out of the serving process's heap, where
// every young-generation GC would pay for them.

function parseIsoTime(value: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expected an ISO-8601 time');
  return ms;
}

function parseFraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a fraction between 0 and 1');
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535');
  return n;
}

/** Embedded storage migrates itself; a real PostgreSQL must be migrated explicitly (`recs migrate`). */
async function ensureSchema(db: Database): Promise<void> {
  if (db.kind === 'pglite') {
    await db.migrate();
    return;
  }
  if ((await db.schemaVersion()) === 0) {
    throw new Error('the database has no schema yet: run `recs migrate` first');
  }
}

async function withStores<T>(config: AppConfig, fn: (s: { db: Database; cache: RecommendationCache }) => Promise<T>): Promise<T> {
  const stores = await openStores(config);
  try {
    return await fn(stores);
  } finally {
    await Promise.allSettled([stores.cache.close(), stores.db.close()]);
  }
}

function printTrainReport(report: TrainReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const holdout = (report.metrics.holdout ?? {}) as Record<string, { hr10: number; ndcg10: number }>;
  const lines = [
    `version ${report.version}: ${report.status}`,
    `  events ${report.events}, users ${report.users}, items ${report.items}`,
    `  segments ${Object.entries(report.segments).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    ...Object.entries(holdout).map(
      ([m, r]) => `  holdout ${m.padEnd(10)} HR@10 ${r.hr10.toFixed(4)}  NDCG@10 ${r.ndcg10.toFixed(4)}`,
    ),
    `  timings ${Object.entries(report.timings).filter(([k]) => !k.includes('.')).map(([k, v]) => `${k}=${v.toFixed(2)}s`).join(' ')}`,
  ];
  if (report.gate?.paired) {
    const p = report.gate.paired;
    lines.push(
      `  gate: vs live ${p.liveVersion}${p.samePolicy ? " (same policy)" : ""} on ${p.cases} holdout cases: candidate NDCG@10 ${p.candidate.ndcg10.toFixed(4)}, live ${p.live.ndcg10.toFixed(4)}`,
    );
  }
  if (report.gate && report.gate.reasons.length) {
    lines.push(
      report.gate.forced
        ? `  gate: forced past: ${report.gate.reasons.join('; ')}`
        : `  gate: REFUSED, the live version keeps serving: ${report.gate.reasons.join('; ')}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** How long a SIGTERM waits for in-flight requests before giving up and exiting 1. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Starts the HTTP service on open stores; resolves once listening. SIGTERM/SIGINT: stop accepting
 * connections, mark /readyz not ready, let in-flight requests finish (answers then carry
 * `Connection: close`, idle keep-alive sockets are closed), then close Redis and the database pool
 * and exit 0; exit 1 if draining takes longer than DRAIN_TIMEOUT_MS.
 */
export async function startServer(rt: Runtime, port: number, logger: Logger): Promise<http.Server> {
  await rt.live.start();
  const app = createApp(rt);
  let closing = false;
  // Answers written once draining began tell keep-alive clients to go away. Set once on this app's
  // response prototype (Express gives every `res` that prototype), not as a wrapper on each response.
  const proto = app.response as http.ServerResponse;
  const writeHead = proto.writeHead as (code: number, reason?: unknown, headers?: unknown) => http.ServerResponse;
  // Fixed arity (Node's own writeHead treats absent and undefined arguments alike): no rest array per answer.
  proto.writeHead = function (this: http.ServerResponse, code: number, reason?: unknown, headers?: unknown) {
    if (closing && !this.headersSent) this.setHeader('Connection', 'close');
    return writeHead.call(this, code, reason, headers);
  } as typeof proto.writeHead;
  const server = createHttpServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  logger.info({ port: bound, model: rt.live.version()?.meta.version ?? null }, 'serving');
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    rt.draining = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    setTimeout(() => {
      logger.error({ ms: DRAIN_TIMEOUT_MS }, 'in-flight requests did not finish in time; exiting');
      process.exit(1);
    }, DRAIN_TIMEOUT_MS).unref();
    // Keep-alive sockets become idle as their last answer goes out: close them as they do.
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    idle.unref();
    server.close(() => {
      clearInterval(idle);
      rt.close()
        .catch((err) => logger.warn({ err }, 'closing the stores failed'))
        .finally(() => {
          logger.info('stopped: requests drained, cache and database closed');
          process.exit(0);
        });
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return server;
}

async function serve(config: AppConfig, logger: Logger, port: number): Promise<void> {
  const stores = await openStores(config);
  await ensureSchema(stores.db);
  const rt = buildRuntime(config, stores, { logger });
  const { restoreLiveIntoMemory } = await import('../training/job/publish');
  const restored = await restoreLiveIntoMemory({
    cache: stores.cache,
    models: stores.db.models,
    modelsDir: config.modelsDir,
    policy: config.policy,
    logger,
  });
  if (restored) logger.info({ version: restored }, 'loaded the live version into the in-process cache');
  await startServer(rt, port, logger);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('recs')
    .description('Storefront recommendation service: import events, train, publish, serve')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('migrate')
    .description('create or upgrade the schema in DATABASE_URL (embedded PGlite when unset)')
    .action(async () => {
      const config = loadConfig();
      const logger = configureLogger(config.logLevel, { toStderr: true });
      const { openDatabase } = await import('./storage/database');
      const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const applied = await db.migrate();
        const version = await db.schemaVersion();
        logger.debug({ applied }, 'migrations applied');
        process.stdout.write(`schema at version ${version} (${applied.length} migration(s) applied) on ${db.kind}\n`);
      } finally {
        await db.close();
      }
    });

  program
    .command('import')
    .description('stream events (and with --items a catalogue) from a file into the database')
    .argument('<file>', 'events file')
    .addOption(new Option('--format <format>', 'file format').choices([...IMPORT_FORMATS]).makeOptionMandatory())
    .option('--items <file>', 'catalogue CSV: itemId,category,available,price,createdAt')
    .option('--batch-size <n>', 'rows per insert batch', (v) => Number(v), 5000)
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { format: ImportFormat; items?: string; batchSize: number; json?: boolean }) => {
      const config = loadConfig();
      const logger = configureLogger(config.logLevel, { toStderr: true });
      const { openDatabase } = await import('./storage/database');
      const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await ensureSchema(db);
        const { importFile, importItemsFile } = await import('./import/importer');
        const progress = Boolean(process.stderr.isTTY) && !opts.json;
        const items = opts.items
          ? await importItemsFile({ path: opts.items, catalog: db.catalog, progress, logger })
          : undefined;
        const report = await importFile({
          path: file,
          format: opts.format,
          events: db.events,
          catalog: db.catalog,
          batchSize: opts.batchSize,
          progress,
          logger,
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ events: report, items }, null, 2)}\n`);
        } else {
          if (items) process.stdout.write(`items: ${items.imported} upserted, ${items.rejected} rejected\n`);
          process.stdout.write(
            `imported ${report.imported} events from ${path.basename(report.file)} in ${report.seconds.toFixed(2)}s; ${report.rejected} bad row(s)\n`,
          );
          for (const e of report.errors.slice(0, 20)) process.stdout.write(`  line ${e.line}: ${e.reason}\n`);
          if (report.rejected > 20) process.stdout.write(`  ... ${report.rejected - 20} more\n`);
        }
      } finally {
        await db.close();
      }
    });

  program
    .command('train')
    .description('train every model from the database, evaluate, write models/<version>/ and optionally publish')
    .option('--publish', 'publish into the cache and switch live if the quality gate passes')
    .option('--force', 'publish even if the quality gate refuses')
    .option('--now <iso>', 'the time segment rules and decay are measured from (default: newest event)', parseIsoTime)
    .option('--tolerance <fraction>', 'relative NDCG@10 loss against the live version the gate accepts (default 0.02)', parseFraction)
    .option('--json', 'print the report as JSON')
    .action(async (opts: { publish?: boolean; force?: boolean; now?: number; tolerance?: number; json?: boolean }) => {
      const config = loadConfig();
      const logger = configureLogger(config.logLevel, { toStderr: true });
      const report = await withStores(config, async ({ db, cache }) => {
        await ensureSchema(db);
        const { runTraining } = await import('../training/job/pipeline');
        return runTraining({
          db,
          cache,
          policy: config.policy,
          modelsDir: config.modelsDir,
          logger,
          publish: Boolean(opts.publish),
          force: Boolean(opts.force),
          now: opts.now,
          tolerance: opts.tolerance,
        });
      });
      printTrainReport(report, Boolean(opts.json));
      if (report.status === 'rejected') process.exitCode = 3;
    });

  program
    .command('evaluate')
    .description('offline evaluation straight from a file (no database, no cache)')
    .requiredOption('--data <file>', 'events file')
    .addOption(new Option('--format <format>', 'file format').choices([...IMPORT_FORMATS]).makeOptionMandatory())
    .addOption(new Option('--protocol <protocol>', 'evaluation protocol').choices(['loo', 'purchase']).makeOptionMandatory())
    .option('--json', 'print one JSON document')
    .action(async (opts: { data: string; format: ImportFormat; protocol: 'loo' | 'purchase'; json?: boolean }) => {
      const config = loadConfig();
      configureLogger(config.logLevel, { toStderr: true });
      const { readAllEvents } = await import('./import/reader');
      const { evaluate } = await import('../training/job/evaluate');
      const { TAOBAO_WINDOW } = await import('../training/evaluation/splits');
      const data = await readAllEvents(opts.data, opts.format);
      if (data.errors.length) process.stderr.write(`warning: ${data.errors.length} bad row(s) skipped in ${opts.data}\n`);
      const result = await evaluate(data.events, data.items, opts.protocol, {
        dataset: path.basename(opts.data),
        policy: config.policy,
        window: opts.format === "taobao" ? TAOBAO_WINDOW : undefined,
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${result.dataset} ${result.protocol}: ${result.users} users, ${result.items} items\n`);
      process.stdout.write('model          HR@10   NDCG@10  HR@20   NDCG@20  fit(s)  rec(s)\n');
      for (const r of result.results) {
        process.stdout.write(
          `${r.model.padEnd(14)} ${r.hr10.toFixed(4)}  ${r.ndcg10.toFixed(4)}   ${r.hr20.toFixed(4)}  ${r.ndcg20.toFixed(4)}   ${r.fitSeconds.toFixed(2)}    ${r.recommendSeconds.toFixed(2)}\n`,
        );
      }
    });

  program
    .command('serve')
    .description('the HTTP service')
    .option('--port <n>', 'port (default PORT or 8080)', parsePort)
    .action(async (opts: { port?: number }) => {
      const config = loadConfig();
      const logger = configureLogger(config.logLevel);
      await serve(config, logger, opts.port ?? config.port);
    });

  program
    .command('demo')
    .description('embedded end-to-end: migrate, import a generated storefront sample, train, publish, serve')
    .option('--port <n>', 'port (default PORT or 8080)', parsePort)
    .option('--users <n>', 'sample users', (v) => Number(v), 1500)
    .action(async (opts: { port?: number; users: number }) => {
      await demo(opts.port, opts.users);
    });

  program
    .command('rollback')
    .description('switch the live version back (to the previous one, or --to <version>); no retraining')
    .option('--to <version>', 'version to make live')
    .action(async (opts: { to?: string }) => {
      const config = loadConfig();
      const logger = configureLogger(config.logLevel, { toStderr: true });
      const { rollback } = await import('../training/job/publish');
      const result = await withStores(config, ({ db, cache }) =>
        rollback({ cache, models: db.models, modelsDir: config.modelsDir, policy: config.policy, logger }, opts.to),
      );
      process.stdout.write(`live version: ${result.to} (was ${result.from ?? 'none'})\n`);
    });

  return program;
}

/**
 * `recs demo`: everything embedded (PGlite under DATA_DIR/demo, the in-process cache), whatever
 * DATABASE_URL/REDIS_URL say, so it runs on a bare machine.
 */
async function demo(portOption: number | undefined, users: number): Promise<void> {
  const base = loadConfig();
  const demoDir = path.join(base.dataDir, 'demo');
  const config: AppConfig = {
    ...base,
    databaseUrl: undefined,
    redisUrl: undefined,
    redisCluster: false,
    dataDir: demoDir,
    modelsDir: path.join(demoDir, 'models'),
  };
  const logger = configureLogger(config.logLevel);
  const started = Date.now();
  await fs.promises.rm(demoDir, { recursive: true, force: true });
  await fs.promises.mkdir(demoDir, { recursive: true });
  const { generateStorefront, writeEventsCsv, writeItemsCsv } = await import('./sample/storefront');
  const { importFile, importItemsFile } = await import('./import/importer');
  const { runTraining } = await import('../training/job/pipeline');

  const sample = generateStorefront({ users, items: Math.max(200, Math.round(users * 0.4)), categories: 20, days: 120, seed: 7 });
  const eventsFile = path.join(demoDir, 'sample-events.csv');
  const itemsFile = path.join(demoDir, 'sample-items.csv');
  await writeEventsCsv(eventsFile, sample.events);
  await writeItemsCsv(itemsFile, sample.items);
  logger.info({ events: sample.events.length, items: sample.items.length }, 'generated the sample storefront');

  const stores = await openStores(config);
  await stores.db.migrate();
  await importItemsFile({ path: itemsFile, catalog: stores.db.catalog, logger });
  const imported = await importFile({ path: eventsFile, format: 'events-csv', events: stores.db.events, catalog: stores.db.catalog, logger });
  logger.info({ events: imported.imported, seconds: imported.seconds }, 'imported the sample');
  const report = await runTraining({
    db: stores.db,
    cache: stores.cache,
    policy: config.policy,
    modelsDir: config.modelsDir,
    logger,
    publish: true,
    force: true,
  });
  const rt = buildRuntime(config, stores, { logger });
  const port = portOption ?? config.port;
  const server = await startServer(rt, port, logger);
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const someUser = sample.events[sample.events.length - 1].userId;
  const someItem = sample.items[0].itemId;
  const url = `http://localhost:${bound}`;
  process.stdout.write(
    [
      '',
      `recs demo: ${imported.imported} events, model ${report.version} live, ready in ${((Date.now() - started) / 1000).toFixed(1)}s`,
      `  curl '${url}/v1/users/${someUser}/recommendations?limit=10'`,
      `  curl '${url}/v1/users/someone-new/recommendations?limit=10'`,
      `  curl '${url}/v1/items/${someItem}/similar?limit=5'`,
      `  curl -X POST ${url}/v1/events -H 'content-type: application/json' -d '{"events":[{"userId":"${someUser}","itemId":"${someItem}","type":"purchase"}]}'`,
      `  curl -X PUT ${url}/v1/items/${someItem} -H 'content-type: application/json' -d '{"available":false}'`,
      '',
    ].join('\n'),
  );
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      process.exitCode = e.exitCode ?? 1;
      return;
    }
    throw err;
  }
}
