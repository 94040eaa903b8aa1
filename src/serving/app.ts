/** The Express app: request logging, JSON bodies, feature routes, one error middleware. */
import express, { Express } from 'express';
import type { Runtime } from '../wiring';
import { recommendationRoutes } from '../recommendations/routes';
import { eventRoutes } from '../events/routes';
import { catalogRoutes } from '../catalog/routes';
import { healthRoutes } from './health';
import { feedbackRoutes } from '../feedback/routes';
import { debugRoutes } from '../debug/routes';
import { consoleRoutes } from '../console/routes';
import { requireApiKey } from './auth';
import { errorHandler, notFoundHandler } from './errorHandler';
import { securityHeaders, requireJsonBody } from './security';
import { writeRateLimit } from './rateLimit';
import pinoHttp from 'pino-http';
import { randomBytes } from 'crypto';

/** Process-unique request ids without a random draw per request: a process tag and a counter. */
const PROCESS_TAG = randomBytes(4).toString('hex');
let requestCounter = 0;
const nextRequestId = () => `${PROCESS_TAG}-${(++requestCounter).toString(36)}`;

export function createApp(rt: Runtime): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const log = rt.logger.child({ module: 'http' });
  app.use(
    pinoHttp({
      logger: log,
      genReqId: (req) => (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || nextRequestId(),
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(rt.metrics.middleware());
  app.use(securityHeaders());
  // The hot read routes first: a GET needs none of the write middleware below (rate limit, API key,
  // JSON body), so it should not walk past it. Other methods on these paths fall through as before.
  app.use(recommendationRoutes(rt.recommendations));

  // Writes: rate limit first (per key, else per IP, so guessing keys is throttled too), then the API
  // key, both before a byte of the body is read.
  const sec = rt.config.policy.security;
  const limit = writeRateLimit({
    windowSeconds: sec.writeWindowSeconds,
    max: sec.writeRequestsPerWindow,
    apiKey: rt.config.apiKey,
    cache: rt.cache,
    keyPrefix: rt.config.redisKeyPrefix,
  });
  const auth = requireApiKey(rt.config.apiKey);
  const writes: express.RequestHandler = (req, res, next) => {
    void limit(req, res, (err?: unknown) => {
      if (err) return next(err);
      try {
        auth(req, res, next);
      } catch (e) {
        next(e);
      }
    });
  };
  app.use('/v1/events', writes);
  app.use('/v1/feedback', writes);
  app.use('/v1/items/:itemId', (req, res, next) => (req.method === 'GET' ? next() : writes(req, res, next)));

  // Writes carry JSON: anything else is refused (415) before the body is read.
  app.use(requireJsonBody);
  // The default limit (1 MiB) fits 1,000 events with 256-character ids comfortably.
  app.use(express.json({ limit: sec.maxBodyBytes, strict: true, type: ['application/json', 'application/*+json'] }));

  app.use(healthRoutes({ db: rt.db, cache: rt.cache, live: rt.live, draining: () => rt.draining }));
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', rt.metrics.registry.contentType);
    res.send(await rt.metrics.registry.metrics());
  });
  app.use(debugRoutes(rt.debug, rt.config.debugToken));
  app.use(consoleRoutes());
  app.use(eventRoutes(rt.events));
  app.use(catalogRoutes(rt.catalog));
  app.use(feedbackRoutes(rt.feedback));

  app.use(notFoundHandler);
  app.use(errorHandler(log));
  return app;
}
