/** One JSON error shape for everything: `{ error: { code, message, details? } }`; never a stack trace. */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors';
import { ensureSecurityHeaders } from './security';
import type { Logger } from '../observability/logger';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
}

interface ErrorResponse {
  status: number;
  body: { error: { code: string; message: string; details?: unknown } };
  /** Seconds for a Retry-After header (503s that say when to come back). */
  retryAfter?: number;
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `no route for ${req.method} ${req.path}` } });
};

/** Maps any thrown value to the status and JSON body the client gets; logs what is not the client's doing. */
function errorResponse(err: unknown, logger: Logger): ErrorResponse {
  if (err instanceof AppError) {
    const retryAfter =
      err.status === 503 && err.details && 'retryAfterSeconds' in err.details ? Number(err.details.retryAfterSeconds) : undefined;
    return {
      status: err.status,
      body: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } },
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    };
  }
  const e = err as BodyParserError;
  // body-parser failures: malformed JSON, oversize or unsupported bodies are the client's doing.
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    const code =
      e.type === 'entity.parse.failed'
        ? 'invalid_json'
        : e.type === 'entity.too.large'
          ? 'payload_too_large'
          : e.type === 'encoding.unsupported' || e.type === 'charset.unsupported'
            ? 'unsupported_encoding'
            : 'invalid_request';
    const message =
      code === 'invalid_json'
        ? 'request body is not valid JSON'
        : code === 'payload_too_large'
          ? 'request body is too large'
          : 'request body could not be read';
    return { status: e.status, body: { error: { code, message, details: [{ field: 'body', message }] } } };
  }
  logger.error({ err }, 'unhandled error');
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const r = errorResponse(err, logger);
    ensureSecurityHeaders(req, res);
    if (r.retryAfter !== undefined) res.set('Retry-After', String(r.retryAfter));
    res.status(r.status).json(r.body);
  };
}
