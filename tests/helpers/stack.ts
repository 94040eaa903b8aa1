/**
 * A whole service stack for end-to-end tests: real PostgreSQL + real Redis (from
 * scripts/with-test-servers.sh), or the embedded pair (PGlite + in-process cache).
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Express } from 'express';
import { loadConfig, type AppConfig } from '../../src/config';
import { openStores, buildRuntime, type Runtime } from '../../src/main/wiring';
import { createApp } from '../../src/main/app';
import { rootLogger } from '../../src/observability/logger';
import { freshDatabase, testRedisUrl, uniqueName } from './servers';
import type { StoreEvent, Item } from '../../src/domain/types';
import type { Policy } from '../../src/config/policy';
import { writeEventsCsv, writeItemsCsv } from '../../src/sample/storefront';
import { importFile, importItemsFile, type ImportReport } from '../../src/ingest/importer';
import { runTraining, type TrainReport } from '../../training/job/pipeline';

export type StackKind = 'real' | 'embedded';

export interface TestStack {
  kind: StackKind;
  config: AppConfig;
  rt: Runtime;
  app: Express;
  dir: string;
  /** Imports events (and a catalogue) through the real import path: CSV files, then the importer. */
  importSample(sample: { events: StoreEvent[]; items?: Item[] }, name?: string): Promise<ImportReport>;
  /** Runs the nightly pipeline against this stack's stores (publishing by default). */
  train(opts?: { policy?: Policy; publish?: boolean; force?: boolean }): Promise<TrainReport>;
  close(): Promise<void>;
}

/**
 * `embedding: false` (the default here unless a RECS_CONFIG_FILE is given) skips the TF.js
 * embedding fits, which dominate training time on small data; the embedding has its own tests,
 * and the demo, CLI and operator suites train with it.
 */
export async function openTestStack(
  kind: StackKind,
  env: Record<string, string> = {},
  opts: { embedding?: boolean } = {},
): Promise<TestStack> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-e2e-'));
  if (!env.RECS_CONFIG_FILE && !opts.embedding) {
    const cfg = path.join(dir, 'policy.json');
    await fs.promises.writeFile(cfg, JSON.stringify({ training: { embedding: { enabled: false } } }));
    env = { ...env, RECS_CONFIG_FILE: cfg };
  }
  let dropDb: (() => Promise<void>) | undefined;
  const vars: Record<string, string> = {
    DATA_DIR: path.join(dir, 'data'),
    MODELS_DIR: path.join(dir, 'models'),
    LOG_LEVEL: 'silent',
    ...env,
  };
  if (kind === 'real') {
    const db = await freshDatabase();
    dropDb = db.drop;
    vars.DATABASE_URL = db.url;
    vars.REDIS_URL = env.REDIS_URL ?? testRedisUrl();
    vars.REDIS_KEY_PREFIX = uniqueName('t');
  }
  const config = loadConfig(vars);
  const stores = await openStores(config);
  await stores.db.migrate();
  const rt = buildRuntime(config, stores, { logger: rootLogger(), pollMs: 0 });
  const app = createApp(rt);
  let imports = 0;
  return {
    kind,
    config,
    rt,
    app,
    dir,
    importSample: async (sample, name = `import-${++imports}`) => {
      const { db } = rt;
      if (sample.items?.length) {
        const itemsFile = path.join(dir, `${name}-items.csv`);
        await writeItemsCsv(itemsFile, sample.items);
        await importItemsFile({ path: itemsFile, catalog: db.catalog });
      }
      const eventsFile = path.join(dir, `${name}-events.csv`);
      await writeEventsCsv(eventsFile, sample.events);
      return importFile({ path: eventsFile, format: 'events-csv', events: db.events, catalog: db.catalog });
    },
    train: (opts = {}) =>
      runTraining({
        db: rt.db,
        cache: rt.cache,
        policy: opts.policy ?? config.policy,
        modelsDir: config.modelsDir,
        logger: rt.logger,
        publish: opts.publish ?? true,
        force: opts.force ?? false,
      }),
    close: async () => {
      await rt.close();
      if (dropDb) await dropDb();
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}
