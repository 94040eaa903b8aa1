import type { Request, Router } from 'express';
import type { RecommendationService, RecommendRequest } from './service';
import { recommendationsQuery, similarQuery } from './schemas';
import { idSchema, parseOrThrow } from '../http/validation';
import { sendJson } from '../http/respond';
import type { BeginRequest } from '../http/requestContext';
import { recommendationJson } from './json';

/** Printable ASCII, 1..256 characters: always a valid id (idSchema accepts it), checked without zod. */
const PLAIN_ID = /^[\x20-\x7e]{1,256}$/;
/** A query string that is just a plain limit (what storefronts send), read without parsing a query object. */
const LIMIT_ONLY_QUERY = /^limit=(100|[1-9][0-9]?)$/;

function userIdOf(raw: string): string {
  return PLAIN_ID.test(raw) ? raw : parseOrThrow(idSchema, raw, 'userId');
}

/**
 * The common query (nothing, or just a plain `limit`) is read from the raw query string; anything
 * else goes through the zod schema, which also words every error. Both give the same result for the
 * same input.
 */
function recommendationQueryOfRequest(req: Request): Omit<RecommendRequest, 'userId'> {
  const at = req.url.indexOf('?');
  if (at < 0) return { limit: 10 };
  const plain = LIMIT_ONLY_QUERY.exec(req.url.slice(at + 1));
  if (plain) return { limit: Number(plain[1]) };
  return parseOrThrow(recommendationsQuery, req.query, 'query');
}

/** `GET /v1/users/:userId/recommendations`: validated, answered, serialized. */
async function recommendationsAnswer(service: RecommendationService, req: Request<{ userId: string }>): Promise<Buffer> {
  const userId = userIdOf(req.params.userId);
  const q = recommendationQueryOfRequest(req);
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

/**
 * Adds the storefront's read routes to `r` (the app itself on the hot path). Each starts the request
 * context itself (`begin`: request id, timing and access line) before anything can fail, so it is
 * registered ahead of the context middleware; the security headers go out with the answer (sendJson)
 * or with the error answer (errorHandler).
 */
export function addRecommendationRoutes(r: Pick<Router, 'get'>, service: RecommendationService, begin: BeginRequest): void {
  r.get(RECOMMENDATIONS, async (req, res) => {
    begin(req, res, true);
    sendJson(res, await recommendationsAnswer(service, req));
  });
  r.get(SIMILAR, (req, res) => {
    begin(req, res, true);
    sendJson(res, similarAnswer(service, req.params.itemId, req.query as Record<string, unknown>));
  });
}
