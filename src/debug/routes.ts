import { Router } from 'express';
import { z } from 'zod';
import type { DebugService } from './service';
import { requireDebugToken } from '../serving/auth';
import { idSchema, parseOrThrow } from '../serving/validation';

const userQuery = z.object({ limit: z.coerce.number().int('must be an integer').min(1).max(100).default(20) }).strict();

/** Operator endpoints, all behind `Authorization: Bearer <DEBUG_TOKEN>`. */
export function debugRoutes(service: DebugService, token: string | undefined): Router {
  const r = Router();
  r.use('/debug', requireDebugToken(token));
  r.get('/debug/users/:userId', async (req, res) => {
    const userId = parseOrThrow(idSchema, req.params.userId, 'userId');
    const { limit } = parseOrThrow(userQuery, req.query, 'query');
    res.json(await service.user(userId, limit));
  });
  r.get('/debug/items/:itemId', async (req, res) => {
    res.json(await service.item(parseOrThrow(idSchema, req.params.itemId, 'itemId')));
  });
  r.get('/debug/models', async (_req, res) => {
    res.json(await service.models());
  });
  r.get('/debug/segments', (_req, res) => {
    res.json(service.segments());
  });
  r.get('/debug/experiments', async (_req, res) => {
    res.json(await service.experiments());
  });
  return r;
}
