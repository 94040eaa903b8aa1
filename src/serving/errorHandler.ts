/** One JSON error shape for everything: `{ error: { code, message, details? } }`; never a stack trace. */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors';
import type { Logger } from '../logger';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `no route for ${req.method} ${req.path}` } });
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (err instanceof AppError) {
      if (err.status === 503 && err.details && 'retryAfterSeconds' in err.details) {
        res.set('Retry-After', String(err.details.retryAfterSeconds));
      }
      res.status(err.status).json({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      });
      return;
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
      res.status(e.status).json({ error: { code, message, details: [{ field: 'body', message }] } });
      return;
    }
    logger.error({ err }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  };
}
