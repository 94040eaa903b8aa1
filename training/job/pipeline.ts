/**
 * The nightly job: load events and catalogue from the database (streamed), fit the models,
 * evaluate a holdout carved from the training data, write the version's artifacts, register it,
 * and with `publish` pass the quality gate and switch it live.
 */
import type { Database } from '../../src/storage/ports';
import type { RecommendationCache } from '../../src/storage/cache/port';
import type { Policy } from '../../src/config/policy';
import type { Logger } from '../../src/observability/logger';
import { NO_PROGRESS, type Progress } from '../../src/observability/terminal';
import { loadDataset } from '../data/load';
import type { GateDecision, VersionMetrics } from '../../src/contracts/versionRecord';
import { carveHoldout } from '../evaluation/splits';
import { saveEmbedding } from '../models/embedding/model';
import { trainModels } from './train';
import { evaluateHoldout } from './holdout';
import { newVersionId, writeArtifacts, listArtifactVersions, manifestFor } from './artifacts';
import { publishVersion, pruneVersions } from './publish';
import path from 'path';
import { compareWithLive, decideGate } from './gate';

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
  /** Relative NDCG@10 loss against the live version that the gate still accepts (default: policy). */
  tolerance?: number;
  /** Where to show the run's progress (a terminal's bars); none by default. */
  progress?: Progress;
}

export interface TrainReport {
  version: string;
  status: 'live' | 'ready' | 'rejected';
  events: number;
  users: number;
  items: number;
  segments: Record<string, number>;
  metrics: VersionMetrics;
  timings: Record<string, number>;
  gate?: GateDecision;
  previous?: string | null;
  /** Old versions removed from the registry and MODELS_DIR after the publish. */
  pruned?: string[];
}

/** The registry lock every trainer holds for its whole run: one trainer at a time per database. */
export const TRAINER_LOCK = 'recs-trainer';

export class TrainerBusyError extends Error {
  constructor() {
    super(
      'another `recs train` is running against this database (it holds the trainer lock); nothing was done: wait for it to finish and retry',
    );
    this.name = 'TrainerBusyError';
  }
}

/**
 * Runs one training under the trainer lock. Two trainers started at once cannot both publish: the
 * second fails fast with TrainerBusyError. Holding the lock also proves that versions still in
 * `training`/`publishing` belong to a run that died: they are marked failed and their cache keys
 * removed before this run starts (the live version is never touched).
 */
export async function runTraining(opts: TrainOptions): Promise<TrainReport> {
  const lock = await opts.db.tryLock(TRAINER_LOCK);
  if (!lock) throw new TrainerBusyError();
  try {
    await cleanupAbandonedVersions(opts);
    return await trainLocked(opts);
  } finally {
    await lock.release().catch((err) => opts.logger.warn({ err }, 'could not release the trainer lock'));
  }
}

/** Marks versions left in `training`/`publishing` by a dead trainer failed and deletes their cache keys. */
export async function cleanupAbandonedVersions(opts: Pick<TrainOptions, 'db' | 'cache' | 'logger'>): Promise<string[]> {
  const stale = [...(await opts.db.models.withStatus('training')), ...(await opts.db.models.withStatus('publishing'))];
  const cacheLive = stale.length && opts.cache ? await opts.cache.liveVersion() : null;
  for (const m of stale) {
    if (m.version === cacheLive) {
      // Killed between the cache switch and the registry update: the version is serving; record that.
      await opts.db.models.markLive(m.version, Date.now());
      opts.logger.warn({ version: m.version }, 'an interrupted run had switched the cache live: registered it as live');
      continue;
    }
    if (opts.cache) {
      await opts.cache
        .deleteVersion(m.version)
        .catch((err) => opts.logger.warn({ err, version: m.version }, 'could not delete the cache keys of an abandoned version'));
    }
    await opts.db.models.update(m.version, { status: 'failed' });
  }
  const failed = stale.filter((m) => m.version !== cacheLive).map((m) => m.version);
  if (failed.length) opts.logger.warn({ versions: failed }, 'marked versions abandoned by an interrupted run as failed');
  return failed;
}

