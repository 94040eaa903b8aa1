/** Shared-secret checks in constant time (no early exit that leaks how much of a key matched). */
import { createHash, timingSafeEqual } from 'crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../errors';

function sameSecret(given: string, expected: string): boolean {
  // Hash both sides so lengths match and the comparison time does not depend on the key.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Write endpoints: `X-API-Key` must match when an API key is configured; open otherwise. */
export function requireApiKey(apiKey: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (!apiKey) return next();
    const given = req.get('x-api-key');
    if (!given || !sameSecret(given, apiKey)) throw new UnauthorizedError('missing or invalid X-API-Key');
    next();
  };
}

/** Operator endpoints: `Authorization: Bearer <DEBUG_TOKEN>`; with no token configured nobody gets in. */
export function requireDebugToken(token: string | undefined): RequestHandler {
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!token || !m || !sameSecret(m[1], token)) throw new UnauthorizedError('missing or invalid debug token');
    next();
  };
}
