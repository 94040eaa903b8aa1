/**
 * Per-request bookkeeping: the security headers, and at the response's `close` the request's timing
 * (metrics) and access line (requestLog.ts, which also names the request's id).
 *
 * The storefront's read routes call the step themselves, first thing, so a hot request walks no
 * router layer before its route; every other request gets it from the requestContext() middleware.
 *
 * The `close` is caught by one hook on the app's response prototype (Express gives every `res` of
 * the app that prototype) rather than a listener and a closure per response, which cost CPU on the
 * hot path. The hook only acts on responses whose request began here; the start time lives on the
 * response (`recsStartedAt`, declared up front by httpServer.ts).
 */
import type { Request, RequestHandler } from 'express';
import type { ServerResponse } from 'http';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { logAccess } from './requestLog';
import { setSecurityHeaders } from './security';

declare module 'http' {
  interface ServerResponse {
    /** performance.now() when the request began (BeginRequest); cleared when it is accounted for. */
    recsStartedAt?: number;
  }
}

/**
 * Starts a request's bookkeeping. `headersAtSend`: the route sends the security headers with its
 * answer itself (respond.ts sendJson, one writeHead); its error answers get them from the error
 * handler.
 */
export type BeginRequest = (req: Request, res: ServerResponse, headersAtSend?: boolean) => void;

/**
 * Installs the `close` hook on `responsePrototype` (the app's `app.response`) and returns the step
 * that begins a request.
 */
export function requestBookkeeping(responsePrototype: ServerResponse, logger: Logger, metrics: Metrics): BeginRequest {
  const emit = responsePrototype.emit;
  // 'close' comes once per response, after 'finish', or alone when the client went away first; only
  // answered requests are timed.
  responsePrototype.emit = function (this: ServerResponse, event: string | symbol) {
    if (event === 'close' && this.recsStartedAt !== undefined) {
      const started = this.recsStartedAt;
      this.recsStartedAt = undefined;
      const req = this.req as Request;
      if (this.writableFinished) metrics.observeRequest(req, this.statusCode, (performance.now() - started) / 1000);
      logAccess(logger, req, this, started);
    }
    // eslint-disable-next-line prefer-rest-params
    return emit.apply(this, arguments as unknown as Parameters<ServerResponse['emit']>);
  } as ServerResponse['emit'];
  return (req, res, headersAtSend = false) => {
    res.recsStartedAt = performance.now();
    if (!headersAtSend) setSecurityHeaders(req, res);
  };
}

/** The same step as middleware, for every route that does not call it itself. */
export function requestContext(begin: BeginRequest): RequestHandler {
  return (req, res, next) => {
    begin(req, res);
    next();
  };
}
