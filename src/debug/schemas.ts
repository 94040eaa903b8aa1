/** Request and answer schemas of the operator endpoints, and their OpenAPI descriptions. */
import { z } from 'zod';
import { EVENT_TYPES, PRICE_BANDS, SEGMENTS } from '../domain/types';
import { idSchema } from '../http/validation';
import type { RouteDoc } from '../http/openapi';

export const userParams = z.object({ userId: idSchema });
export const itemParams = z.object({ itemId: idSchema });
export const userQuery = z.object({ limit: z.coerce.number().int('must be an integer').min(1).max(100).default(20) }).strict();

const isoTime = z.string().nullable();

export const debugUserAnswer = z
  .looseObject({
    userId: z.string(),
    modelVersion: z.string(),
    known: z.boolean(),
    segment: z.enum(SEGMENTS),
    segmentReason: z.string(),
    features: z.looseObject({ firstSeen: isoTime, lastSeen: isoTime }).nullable(),
    favouriteCategories: z.array(z.string()),
    profile: z.object({
      favouriteCategories: z.array(z.string()),
      priceBand: z.enum(PRICE_BANDS).nullable(),
      purchaseCadenceDays: z.number().nullable(),
      lifecycleAgeDays: z.number().nullable(),
      dominantEventType: z.enum(EVENT_TYPES).nullable(),
    }),
    variant: z.string(),
    recentEvents: z.array(z.object({ itemId: z.string(), type: z.string(), timestamp: z.string() })),
    session: z.array(z.object({ itemId: z.string(), type: z.string(), timestamp: z.string() })),
    recommendations: z.array(
      z.looseObject({
        itemId: z.string(),
        source: z.string(),
        score: z.number(),
        parts: z.looseObject({}),
        neighbourOf: z.array(z.looseObject({})),
      }),
    ),
    fallbackChain: z.array(z.object({ step: z.string(), max: z.number().nullable() })),
    fallbacks: z.array(z.looseObject({ step: z.string(), served: z.number() })),
    filtered: z.record(z.string(), z.number()),
  })
  .meta({
    id: 'DebugUser',
    description: 'segment and the features behind it, recent events, every item with its provenance, the fallback chain',
  });

export const debugItemAnswer = z
  .looseObject({
    itemId: z.string(),
    modelVersion: z.string(),
    inModel: z.boolean(),
    category: z.string().nullable(),
    availability: z.looseObject({ now: z.boolean() }),
    neighbours: z.looseObject({}),
  })
  .meta({ id: 'DebugItem', description: 'neighbours by each model, popularity ranks, availability' });

export const debugModelsAnswer = z
  .looseObject({
    live: z.string().nullable(),
    previous: z.string().nullable(),
    loaded: z.string().nullable(),
    versions: z.array(
      z.looseObject({
        version: z.string(),
        status: z.string(),
        live: z.boolean(),
        createdAt: z.string(),
        publishedAt: isoTime,
        metrics: z.looseObject({}),
      }),
    ),
  })
  .meta({ id: 'DebugModels', description: 'every stored version with its status, holdout metrics, gate decision and timings' });

export const debugSegmentsAnswer = z
  .looseObject({
    modelVersion: z.string(),
    segments: z.array(z.looseObject({ segment: z.enum(SEGMENTS), users: z.number(), chain: z.array(z.looseObject({ step: z.string() })) })),
  })
  .meta({ id: 'DebugSegments', description: "segment sizes and the head of each segment's fallback chain" });

const route = (path: string, summary: string, schema: z.ZodType, extra: Partial<RouteDoc> = {}): RouteDoc => ({
  method: 'get',
  path,
  summary,
  tag: 'operators',
  auth: 'debugToken',
  responses: { 200: { description: summary, schema } },
  example: () => ({ status: 200 }),
  ...extra,
});

export const debugRouteDocs: RouteDoc[] = [
  route('/debug/users/{userId}', 'Why a shopper gets what they get', debugUserAnswer, {
    request: { params: userParams, query: userQuery },
    example: (f) => ({ params: { userId: f.userId }, query: { limit: '5' }, status: 200 }),
  }),
  route('/debug/items/{itemId}', "An item's neighbours, popularity and availability", debugItemAnswer, {
    request: { params: itemParams },
    example: (f) => ({ params: { itemId: f.itemId }, status: 200 }),
  }),
  route('/debug/models', 'Stored model versions, which one is live', debugModelsAnswer),
  route('/debug/segments', 'Segment sizes and fallback chains', debugSegmentsAnswer),
];
