/**
 * The storefront's read routes, served in front of Express.
 *
 * `GET /v1/users/:userId/recommendations` and `GET /v1/items/:itemId/similar` are nearly all of a
 * storefront's traffic, and on this stack Express 5's per-request dispatch (prototype swaps on req
 * and res, the router walk, `res.send`) costs several times the rest of such a request (README,
 * Benchmarks). So a request whose method and path match one of these routes exactly is answered
 * here, with everything Express would have given it: the request id and access log, the latency
 * histogram under the same route label, the API security headers, the same validation (the route's
 * own functions) and the same JSON error shape. Anything else (other methods, a trailing slash,
 * other letter case, a parameter that does not decode) goes to Express, where the same routes are
 * registered too, so those requests are answered exactly as before.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { parse as parseQuery, type ParsedUrlQuery } from 'querystring';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';
import { trackRequest } from './requestLog';
import { setApiSecurityHeaders } from './security';
import { sendError } from './errorHandler';
import { sendJsonText } from './respond';

export interface LaneRoute {
  /** `/<prefix>/:param/<suffix>`: the pattern Express has for the route (also its metrics label). */
  path: string;
  /** Answers with JSON text, given the decoded path parameter and the query (Express's 'simple' parser). */
  handle(param: string, query: ParsedUrlQuery): string | Promise<string>;
}

interface CompiledRoute extends LaneRoute {
  prefix: string;
  suffix: string;
}

function compile(route: LaneRoute): CompiledRoute {
  const m = /^(\/[^:]*\/):[A-Za-z]+(\/[^:]*)$/.exec(route.path);
  if (!m) throw new Error(`read lane: unsupported route pattern ${route.path}`);
  return { ...route, prefix: m[1], suffix: m[2] };
}

/** The raw parameter between prefix and suffix when `path` is exactly one such route, else null. */
function paramOf(path: string, r: CompiledRoute): string | null {
  if (!path.startsWith(r.prefix) || !path.endsWith(r.suffix)) return null;
  const end = path.length - r.suffix.length;
  if (end <= r.prefix.length) return null;
  const raw = path.slice(r.prefix.length, end);
  return raw.includes('/') ? null : raw;
}

/**
 * Returns a handler that answers a request and returns true when it is one of `routes`, or returns
 * false without touching the request or response.
 */
export function readLane(opts: { logger: Logger; metrics: Metrics; routes: LaneRoute[] }): (req: IncomingMessage, res: ServerResponse) => boolean {
  const routes = opts.routes.map(compile);
  const { logger, metrics } = opts;
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    for (const route of routes) {
      const raw = paramOf(path, route);
      if (raw === null) continue;
      let param: string;
      try {
        param = decodeURIComponent(raw);
      } catch {
        return false; // Express answers an undecodable parameter its own way.
      }
      trackRequest(logger, req, res);
      metrics.track(req, res, () => route.path);
      setApiSecurityHeaders(res);
      let answer: string | Promise<string>;
      try {
        answer = route.handle(param, parseQuery(q < 0 ? '' : url.slice(q + 1)));
      } catch (err) {
        sendError(res, err, logger);
        return true;
      }
      if (typeof answer === 'string') sendJsonText(res, answer);
      else answer.then((text) => sendJsonText(res, text), (err: unknown) => sendError(res, err, logger));
      return true;
    }
    return false;
  };
}
