import { Router } from 'express';
import type { EventService } from './service';
import { eventsBody } from './schemas';
import { parseOrThrow } from '../http/validation';

export function eventRoutes(service: EventService): Router {
  const r = Router();
  r.post('/v1/events', async (req, res) => {
    const body = parseOrThrow(eventsBody, req.body, 'body');
    const now = Date.now();
    const accepted = await service.record(
      body.events.map((e) => ({ userId: e.userId, itemId: e.itemId, type: e.type, ts: e.timestamp ?? now })),
    );
    res.status(202).json({ accepted });
  });
  return r;
}
