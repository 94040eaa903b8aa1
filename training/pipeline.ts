/**
 * The nightly job: load events and catalogue from the database (streamed), fit the models,
 * evaluate a holdout carved from the training data, write the version's artifacts, register it,
 * and with `publish` pass the quality gate and switch it live.
 */
import type { Database } from '../src/storage/ports';
import type { RecommendationCache } from '../src/storage/cache/port';
import type { Policy } from '../src/config/policy';
import type { Logger } from '../src/logger';
import { DatasetBuilder } from './dataset';
import { trainModels, evaluateHoldout } from './train';
import { newVersionId, writeArtifacts, listArtifactVersions } from './artifacts';
import { publishVersion } from './publish';

export interface TrainOptions {
  db: Database;
  cache?: RecommendationCache;
  policy: Policy;
  modelsDir: string;
  logger: Logger;
  publish: boolean;
  force: boolean;
  /** Overrides "now" (epoch ms); default: the newest event. */
  now?: number;
  /** Relative NDCG@10 loss against the live version that the gate still accepts. */
  tolerance?: number;
}

export interface GateDecision {
  passed: boolean;
  forced: boolean;
  reasons: string[];
}

export interface TrainReport {
  version: string;
  status: 'live' | 'ready' | 'rejected';
  events: number;
  users: number;
  items: number;
  segments: Record<string, number>;
  metrics: Record<string, unknown>;
  timings: Record<string, number>;
  gate?: GateDecision;
  previous?: string | null;
}

interface HoldoutMetric {
  hr10: number;
  ndcg10: number;
}

function metricOf(metrics: Record<string, unknown> | undefined, model: string): HoldoutMetric | undefined {
  const h = (metrics?.holdout as Record<string, HoldoutMetric> | undefined)?.[model];
  return h && typeof h.ndcg10 === 'number' ? h : undefined;
}

/** Publishes only a candidate that beats popularity and does not lose to the live version. */
export function decideGate(
  candidate: Record<string, unknown>,
  live: Record<string, unknown> | undefined,
  tolerance: number,
  force: boolean,
): GateDecision {
  const reasons: string[] = [];
  const cand = metricOf(candidate, 'published');
  const pop = metricOf(candidate, 'popular');
  if (!cand) reasons.push('candidate has no holdout metrics');
  else {
    if (pop && cand.ndcg10 < pop.ndcg10 && cand.hr10 < pop.hr10) {
      reasons.push(`candidate NDCG@10 ${cand.ndcg10.toFixed(4)} is below popularity's ${pop.ndcg10.toFixed(4)}`);
    }
    const liveMetric = metricOf(live, 'published');
    if (liveMetric && cand.ndcg10 < liveMetric.ndcg10 * (1 - tolerance)) {
      reasons.push(
        `candidate NDCG@10 ${cand.ndcg10.toFixed(4)} is below the live version's ${liveMetric.ndcg10.toFixed(4)} (tolerance ${(tolerance * 100).toFixed(1)}%)`,
      );
    }
  }
  return { passed: reasons.length === 0 || force, forced: force && reasons.length > 0, reasons };
}

export async function runTraining(opts: TrainOptions): Promise<TrainReport> {
  const { db, policy, logger } = opts;
  const timings: Record<string, number> = {};
  const time = async <T>(stage: string, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = process.hrtime.bigint();
    const out = await fn();
    timings[stage] = Number(process.hrtime.bigint() - t0) / 1e9;
    logger.info({ stage, seconds: Math.round(timings[stage] * 1000) / 1000 }, 'stage done');
    return out;
  };

  await listArtifactVersions(opts.modelsDir); // removes leftovers of interrupted runs
  const version = newVersionId();
  const createdAt = Date.now();
  await db.models.create(version, createdAt);
  logger.info({ version }, 'training started');
  try {
    const dataset = await time('load', async () => {
      const builder = new DatasetBuilder();
      for await (const batch of db.catalog.streamItems(20000)) builder.addItems(batch);
      let n = 0;
      for await (const batch of db.events.streamEvents(50000)) {
        builder.add(batch);
        n += batch.length;
      }
      logger.info({ events: n }, 'events loaded');
      return builder.build({ now: opts.now });
    });
    if (dataset.nEvents === 0) throw new Error('no events in the database: run `recs import` first');

    const holdout = await time('evaluate', () => evaluateHoldout(dataset, policy));
    const trained = await time('fit', () => trainModels(dataset, policy, { version, createdAt, log: (m) => logger.info(m) }));
    Object.assign(timings, Object.fromEntries(Object.entries(trained.timings).map(([k, v]) => [`fit.${k}`, v])));
    const metrics: Record<string, unknown> = { ...trained.metrics, holdout };

    const manifest = await time('write', () =>
      writeArtifacts(
        opts.modelsDir,
        {
          version,
          createdAt: new Date(createdAt).toISOString(),
          now: new Date(trained.meta.now).toISOString(),
          users: trained.meta.users,
          items: trained.meta.itemIds.length,
          bucketCount: trained.meta.bucketCount,
          metrics,
          timings,
          policy,
        },
        trained.meta,
        trained.users(),
      ),
    );
    await db.models.update(version, { status: 'ready', metrics, timings, manifest: { ...manifest, policy: undefined } });

    const report: TrainReport = {
      version,
      status: 'ready',
      events: dataset.nEvents,
      users: trained.meta.users,
      items: trained.meta.itemIds.length,
      segments: trained.meta.segmentSizes,
      metrics,
      timings,
    };
    if (!opts.publish) return report;
    if (!opts.cache) throw new Error('publishing needs a cache');

    const live = await db.models.live();
    const gate = decideGate(metrics, live?.metrics, opts.tolerance ?? 0.02, opts.force);
    report.gate = gate;
    if (!gate.passed) {
      await db.models.update(version, { status: 'rejected' });
      logger.warn({ version, reasons: gate.reasons, live: live?.version }, 'quality gate refused the candidate; live version unchanged');
      report.status = 'rejected';
      return report;
    }
    const published = await time('publish', () =>
      publishVersion({ cache: opts.cache!, models: db.models, modelsDir: opts.modelsDir, policy, logger }, version),
    );
    await db.models.update(version, { timings });
    report.status = 'live';
    report.previous = published.previous;
    return report;
  } catch (err) {
    await db.models.update(version, { status: 'failed' }).catch(() => undefined);
    throw err;
  }
}
