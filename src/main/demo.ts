import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';
import { loadConfig, type AppConfig } from '../config';
import { configureLogger } from '../observability/logger';
import { TerminalProgress } from '../observability/terminal';
import { buildRuntime, openStores } from './wiring';
import { startServer } from './server';

/**
 * `recs demo`: everything embedded (PGlite under DATA_DIR/demo, the in-process cache), whatever
 * DATABASE_URL/REDIS_URL say, so it runs on a bare machine. On a terminal it logs pretty lines and
 * draws progress for the import and the training; it ends with the console's link, carrying an
 * operator token made for this run (or DEBUG_TOKEN when set).
 */
export async function demo(portOption: number | undefined, users: number): Promise<void> {
  const base = loadConfig();
  const demoDir = path.join(base.dataDir, 'demo');
  const config: AppConfig = {
    ...base,
    databaseUrl: undefined,
    redisUrl: undefined,
    redisCluster: false,
    dataDir: demoDir,
    modelsDir: path.join(demoDir, 'models'),
    debugToken: base.debugToken ?? randomBytes(18).toString('base64url'),
  };
  const terminal = process.stdout.isTTY ? new TerminalProgress(process.stdout) : undefined;
  const logger = configureLogger(config.logLevel, { terminal: terminal?.logStream() });
  const started = Date.now();
  await fs.promises.rm(demoDir, { recursive: true, force: true });
  await fs.promises.mkdir(demoDir, { recursive: true });
  const { generateStorefront, writeEventsCsv, writeItemsCsv } = await import('../sample/storefront');
  const { importFile, importItemsFile } = await import('../ingest/importer');
  const { runTraining } = await import('../../training/job/pipeline');

  const sample = generateStorefront({ users, items: Math.max(200, Math.round(users * 0.4)), categories: 20, days: 120, seed: 7 });
  const eventsFile = path.join(demoDir, 'sample-events.csv');
  const itemsFile = path.join(demoDir, 'sample-items.csv');
  await writeEventsCsv(eventsFile, sample.events);
  await writeItemsCsv(itemsFile, sample.items);
  logger.info({ events: sample.events.length, items: sample.items.length }, 'generated the sample storefront');

  const stores = await openStores(config);
  await stores.db.migrate();
  await importItemsFile({ path: itemsFile, catalog: stores.db.catalog, logger, progress: terminal });
  const imported = await importFile({
    path: eventsFile,
    format: 'events-csv',
    events: stores.db.events,
    catalog: stores.db.catalog,
    logger,
    progress: terminal,
  });
  logger.info({ events: imported.imported, seconds: imported.seconds }, 'imported the sample');
  const report = await runTraining({
    db: stores.db,
    cache: stores.cache,
    policy: config.policy,
    modelsDir: config.modelsDir,
    logger,
    publish: true,
    force: true,
    progress: terminal,
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
      `  API: ${url}/openapi.json`,
      '',
      `Operator console (the token in the link is this run's DEBUG_TOKEN):`,
      `  ${url}/console#token=${encodeURIComponent(config.debugToken!)}`,
      '',
    ].join('\n'),
  );
}