/** The stages of a run, in order (the progress bar counts them). */
const STAGES = ['load', 'evaluate', 'fit', 'write'] as const;
const PUBLISH_STAGES = ['gate', 'publish'] as const;

async function trainLocked(opts: TrainOptions): Promise<TrainReport> {
  const { logger } = opts;
  const timings: Record<string, number> = {};
  const stages: readonly Stage[] = opts.publish ? [...STAGES, ...PUBLISH_STAGES] : STAGES;
  const bar = (opts.progress ?? NO_PROGRESS).bar('training', stages.length);
  const time: TimeStage = async (stage, fn) => {
    bar.update(stages.indexOf(stage), stage);
    const t0 = process.hrtime.bigint();
    const out = await fn();
    timings[stage] = Number(process.hrtime.bigint() - t0) / 1e9;
    logger.info({ stage, seconds: Math.round(timings[stage] * 1000) / 1000 }, 'stage done');
    return out;
  };
  try {
    return await trainStages(opts, time, timings);
  } finally {
    bar.stop();
  }
}

type Stage = (typeof STAGES)[number] | (typeof PUBLISH_STAGES)[number];
type TimeStage = <T>(stage: Stage, fn: () => Promise<T> | T) => Promise<T>;

async function trainStages(opts: TrainOptions, time: TimeStage, timings: Record<string, number>): Promise<TrainReport> {
  const { db, policy, logger } = opts;

  await listArtifactVersions(opts.modelsDir); // removes leftovers of interrupted runs
  const version = newVersionId();
  const createdAt = Date.now();
  await db.models.create(version, createdAt);
  logger.info({ version }, 'training started');
  try {
    const dataset = await time('load', () => loadDataset(db, { now: opts.now, log: (n) => logger.info({ events: n }, 'events loaded') }));
    if (dataset.nEvents === 0) throw new Error('no events in the database: run `recs import` first');

    // Carved once: the holdout evaluation and both sides of the gate score the same cases.
    const split = carveHoldout(dataset, policy);
    const { results: holdout, ranks: holdoutRanks } = await time('evaluate', () => evaluateHoldout(split, policy));
    const trained = await time('fit', () => trainModels(dataset, policy, { version, createdAt, log: (m) => logger.info(m) }));
    Object.assign(timings, Object.fromEntries(Object.entries(trained.timings).map(([k, v]) => [`fit.${k}`, v])));
    const metrics: VersionMetrics = { ...trained.metrics, holdout };

    const manifest = await time('write', async () => {
      const written = await writeArtifacts(
        opts.modelsDir,
        manifestFor(trained.meta, { createdAt, metrics, timings, policy }),
        trained.meta,
        trained.packedLists(),
        trained.embedding ? (dir) => saveEmbedding(path.join(dir, 'embedding'), trained.embedding!) : undefined,
      );
      // Each shopper's segment in this version: segment movement between versions reads them.
      await db.segments.write(version, trained.segmentRows());
      return written;
    });
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
    const heldOut = holdout.published;
    const candidateRanks = holdoutRanks.published;
    const withLive =
      live && heldOut && candidateRanks
        ? await time('gate', () =>
            compareWithLive(split, dataset, policy, opts.modelsDir, live.version, {
              hr10: heldOut.hr10,
              ndcg10: heldOut.ndcg10,
              ranks: candidateRanks,
            }),
          )
        : null;
    const gate = decideGate({
      candidateMetrics: metrics,
      liveMetrics: live?.metrics,
      paired: withLive?.comparison,
      ...(candidateRanks ? { ranks: { candidate: candidateRanks, popular: holdoutRanks.popular, live: withLive?.liveRanks } } : {}),
      tolerance: opts.tolerance ?? policy.gate.tolerance,
      minCases: policy.gate.minCases,
      driftTolerance: policy.gate.driftTolerance,
      force: opts.force,
    });
    metrics.gate = gate;
    await db.models.update(version, { metrics });
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
    report.pruned = await pruneVersions({ cache: opts.cache, models: db.models, modelsDir: opts.modelsDir, policy, logger });
    for (const v of report.pruned) await db.segments.remove(v);
    return report;
  } catch (err) {
    await db.models.update(version, { status: 'failed' }).catch(() => undefined);
    throw err;
  }
}
