import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';
import { buildPolicy, loadConfig, type AppConfig } from '../config';
import { configureLogger } from '../observability/logger';
import { TerminalProgress } from '../observability/terminal';
import { buildRuntime, openStores } from './wiring';
import { startServer } from './server';

/** The demo's generated storefront, and the simulated days after it. */
const SAMPLE_CATEGORIES = 20;
const SAMPLE_DAYS = 120;
const SAMPLE_SEED = 7;
const DEMO_DAYS = 3;

/**
 * The playbook's strategies as the demo configures them when the operator's policy has no
 * experiments: a win-back variant for lapsing shoppers, a heavier live session for the rest.
 */
const DEMO_EXPERIMENTS = [
  {
    name: 'winback',
    salt: 'demo-winback',
    segments: ['at_risk', 'churned'],
    variants: [
      { name: 'control', weight: 1 },
      {
        name: 'new-arrivals',
        weight: 1,
        newArrivalBoost: 0.5,
        fallbacks: { at_risk: ['new_arrivals', 'refind', 'popular'], churned: ['new_arrivals', 'popular'] },
      },
    ],
  },
  {
    name: 'session',
    salt: 'demo-session',
    variants: [
      { name: 'control', weight: 1 },
      { name: 'heavy-session', weight: 1, sessionWeight: 3 },
    ],
  },
];

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
    policy: base.policy.experiments.length
      ? base.policy
      : { ...base.policy, experiments: buildPolicy({ experiments: DEMO_EXPERIMENTS }).experiments },
  };
  const terminal = process.stdout.isTTY ? new TerminalProgress(process.stdout) : undefined;
  const logger = configureLogger(config.logLevel, { terminal: terminal?.logStream() });
  const started = Date.now();
  await fs.promises.rm(demoDir, { recursive: true, force: true });
  await fs.promises.mkdir(demoDir, { recursive: true });
  const { DEFAULT_SAMPLE_NOW, generateStorefront, writeEventsCsv, writeItemsCsv } = await import('../sample/storefront');
  const { simulate } = await import('./simulate');
  const { importFile, importItemsFile } = await import('../ingest/importer');
  const { runTraining } = await import('../../training/job/pipeline');

  const sampleItems = Math.max(200, Math.round(users * 0.4));
  const sample = generateStorefront({ users, items: sampleItems, categories: SAMPLE_CATEGORIES, days: SAMPLE_DAYS, seed: SAMPLE_SEED });
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
      `recs demo: ${imported.imported} events, model ${report.version} live, serving after ${((Date.now() - started) / 1000).toFixed(1)}s`,
      `  curl '${url}/v1/users/${someUser}/recommendations?limit=10'`,
      `  curl '${url}/v1/users/someone-new/recommendations?limit=10'`,
      `  curl '${url}/v1/items/${someItem}/similar?limit=5'`,
      `  curl -X POST ${url}/v1/events -H 'content-type: application/json' -d '{"events":[{"userId":"${someUser}","itemId":"${someItem}","type":"purchase"}]}'`,
      `  curl -X PUT ${url}/v1/items/${someItem} -H 'content-type: application/json' -d '{"available":false}'`,
      `  API: ${url}/openapi.json`,
      '',
      `Simulating ${DEMO_DAYS} days of shoppers, with a nightly training each, for the console's Growth page...`,
      '',
    ].join('\n'),
  );
  // A few simulated days with a nightly training each: the console's Growth page has versions,
  // segment movement and outcomes to show on first open.
  const days = await simulate({
    config,
    db: stores.db,
    cache: stores.cache,
    logger,
    url: `http://127.0.0.1:${bound}`,
    days: DEMO_DAYS,
    shoppers: users,
    seed: SAMPLE_SEED,
    world: { items: sampleItems, categories: SAMPLE_CATEGORIES, historyDays: SAMPLE_DAYS, start: DEFAULT_SAMPLE_NOW },
    sample,
    progress: terminal,
  });
  process.stdout.write(
    [
      ...days.map(
        (d) =>
          `  ${d.day}: ${d.visits} visits, ${d.clicks} clicks, ${d.purchases} purchases, revenue ${d.revenue.toFixed(2)}; model ${d.version} ${d.status}`,
      ),
      '',
      `Operator console (the token in the link is this run's DEBUG_TOKEN), ready after ${((Date.now() - started) / 1000).toFixed(1)}s:`,
      `  ${url}/console#token=${encodeURIComponent(config.debugToken!)}`,
      '',
    ].join('\n'),
  );
}
