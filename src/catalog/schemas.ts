/** Request and answer schemas of `PUT /v1/items/:itemId`, and its OpenAPI description. */
import { z } from 'zod';
import { idSchema, timestampSchema } from '../http/validation';
import type { RouteDoc } from '../http/openapi';

export const itemParams = z.object({ itemId: idSchema });

export const itemBody = z
  .object({
    category: idSchema.nullable().optional(),
    available: z.boolean().optional().meta({ description: 'false hides the item from every answer at once' }),
    price: z.number().finite().min(0).max(1e12).nullable().optional(),
    createdAt: timestampSchema.nullable().optional(),
  })
  .strict();

export const itemAnswer = z
  .object({
    itemId: z.string(),
    category: z.string().nullable(),
    available: z.boolean(),
    price: z.number().nullable(),
    createdAt: z.string().nullable(),
  })
  .meta({ id: 'Item' });

export const catalogRouteDocs: RouteDoc[] = [
  {
    method: 'put',
    path: '/v1/items/{itemId}',
    summary: 'Catalogue upsert: only the given fields change',
    tag: 'storefront',
    auth: 'apiKey',
    request: { params: itemParams, body: itemBody },
    responses: { 200: { description: 'the item as stored', schema: itemAnswer } },
    example: (f) => ({ params: { itemId: f.itemId }, body: { price: 12.5 }, status: 200 }),
  },
];
