import { Router } from 'express';
import type { GrowthService } from './service';
import { outcomesCsv } from './service';
import { growthQuery } from './schemas';
import { parseOrThrow } from '../http/validation';

/** `GET /debug/growth` (the app guards /debug with the operator token); `Accept: text/csv` gives the outcome rows. */
export function growthRoutes(service: GrowthService): Router {
  const r = Router();
  r.get('/debug/growth', async (req, res) => {
    const range = parseOrThrow(growthQuery, req.query, 'query');
    const report = await service.report(range);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res.type('text/csv').send(outcomesCsv(report.outcomes));
      return;
    }
    res.json(report);
  });
  return r;
}
