import { Router } from 'express';
import type { Database } from '../storage/ports';
import type { RecommendationCache } from '../storage/cache/port';
import type { LiveVersion } from '../live/liveVersion';
import { ResilientCache } from '../storage/cache/resilientCache';

/**
 * Liveness says the process runs (it stays 200 whatever the stores do). Readiness says a model is
 * loaded and whether its stores answer: 200 `ready` when all answer; 200 `degraded` when the model
 * is loaded but the cache or the database is down (recommendations still come from memory, marked
 * `degraded`, so pulling every replica out of a load balancer would only turn that into an outage);
 * 503 without a model or while shutting down.
 */
export function healthRoutes(deps: { db: Database; cache: RecommendationCache; live: LiveVersion; draining?: () => boolean }): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    const v = deps.live.version();
    checks.model = v ? v.meta.version : 'none';
    const probe = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
        checks[name] = 'ok';
      } catch (err) {
        checks[name] = `down: ${(err as Error).message}`;
      }
    };
    await Promise.all([probe('cache', () => deps.cache.ping()), probe('database', () => deps.db.ping())]);
    if (deps.cache instanceof ResilientCache) checks.cacheCircuit = deps.cache.breaker.state();
    const draining = deps.draining?.() ?? false;
    if (draining) checks.lifecycle = 'shutting down';
    const degraded = checks.cache !== 'ok' || checks.database !== 'ok' || checks.cacheCircuit === 'open';
    const status = !v || draining ? 'not_ready' : degraded ? 'degraded' : 'ready';
    res.status(status === 'not_ready' ? 503 : 200).json({ status, degraded, checks });
  });
  return r;
}
