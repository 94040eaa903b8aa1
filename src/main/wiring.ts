/**
 * The composition root: opens the stores and the cache named by the configuration and builds every
 * service on them. Nothing else constructs a store.
 */
import type { AppConfig } from '../config';
import type { Database } from '../storage/ports';
import type { RecommendationCache } from '../storage/cache/port';
import { openDatabase } from '../storage/database';
import { openCache } from '../storage/cache';
import { ResilientCache } from '../storage/cache/resilientCache';
import { LiveVersion } from '../live/liveVersion';
import { RecommendationService } from '../recommendations/service';
import { EventService } from '../events/service';
import { CatalogService } from '../catalog/service';
import { FeedbackService } from '../feedback/service';
import { ExperimentService } from '../experiments/service';
import { OutcomeLedger } from '../experiments/ledger';
import { GrowthService } from '../growth/service';
import { HealthService } from '../health/service';
import { DebugService } from '../debug/service';
import { Metrics } from '../observability/metrics';
import { type Logger, rootLogger } from '../observability/logger';

export interface Runtime {
  config: AppConfig;
  logger: Logger;
  db: Database;
  cache: RecommendationCache;
  live: LiveVersion;
  recommendations: RecommendationService;
  events: EventService;
  catalog: CatalogService;
  feedback: FeedbackService;
  experiments: ExperimentService;
  ledger: OutcomeLedger;
  growth: GrowthService;
  health: HealthService;
  debug: DebugService;
  metrics: Metrics;
  /** Set on SIGTERM: /readyz answers 503 while in-flight requests drain. */
  draining: boolean;
  /** Flushes the outcome ledger into the database every policy.feedback.flushSeconds (the server starts it). */
  startFlushing(): void;
  /** Stops following the live version, flushes the ledger a last time and closes the stores. */
  close(): Promise<void>;
}

export async function openStores(config: AppConfig): Promise<{ db: Database; cache: RecommendationCache }> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const cache = await openCache({
      redisUrl: config.redisUrl,
      cluster: config.redisCluster,
      keyPrefix: config.redisKeyPrefix,
    });
    return { db, cache };
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** Builds the services over already-open stores (tests pass their own). */
export function buildRuntime(
  config: AppConfig,
  stores: { db: Database; cache: RecommendationCache },
  opts: { logger?: Logger; pollMs?: number } = {},
): Runtime {
  const logger = opts.logger ?? rootLogger();
  const { db } = stores;
  // Redis gets deadlines and a circuit breaker; requests degrade to in-memory lists while it is down.
  const r = config.policy.resilience;
  const cache: RecommendationCache =
    stores.cache.kind === 'redis' && !(stores.cache instanceof ResilientCache)
      ? new ResilientCache(
          stores.cache,
          {
            timeoutMs: r.cacheTimeoutMs,
            bulkTimeoutMs: r.cacheBulkTimeoutMs,
            failureThreshold: r.breakerFailureThreshold,
            openMs: r.breakerOpenMs,
          },
          logger.child({ module: 'cache' }),
        )
      : stores.cache;
  const metrics = new Metrics();
  const live = new LiveVersion(cache, logger.child({ module: 'live-version' }), opts.pollMs ?? 1000, (v) => metrics.setLiveVersion(v));
  const recommendations = new RecommendationService(cache, live, config.policy, metrics);
  const feedback = new FeedbackService(cache, db.catalog, config.policy, logger.child({ module: 'feedback' }), metrics);
  let flusher: NodeJS.Timeout | null = null;
  const ledger = new OutcomeLedger(cache, db.outcomes, config.policy.feedback.countersTtlSeconds, logger.child({ module: 'ledger' }));
  const runtime: Runtime = {
    config,
    logger,
    db,
    cache,
    live,
    metrics,
    draining: false,
    recommendations,
    feedback,
    events: new EventService(db, cache, config.policy, logger.child({ module: 'events' }), feedback, metrics),
    catalog: new CatalogService(db, cache, logger.child({ module: 'catalog' })),
    ledger,
    experiments: new ExperimentService(ledger, config.policy),
    growth: new GrowthService(db, ledger, config.policy),
    debug: new DebugService(db, cache, live, recommendations, config.policy),
    health: new HealthService({ db, cache, live, draining: () => runtime.draining }),
    startFlushing: () => {
      if (flusher) return;
      flusher = setInterval(() => {
        ledger.flush().catch((err) => logger.warn({ err }, 'outcome flush failed; the counters stay in the cache for the next one'));
      }, config.policy.feedback.flushSeconds * 1000);
      flusher.unref();
    },
    close: async () => {
      live.stop();
      if (flusher) clearInterval(flusher);
      await ledger.flush().catch((err) => logger.warn({ err }, 'the last outcome flush failed; the counters stay in the cache'));
      await Promise.allSettled([cache.close(), db.close()]);
    },
  };
  return runtime;
}

/** Embedded storage migrates itself; a real PostgreSQL must be migrated explicitly (`recs migrate`). */
export async function ensureSchema(db: Database): Promise<void> {
  if (db.kind === 'pglite') {
    await db.migrate();
    return;
  }
  if ((await db.schemaVersion()) === 0) {
    throw new Error('the database has no schema yet: run `recs migrate` first');
  }
}

/** Opens the stores, runs `fn`, and closes them whatever happens. */
export async function withStores<T>(config: AppConfig, fn: (s: { db: Database; cache: RecommendationCache }) => Promise<T>): Promise<T> {
  const stores = await openStores(config);
  try {
    return await fn(stores);
  } finally {
    await Promise.allSettled([stores.cache.close(), stores.db.close()]);
  }
}
