/**
 * Request ids and access logs, cheap enough for the hot path.
 *
 * When the response is done one access line is logged at a level chosen by its outcome: `error` for
 * 5xx, `info` for 4xx and for requests the client abandoned, `debug` for the rest. The line carries the
 * request id: the caller's `X-Request-Id` (first 64 characters) or a process tag plus a counter (no
 * random draw per request). Nothing is built for a line whose level is off, not even the id (reading
 * the request's headers builds Node's header object): with the default `LOG_LEVEL=info` a successful
 * answer costs nothing here; `LOG_LEVEL=debug` logs every request.
 */
import { randomBytes } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import type { Logger } from '../observability/logger';

const PROCESS_TAG = randomBytes(4).toString('hex');
let requestCounter = 0;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && given.length > 0) return given.slice(0, 64);
  return `${PROCESS_TAG}-${(++requestCounter).toString(36)}`;
}

export type AccessLevel = 'error' | 'info' | 'debug';

/** The level of a finished (or abandoned) request's access line. */
export function accessLevel(statusCode: number, finished: boolean): AccessLevel {
  if (statusCode >= 500) return 'error';
  if (statusCode >= 400 || !finished) return 'info';
  return 'debug';
}

/** Logs a finished (or abandoned) request's access line when its level is on; builds nothing otherwise. */
export function logAccess(logger: Logger, req: IncomingMessage, res: ServerResponse, started: number): void {
  const finished = res.writableFinished;
  const level = accessLevel(res.statusCode, finished);
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    {
      req: { id: requestIdOf(req), method: req.method, url: req.url },
      res: { statusCode: res.statusCode },
      responseTime: Math.round(performance.now() - started),
    },
    finished ? 'request completed' : 'request aborted',
  );
}
