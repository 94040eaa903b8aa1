import { Router } from 'express';
import type { RecommendationService, RecommendRequest } from './service';
import { idSchema, parseOrThrow, recommendationsQuery, similarQuery } from '../serving/validation';
import { sendJsonText } from '../serving/respond';
import { recommendationJson } from './json';

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

/** `GET /v1/users/:userId/recommendations`: validated, answered, serialized. */
async function recommendationsAnswer(service: RecommendationService, rawUserId: string, query: Record<string, unknown>): Promise<string> {
  const userId = userIdOf(rawUserId);
  const q = recommendationQueryOf(query);
  return recommendationJson(await service.recommend({ userId, ...q }));
}

/** `GET /v1/items/:itemId/similar`. */
function similarAnswer(service: RecommendationService, rawItemId: string, query: Record<string, unknown>): string {
  const itemId = parseOrThrow(idSchema, rawItemId, 'itemId');
  const q = parseOrThrow(similarQuery, query, 'query');
  return JSON.stringify(service.similar(itemId, q.limit));
}

const RECOMMENDATIONS = '/v1/users/:userId/recommendations';
const SIMILAR = '/v1/items/:itemId/similar';

/** The storefront's read routes. */
export function recommendationRoutes(service: RecommendationService): Router {
  const r = Router();
  r.get(RECOMMENDATIONS, async (req, res) => {
    sendJsonText(res, await recommendationsAnswer(service, req.params.userId, req.query as Record<string, unknown>));
  });
  r.get(SIMILAR, (req, res) => {
    sendJsonText(res, similarAnswer(service, req.params.itemId, req.query as Record<string, unknown>));
  });
  return r;
}
