import { Router } from 'express';
import type { Database } from '../storage/ports';
import type { RecommendationCache } from '../storage/cache/port';
import type { LiveModel } from '../recommendations/liveModel';

/** Liveness says the process runs; readiness says a model is loaded and its stores answer. */
export function healthRoutes(deps: { db: Database; cache: RecommendationCache; live: LiveModel }): Router {
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
    const ready = Boolean(v) && checks.cache === 'ok' && checks.database === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  return r;
}
