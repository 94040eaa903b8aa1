import { Router } from 'express';
import type { RecommendationService, RecommendRequest } from './service';
import { idSchema, parseOrThrow, recommendationsQuery, similarQuery } from '../serving/validation';

/** Printable ASCII, 1..256 characters: always a valid id (idSchema accepts it), checked without zod. */
const PLAIN_ID = /^[\x20-\x7e]{1,256}$/;
/** A plain `limit` of 1..100 without leading zeros. */
const PLAIN_LIMIT = /^(?:100|[1-9][0-9]?)$/;

function userIdOf(raw: string): string {
  return PLAIN_ID.test(raw) ? raw : parseOrThrow(idSchema, raw, 'userId');
}

/**
 * The common query (nothing, or just a plain `limit`) is read directly; anything else goes through
 * the zod schema, which also words every error. Both give the same result for the same input.
 */
function recommendationQueryOf(query: Record<string, unknown>): Omit<RecommendRequest, 'userId'> {
  let n = 0;
  for (const k in query) {
    if (k !== 'limit') return parseOrThrow(recommendationsQuery, query, 'query');
    n++;
  }
  if (n === 0) return { limit: 10 };
  const limit = query.limit;
  if (typeof limit === 'string' && PLAIN_LIMIT.test(limit)) return { limit: Number(limit) };
  return parseOrThrow(recommendationsQuery, query, 'query');
}

export function recommendationRoutes(service: RecommendationService): Router {
  const r = Router();
  r.get('/v1/users/:userId/recommendations', async (req, res) => {
    const userId = userIdOf(req.params.userId);
    const q = recommendationQueryOf(req.query as Record<string, unknown>);
    res.json(await service.recommend({ userId, ...q }));
  });
  r.get('/v1/items/:itemId/similar', (req, res) => {
    const itemId = parseOrThrow(idSchema, req.params.itemId, 'itemId');
    const q = parseOrThrow(similarQuery, req.query, 'query');
    res.json(service.similar(itemId, q.limit));
  });
  return r;
}
