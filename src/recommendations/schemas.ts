/** Request and answer schemas of the storefront's read routes, and their OpenAPI descriptions. */
import { z } from 'zod';
import { PLACEMENTS, SEGMENTS } from '../domain/types';
import { idListSchema, idSchema } from '../http/validation';
import type { RouteDoc } from '../http/openapi';

const limit = (dflt: number) => z.coerce.number().int('must be an integer').min(1).max(100).default(dflt);

export const recommendationsQuery = z
  .object({
    limit: limit(10).meta({ description: 'list length, 1..100' }),
    category: idSchema.optional().meta({ description: 'only items of this category' }),
    exclude: idListSchema(100).optional().meta({ description: 'comma-separated item ids never to show' }),
    context: idSchema
      .optional()
      .meta({ description: 'the item whose page the shopper is on: required with placement=product; on home its neighbours blend in' }),
    placement: z
      .enum(PLACEMENTS, { message: `must be one of ${PLACEMENTS.join(', ')}` })
      .default('home')
      .meta({ description: "home (per shopper), product (for the context item's page), cart (complements of the cart)" }),
    cart: idListSchema(50).optional().meta({ description: "the cart's item ids, 1..50, with placement=cart" }),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.placement === 'product' && q.context === undefined)
      ctx.addIssue({ code: 'custom', path: ['context'], message: 'required with placement=product' });
    if (q.placement === 'cart' && (q.cart === undefined || q.cart.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['cart'], message: 'required with placement=cart: 1..50 item ids' });
    }
    if (q.placement !== 'cart' && q.cart !== undefined)
      ctx.addIssue({ code: 'custom', path: ['cart'], message: 'only with placement=cart' });
  });

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
    placement: z.enum(PLACEMENTS).meta({ description: "where the list is for: its sources and chain are that placement's" }),
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
