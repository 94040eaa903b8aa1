import { Router } from 'express';
import type { ExperimentService } from './service';

/** `GET /debug/experiments` (the app guards /debug with the operator token). */
export function experimentRoutes(service: ExperimentService): Router {
  const r = Router();
  r.get('/debug/experiments', async (_req, res) => {
    res.json(await service.report());
  });
  return r;
}
