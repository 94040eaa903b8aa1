/**
 * Per-request bookkeeping in one step: the request id, the security headers, and one `close`
 * listener that times the request (metrics) and writes its access line (requestLog.ts). One listener
 * instead of three: every listener is paid on every request (bench:serve).
 *
 * The storefront's read routes call the step themselves, first thing, so a hot request walks no
 * router layer before its route; every other request gets it from the requestContext() middleware.
 */
import type { Request, RequestHandler } from 'express';
import type { ServerResponse } from 'http';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';
import { logAccess, requestIdOf } from './requestLog';
import { setSecurityHeaders } from './security';

/** Starts a request's bookkeeping (see the file comment). */
export type BeginRequest = (req: Request, res: ServerResponse) => void;

export function beginRequest(logger: Logger, metrics: Metrics): BeginRequest {
  return (req, res) => {
    req.id = requestIdOf(req);
    const started = performance.now();
    setSecurityHeaders(req, res);
    // 'close' comes once per response, after 'finish', or alone when the client went away first;
    // only answered requests are timed.
    res.on('close', () => {
      if (res.writableFinished) metrics.observeRequest(req, res.statusCode, (performance.now() - started) / 1000);
      logAccess(logger, req, res, started);
    });
  };
}

/** The same step as middleware, for every route that does not call it itself. */
export function requestContext(begin: BeginRequest): RequestHandler {
  return (req, res, next) => {
    begin(req, res);
    next();
  };
}
