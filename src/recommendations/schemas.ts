/** Request and answer schemas of the storefront's read routes, and their OpenAPI descriptions. */
import { z } from 'zod';
import { SEGMENTS } from '../domain/types';
import { idListSchema, idSchema } from '../http/validation';
import type { RouteDoc } from '../http/openapi';

const limit = (dflt: number) => z.coerce.number().int('must be an integer').min(1).max(100).default(dflt);

export const recommendationsQuery = z
  .object({
    limit: limit(10).meta({ description: 'list length, 1..100' }),
    category: idSchema.optional().meta({ description: 'only items of this category' }),
    exclude: idListSchema(100).optional().meta({ description: 'comma-separated item ids never to show' }),
    context: idSchema.optional().meta({ description: 'the item whose page the shopper is on: its neighbours are blended in' }),
  })
  .strict();

export const similarQuery = z.object({ limit: limit(10) }).strict();

export const userParams = z.object({ userId: idSchema });
export const itemParams = z.object({ itemId: idSchema });

export const rankedItem = z.object({
  itemId: z.string(),
  score: z.number(),
  source: z.string().meta({ description: 'itemcf, embedding, session, context, refind, trending, popular, segment:<name>...' }),
});

export const recommendationAnswer = z
  .object({
    userId: z.string(),
    segment: z.enum(SEGMENTS),
    modelVersion: z.string(),
    recommendationId: z.string().meta({ description: 'send it back with POST /v1/feedback' }),
    variant: z.string(),
    degraded: z.boolean().meta({ description: 'true when the cache was down and the answer came from in-memory lists' }),
    items: z.array(rankedItem),
  })
  .meta({ id: 'Recommendations' });

export const similarAnswer = z
  .object({ itemId: z.string(), modelVersion: z.string(), items: z.array(rankedItem) })
  .meta({ id: 'SimilarItems' });

export const recommendationRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/users/{userId}/recommendations',
    summary: "A shopper's ranked list: personal, blended with the live session, filtered, filled along the segment's fallback chain",
    tag: 'storefront',
    request: { params: userParams, query: recommendationsQuery },
    responses: {
      200: { description: 'the ranked list (never empty while the catalogue has an available item)', schema: recommendationAnswer },
    },
    example: (f) => ({ params: { userId: f.userId }, query: { limit: '5' }, status: 200 }),
  },
  {
    method: 'get',
    path: '/v1/items/{itemId}/similar',
    summary: "Items like this one (the product page's non-personal list)",
    tag: 'storefront',
    request: { params: itemParams, query: similarQuery },
    responses: { 200: { description: 'neighbours, then the category, then popular', schema: similarAnswer } },
    example: (f) => ({ params: { itemId: f.itemId }, query: { limit: '5' }, status: 200 }),
  },
];
