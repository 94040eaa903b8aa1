/** Request and answer schemas of `POST /v1/feedback`, and its OpenAPI description. */
import { z } from 'zod';
import { FEEDBACK_TYPES, SEGMENTS } from '../domain/types';
import { idSchema, timestampSchema } from '../http/validation';
import type { RouteDoc } from '../http/openapi';

export const feedbackBody = z
  .object({
    recommendationId: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, 'must be a recommendationId from an answer'),
    itemId: idSchema,
    type: z.enum(FEEDBACK_TYPES, { message: `must be one of ${FEEDBACK_TYPES.join(', ')}` }),
    timestamp: timestampSchema.optional().meta({ description: 'when it happened (its day in the ledger); default now' }),
  })
  .strict();

export const feedbackAnswer = z.object({ accepted: z.number().int(), variant: z.string(), segment: z.enum(SEGMENTS) });

export const feedbackRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/feedback',
    summary: "An impression, click or purchase of a recommended item, attributed to the answer's variant and segment",
    tag: 'storefront',
    auth: 'apiKey',
    request: { body: feedbackBody },
    responses: { 202: { description: 'counted', schema: feedbackAnswer } },
    example: (f) => ({ body: { recommendationId: f.recommendationId, itemId: f.itemId, type: 'click' }, status: 202 }),
  },
];
