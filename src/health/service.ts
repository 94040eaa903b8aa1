/**
 * Readiness: a model is loaded and whether its stores answer. `degraded` when the model is loaded
 * but the cache or the database is down (recommendations still come from memory, marked
 * `degraded`, so pulling every replica out of a load balancer would only turn that into an
 * outage); `not_ready` without a model or while shutting down.
 */
import type { Database } from '../storage/ports';
import type { RecommendationCache } from '../storage/cache/port';
import type { LiveVersion } from '../live/liveVersion';
import { ResilientCache } from '../storage/cache/resilientCache';

export interface Readiness {
  status: 'ready' | 'degraded' | 'not_ready';
  degraded: boolean;
  checks: Record<string, string>;
}

export class HealthService {
  constructor(private readonly deps: { db: Database; cache: RecommendationCache; live: LiveVersion; draining?: () => boolean }) {}

  async readiness(): Promise<Readiness> {
    const { db, cache, live, draining: isDraining } = this.deps;
    const checks: Record<string, string> = {};
    const v = live.version();
    checks.model = v ? v.meta.version : 'none';
    const probe = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
        checks[name] = 'ok';
      } catch (err) {
        checks[name] = `down: ${(err as Error).message}`;
      }
    };
    await Promise.all([probe('cache', () => cache.ping()), probe('database', () => db.ping())]);
    if (cache instanceof ResilientCache) checks.cacheCircuit = cache.breaker.state();
    const draining = isDraining?.() ?? false;
    if (draining) checks.lifecycle = 'shutting down';
    const degraded = checks.cache !== 'ok' || checks.database !== 'ok' || checks.cacheCircuit === 'open';
    const status = !v || draining ? 'not_ready' : degraded ? 'degraded' : 'ready';
    return { status, degraded, checks };
  }
}
