import { Router } from 'express';
import type { DebugService } from './service';
import { itemParams, userParams, userQuery } from './schemas';
import { parseOrThrow } from '../http/validation';

/** Operator endpoints (the app guards /debug with `Authorization: Bearer <DEBUG_TOKEN>`). */
export function debugRoutes(service: DebugService): Router {
  const r = Router();
  r.get('/debug/users/:userId', async (req, res) => {
    const userId = parseOrThrow(userParams.shape.userId, req.params.userId, 'userId');
    const { limit } = parseOrThrow(userQuery, req.query, 'query');
    res.json(await service.user(userId, limit));
  });
  r.get('/debug/items/:itemId', async (req, res) => {
    const itemId = parseOrThrow(itemParams.shape.itemId, req.params.itemId, 'itemId');
    res.json(await service.item(itemId));
  });
  r.get('/debug/models', async (_req, res) => {
    res.json(await service.models());
  });
  r.get('/debug/segments', (_req, res) => {
    res.json(service.segments());
  });
  return r;
}
