/** The Express app: request logging, metrics, security headers, the read routes first, then writes and the rest. */
import express, { type Express } from 'express';
import { version } from '../../package.json';
import type { Runtime } from './wiring';
import { ROUTE_DOCS } from './routeDocs';
import { experimentRoutes } from '../experiments/routes';
import { growthRoutes } from '../growth/routes';
import { requireDebugToken } from '../http/auth';
import { openApiDocument } from '../http/openapi';
import { addRecommendationRoutes } from '../recommendations/routes';
import { eventRoutes } from '../events/routes';
import { catalogRoutes } from '../catalog/routes';
import { healthRoutes } from '../health/routes';
import { feedbackRoutes } from '../feedback/routes';
import { debugRoutes } from '../debug/routes';
import { consoleRoutes } from '../console/routes';
import { requireApiKey } from '../http/auth';
import { errorHandler, notFoundHandler } from '../http/errorHandler';
import { requireJsonBody } from '../http/security';
import { writeRateLimit } from '../http/rateLimit';
import { requestBookkeeping, requestContext } from '../http/requestContext';

export function createApp(rt: Runtime): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const log = rt.logger.child({ module: 'http' });
  // Access lines come from requestLog.ts rather than pino-http, which builds a child logger per request.
  const begin = requestBookkeeping(app.response, log, rt.metrics);
  // The hot read routes first, on the app itself (a nested router is one more dispatch per request),
  // starting their own request context: a GET needs none of the middleware below (context layer,
  // rate limit, API key, JSON body), so it should not walk past it. Other methods on these paths
  // fall through.
  addRecommendationRoutes(app, rt.recommendations, begin);
  app.use(requestContext(begin));

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

  app.use(healthRoutes(rt.health));
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', rt.metrics.registry.contentType);
    res.send(await rt.metrics.registry.metrics());
  });
  let openApi: string | undefined; // built on first request: the serving path never pays for it
  app.get('/openapi.json', (_req, res) => {
    openApi ??= JSON.stringify(
      openApiDocument(ROUTE_DOCS, { title: 'storefront-recs', version, description: 'Storefront recommendation service' }),
    );
    res.type('json').send(openApi);
  });
  app.use('/debug', requireDebugToken(rt.config.debugToken));
  app.use(debugRoutes(rt.debug));
  app.use(experimentRoutes(rt.experiments));
  app.use(growthRoutes(rt.growth));
  app.use(consoleRoutes());
  app.use(eventRoutes(rt.events));
  app.use(catalogRoutes(rt.catalog));
  app.use(feedbackRoutes(rt.feedback));

  app.use(notFoundHandler);
  app.use(errorHandler(log));
  return app;
}
