import { Router } from 'express';
import type { HealthService } from './service';

/** Liveness says the process runs (200 whatever the stores do); readiness is 503 only when not ready. */
export function healthRoutes(service: HealthService): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const readiness = await service.readiness();
    res.status(readiness.status === 'not_ready' ? 503 : 200).json(readiness);
  });
  return r;
}
