import { Router } from 'express';
import type { RecommendationService } from './service';
import { idSchema, parseOrThrow, recommendationsQuery, similarQuery } from '../serving/validation';

export function recommendationRoutes(service: RecommendationService): Router {
  const r = Router();
  r.get('/v1/users/:userId/recommendations', async (req, res) => {
    const userId = parseOrThrow(idSchema, req.params.userId, 'userId');
    const q = parseOrThrow(recommendationsQuery, req.query, 'query');
    res.json(await service.recommend({ userId, ...q }));
  });
  r.get('/v1/items/:itemId/similar', (req, res) => {
    const itemId = parseOrThrow(idSchema, req.params.itemId, 'itemId');
    const q = parseOrThrow(similarQuery, req.query, 'query');
    res.json(service.similar(itemId, q.limit));
  });
  return r;
}
