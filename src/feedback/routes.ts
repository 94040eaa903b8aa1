import { Router } from 'express';
import { z } from 'zod';
import type { FeedbackService } from './service';
import { FEEDBACK_TYPES } from './service';
import { idSchema, parseOrThrow } from '../serving/validation';

const feedbackBody = z
  .object({
    recommendationId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be a recommendationId from an answer'),
    itemId: idSchema,
    type: z.enum(FEEDBACK_TYPES, { message: `must be one of ${FEEDBACK_TYPES.join(', ')}` }),
  })
  .strict();

export function feedbackRoutes(service: FeedbackService): Router {
  const r = Router();
  r.post('/v1/feedback', async (req, res) => {
    const body = parseOrThrow(feedbackBody, req.body, 'body');
    const attributed = await service.record(body);
    res.status(202).json({ accepted: 1, ...attributed });
  });
  return r;
}
