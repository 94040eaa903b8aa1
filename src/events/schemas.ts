/** Request and answer schemas of `POST /v1/events`, and its OpenAPI description. */
import { z } from 'zod';
import { EVENT_TYPES } from '../domain/types';
import { idSchema, timestampSchema } from '../http/validation';
import type { RouteDoc } from '../http/openapi';

export const MAX_EVENTS_PER_CALL = 1000;

export const eventsBody = z
  .object({
    events: z
      .array(
        z
          .object({
            userId: idSchema,
            itemId: idSchema,
            type: z.enum(EVENT_TYPES, { message: `must be one of ${EVENT_TYPES.join(', ')}` }),
            timestamp: timestampSchema.optional().meta({ description: 'ISO-8601 or epoch seconds/ms; default now' }),
          })
          .strict(),
      )
      .min(1, 'must hold at least one event')
      .max(MAX_EVENTS_PER_CALL, `at most ${MAX_EVENTS_PER_CALL} events per call`),
  })
  .strict();

export const eventsAnswer = z.object({ accepted: z.number().int() });

export const eventRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/events',
    summary: 'Record browse, cart and purchase events (all or nothing); the next answer reflects them',
    tag: 'storefront',
    auth: 'apiKey',
    request: { body: eventsBody },
    responses: { 202: { description: 'stored', schema: eventsAnswer } },
    example: (f) => ({ body: { events: [{ userId: f.userId, itemId: f.itemId, type: 'view' }] }, status: 202 }),
  },
];
