/** HTTP hardening shared by every route: security headers (helmet) and JSON-only write bodies. */
import helmet from 'helmet';
import type { RequestHandler } from 'express';
import { AppError } from '../errors';

const common = { frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] };

/** JSON endpoints load nothing; the console page runs its own inline script and style (and sets the same in a meta tag). */
const apiHeaders = helmet({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], ...common } } });
const consoleHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'unsafe-inline'"],
      scriptSrc: ["'unsafe-inline'"],
      ...common,
    },
  },
});

export function securityHeaders(): RequestHandler {
  return (req, res, next) => (req.path === '/console' ? consoleHeaders(req, res, next) : apiHeaders(req, res, next));
}

export class UnsupportedMediaTypeError extends AppError {
  constructor() {
    super(415, 'unsupported_media_type', 'request body must be JSON (Content-Type: application/json)', [
      { field: 'headers.content-type', message: 'must be application/json' },
    ]);
  }
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Write requests must declare a UTF-8 JSON body; a missing or other Content-Type is a 415, never a silent `{}`. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (!WRITE_METHODS.has(req.method)) return next();
  if (!req.is(['application/json', 'application/*+json'])) throw new UnsupportedMediaTypeError();
  // RFC 8259: JSON exchanged between systems is UTF-8.
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new UnsupportedMediaTypeError();
  next();
};
