import { Router } from 'express';
import type { Policy } from '../config/policy';
import type { ExperimentService } from './service';

/** `GET /debug/experiments` (the app guards /debug with the operator token). */
export function experimentRoutes(service: ExperimentService, policy: Policy): Router {
  const r = Router();
  r.get('/debug/experiments', async (_req, res) => {
    res.json({ config: policy.experiment, ...(await service.report()) });
  });
  return r;
}
