import { Router } from 'express';
import type { CatalogService } from './service';
import { itemBody } from './schemas';
import { idSchema, parseOrThrow } from '../http/validation';
import type { Item } from '../domain/types';

const toJson = (item: Item) => ({
  itemId: item.itemId,
  category: item.category,
  available: item.available,
  price: item.price,
  createdAt: item.createdAt === null ? null : new Date(item.createdAt).toISOString(),
});

export function catalogRoutes(service: CatalogService): Router {
  const r = Router();
  r.put('/v1/items/:itemId', async (req, res) => {
    const itemId = parseOrThrow(idSchema, req.params.itemId, 'itemId');
    const body = parseOrThrow(itemBody, req.body ?? {}, 'body');
    res.json(toJson(await service.upsert({ itemId, ...body })));
  });
  return r;
}
