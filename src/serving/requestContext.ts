/**
 * Per-request bookkeeping in one middleware: the request id, the security headers, and one `close`
 * listener that times the request (metrics) and writes its access line (requestLog.ts). One router
 * layer and one listener instead of three of each: every layer and listener is paid on every request
 * (bench:serve).
 */
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';
import { logAccess, requestIdOf } from './requestLog';
import { setSecurityHeaders } from './security';

export function requestContext(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    req.id = requestIdOf(req);
    const started = performance.now();
    setSecurityHeaders(req, res);
    // 'close' comes once per response, after 'finish', or alone when the client went away first;
    // only answered requests are timed.
    res.on('close', () => {
      if (res.writableFinished) metrics.observeRequest(req as Request, res.statusCode, (performance.now() - started) / 1000);
      logAccess(logger, req, res, started);
    });
    next();
  };
}
