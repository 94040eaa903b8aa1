/** The Express app: request logging, JSON bodies, feature routes, one error middleware. */
import express, { Express } from 'express';
import pinoHttp from 'pino-http';
import { randomUUID } from 'crypto';
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

/** 1,000 events with 256-character ids fit comfortably. */
const BODY_LIMIT = '1mb';

export function createApp(rt: Runtime): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const log = rt.logger.child({ module: 'http' });
  app.use(
    pinoHttp({
      logger: log,
      genReqId: (req) => (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || randomUUID(),
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(rt.metrics.middleware());
  app.use(express.json({ limit: BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] }));

  app.use(healthRoutes({ db: rt.db, cache: rt.cache, live: rt.live }));
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', rt.metrics.registry.contentType);
    res.send(await rt.metrics.registry.metrics());
  });
  app.use(debugRoutes(rt.debug, rt.config.debugToken));
  app.use(consoleRoutes());
  app.use(recommendationRoutes(rt.recommendations));
  const writes = requireApiKey(rt.config.apiKey);
  app.use('/v1/events', writes);
  app.use('/v1/feedback', writes);
  app.use('/v1/items/:itemId', (req, res, next) => (req.method === 'GET' ? next() : writes(req, res, next)));
  app.use(eventRoutes(rt.events));
  app.use(catalogRoutes(rt.catalog));
  app.use(feedbackRoutes(rt.feedback));

  app.use(notFoundHandler);
  app.use(errorHandler(log));
  return app;
}
