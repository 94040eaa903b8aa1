/** HTTP hardening shared by every route: security headers (helmet) and JSON-only write bodies. */
import helmet from 'helmet';
import type { ServerResponse } from 'http';
import type { RequestHandler } from 'express';
import { AppError } from '../errors';

const common = { frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] };

/**
 * JSON endpoints: the headers OWASP's REST Security Cheat Sheet lists for every API response (CSP
 * with frame-ancestors 'none', HSTS, nosniff, X-Frame-Options DENY, plus Cache-Control: no-store
 * below). The rest of helmet's set steers how browsers treat HTML documents (cross-origin isolation,
 * referrers, DNS prefetch, IE downloads, Flash policies, the XSS auditor); a JSON answer is none, and
 * each header costs every answer on the hot path.
 */
export const apiHelmet = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], ...common } },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});
/** The console page runs its own inline script and style (and sets the same in a meta tag): helmet's full set. */
const consoleHelmet = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'unsafe-inline'"],
      scriptSrc: ["'self'", "'unsafe-inline'"],
      ...common,
    },
  },
});

type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

/**
 * The headers a helmet middleware sets, recorded once. With the static options above (no per-request
 * CSP nonces or functions) helmet sets the same headers on every response, so replaying the recording
 * gives identical answers without walking helmet's dozen sub-middlewares per request.
 */
export function recordHelmetHeaders(middleware: RequestHandler): HeaderList {
  const headers: Array<[string, string]> = [];
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      if (typeof value !== 'string') throw new Error(`helmet header ${name} is not a plain string`);
      headers.push([name, value]);
    },
    // `X-Powered-By` is disabled on the app already; nothing else is removed.
    removeHeader: () => undefined,
  };
  let passed = false;
  middleware({ method: 'GET', headers: {} } as never, res as never, (err?: unknown) => {
    if (err) throw err;
    passed = true;
  });
  if (!passed) throw new Error('helmet did not finish synchronously; its headers cannot be recorded');
  return headers;
}

/** Answers are per user and per moment (each carries a new recommendationId): no cache may keep them. */
const API_HEADERS: HeaderList = [...recordHelmetHeaders(apiHelmet), ['Cache-Control', 'no-store']];
const CONSOLE_HEADERS = recordHelmetHeaders(consoleHelmet);

/** The API's headers as a flat [name, value, ...] list (writeHead's form; respond.ts). */
export const API_HEADER_FIELDS: readonly string[] = API_HEADERS.flat();

function setHeaders(res: ServerResponse, headers: HeaderList): void {
  for (let i = 0; i < headers.length; i++) res.setHeader(headers[i][0], headers[i][1]);
}

/** Sets the recorded headers: the console page's for `/console`, the API's (and no-store) for the rest. */
export function setSecurityHeaders(req: { path: string }, res: ServerResponse): void {
  setHeaders(res, req.path === '/console' ? CONSOLE_HEADERS : API_HEADERS);
}

/**
 * The same on a response that has none yet: the error answers of routes that send their headers
 * with the answer (respond.ts), which failed before sending it.
 */
export function ensureSecurityHeaders(req: { path: string }, res: ServerResponse): void {
  if (!res.hasHeader('Content-Security-Policy')) setSecurityHeaders(req, res);
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
