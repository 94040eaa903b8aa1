/**
 * Publishing: a version's artifacts go into the cache under the version's own keys (with a staging
 * TTL, so an interrupted publish cleans itself up), then the live pointer switches atomically.
 * The replaced version's keys stay until their retention TTL, so a rollback is instant.
 */
import type { RecommendationCache } from '../../src/storage/cache/port';
import type { ModelRegistry } from '../../src/storage/ports';
import type { Policy } from '../../src/config/policy';
import type { Logger } from '../../src/observability/logger';
import { readManifest, readMetaBytes, readUserLists, removeArtifacts } from './artifacts';

export interface PublishDeps {
  cache: RecommendationCache;
  models: ModelRegistry;
  modelsDir: string;
  policy: Policy;
  logger: Logger;
}

/** Writes the version's keys into the cache (not live yet). */
export async function stageVersion(deps: PublishDeps, version: string): Promise<{ users: number; seconds: number }> {
  const started = Date.now();
  const manifest = await readManifest(deps.modelsDir, version);
  const meta = await readMetaBytes(deps.modelsDir, version);
  const ttl = deps.policy.cache.stagingTtlSeconds;
  await deps.cache.writeVersion(version, { bucketCount: manifest.bucketCount, users: manifest.users }, meta, ttl);
  let users = 0;
  for await (const chunk of readUserLists(deps.modelsDir, version, 1000)) {
    await deps.cache.writeUserLists(version, chunk, ttl);
    users += chunk.length;
  }
  return { users, seconds: (Date.now() - started) / 1000 };
}

/** Switches live to a staged (or still retained) version, compare-and-set against the current live. */
export async function switchTo(deps: PublishDeps, version: string, expectedLive: string | null): Promise<void> {
  const ok = await deps.cache.switchLive(version, expectedLive, deps.policy.cache.previousVersionTtlSeconds);
  if (!ok) {
    throw new Error(`could not switch live to ${version}: the live version changed meanwhile or the version's keys are missing`);
  }
  await deps.models.markLive(version, Date.now());
}

export async function publishVersion(
  deps: PublishDeps,
  version: string,
): Promise<{ users: number; seconds: number; previous: string | null }> {
  const previous = await deps.cache.liveVersion();
  await deps.models.update(version, { status: 'publishing' });
  deps.logger.info({ version, previous }, 'publishing: staging the version in the cache');
  try {
    const staged = await stageVersion(deps, version);
    const started = Date.now();
    await switchTo(deps, version, previous);
    deps.logger.info({ version, previous, users: staged.users, seconds: staged.seconds }, 'published and switched live');
    return { users: staged.users, seconds: staged.seconds + (Date.now() - started) / 1000, previous };
  } catch (err) {
    await deps.cache.deleteVersion(version).catch(() => undefined);
    await deps.models.update(version, { status: 'failed' }).catch(() => undefined);
    throw err;
  }
}

/**
 * Switches back to an earlier version without retraining: from its retained cache keys when they
 * still exist, else re-staged from its artifacts on disk.
 */
export async function rollback(deps: PublishDeps, to?: string): Promise<{ from: string | null; to: string }> {
  const live = await deps.cache.liveVersion();
  let target = to ?? (await deps.cache.previousVersion());
  if (!target) {
    const candidates = (await deps.models.list(50)).filter((m) => m.version !== live && (m.status === 'retired' || m.status === 'ready'));
    target = candidates[0]?.version ?? null;
  }
  if (!target) throw new Error('no earlier version to roll back to');
  if (target === live) throw new Error(`${target} is already live`);
  if (!(await deps.cache.versionInfo(target))) await stageVersion(deps, target);
  await switchTo(deps, target, live);
  deps.logger.info({ from: live, to: target }, 'rolled back');
  return { from: live, to: target };
}

/**
 * The in-process cache starts empty in every process: load the registry's live version from its
 * artifacts so `recs serve` answers without Redis.
 */
export async function restoreLiveIntoMemory(deps: PublishDeps): Promise<string | null> {
  if (deps.cache.kind !== 'memory' || (await deps.cache.liveVersion())) return null;
  const live = await deps.models.live();
  if (!live) return null;
  await stageVersion(deps, live.version);
  const ok = await deps.cache.switchLive(live.version, null, deps.policy.cache.previousVersionTtlSeconds);
  if (!ok) throw new Error(`could not load ${live.version} into the in-process cache`);
  return live.version;
}

/**
 * Keeps the newest `policy.cache.keepVersions` versions (the live and the previous one always
 * among them): older ones leave the registry, MODELS_DIR and the cache.
 */
export async function pruneVersions(deps: PublishDeps): Promise<string[]> {
  const keep = deps.policy.cache.keepVersions;
  const [live, previous] = await Promise.all([deps.cache.liveVersion(), deps.cache.previousVersion()]);
  const all = await deps.models.list(); // newest first
  const protectedVersions = new Set([live, previous].filter((v): v is string => Boolean(v)));
  const kept = new Set<string>(protectedVersions);
  for (const m of all) {
    if (kept.size >= keep) break;
    kept.add(m.version);
  }
  const removed: string[] = [];
  for (const m of all) {
    if (kept.has(m.version) || m.status === 'live' || m.status === 'training' || m.status === 'publishing') continue;
    await deps.cache.deleteVersion(m.version).catch(() => undefined);
    await removeArtifacts(deps.modelsDir, m.version);
    await deps.models.remove(m.version);
    removed.push(m.version);
  }
  if (removed.length) deps.logger.info({ removed, keep }, 'pruned old versions');
  return removed;
}
