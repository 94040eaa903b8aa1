import { Router } from 'express';
import type { FeedbackService } from './service';
import { feedbackBody } from './schemas';
import { parseOrThrow } from '../http/validation';

export function feedbackRoutes(service: FeedbackService): Router {
  const r = Router();
  r.post('/v1/feedback', async (req, res) => {
    const { timestamp, ...body } = parseOrThrow(feedbackBody, req.body, 'body');
    const attributed = await service.record({ ...body, ts: timestamp });
    res.status(202).json({ accepted: 1, ...attributed });
  });
  return r;
}
