/**
 * Wires `recs simulate` (and the demo's short run): the storefront client on the service's URL, and
 * the nightly `recs train --publish` on the service's stores between days.
 */
import type { AppConfig } from '../config';
import type { Logger } from '../observability/logger';
import type { Progress } from '../observability/terminal';
import type { RecommendationCache } from '../storage/cache/port';
import type { Database } from '../storage/ports';
import { StorefrontClient } from '../simulate/client';
import type { Storefront } from '../sample/storefront';
import { simulateStorefront, type DaySummary, type WorldOptions } from '../simulate/simulation';
import { runTraining } from '../../training/job/pipeline';

const DAY = 24 * 3600 * 1000;

export interface SimulateOptions {
  config: AppConfig;
  db: Database;
  cache: RecommendationCache;
  logger: Logger;
  url: string;
  days: number;
  shoppers: number;
  seed: number;
  /** The world's first simulated day; default: `days` days before today (UTC), so the last one ends today. */
  start?: number;
  /** The world's shape when it must match data already imported (the demo's sample). */
  world?: Partial<WorldOptions>;
  /** The storefront the world generates, when the caller already has it (simulation.ts). */
  sample?: Storefront;
  progress?: Progress;
}

export async function simulate(opts: SimulateOptions): Promise<DaySummary[]> {
  const today = Math.floor(Date.now() / DAY) * DAY;
  const world: WorldOptions = {
    shoppers: opts.shoppers,
    items: Math.max(200, Math.round(opts.shoppers * 0.4)),
    categories: 20,
    historyDays: 90,
    seed: opts.seed,
    start: opts.start ?? today - opts.days * DAY,
    ...opts.world,
  };
  const bar = opts.progress?.bar('simulating', opts.days);
  try {
    return await simulateStorefront({
      client: new StorefrontClient(opts.url, opts.config.apiKey),
      world,
      ...(opts.sample ? { sample: opts.sample } : {}),
      days: opts.days,
      log: (line) => opts.logger.info(line),
      onDay: (day, summary) => bar?.update(day, summary.day),
      train: async () => {
        const report = await runTraining({
          db: opts.db,
          cache: opts.cache,
          policy: opts.config.policy,
          modelsDir: opts.config.modelsDir,
          logger: opts.logger,
          publish: true,
          force: false,
        });
        return { version: report.version, status: report.status };
      },
    });
  } finally {
    bar?.stop();
  }
}
