/**
 * The HTTP service's life: start on open stores, then drain on SIGTERM/SIGINT. `recs serve` and
 * `recs demo` both run it.
 */
import type http from 'http';
import type { AppConfig } from '../config';
import type { Logger } from '../observability/logger';
import { createHttpServer } from '../http/httpServer';
import { restoreLiveIntoMemory } from '../../training/job/publish';
import { createApp } from './app';
import { buildRuntime, ensureSchema, openStores, type Runtime } from './wiring';

/** How long a SIGTERM waits for in-flight requests before giving up and exiting 1. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Starts the HTTP service on open stores; resolves once listening. SIGTERM/SIGINT: stop accepting
 * connections, mark /readyz not ready, let in-flight requests finish (answers then carry
 * `Connection: close`, idle keep-alive sockets are closed), then flush the outcome ledger, close
 * Redis and the database pool and exit 0; exit 1 if draining takes longer than DRAIN_TIMEOUT_MS.
 */
export async function startServer(rt: Runtime, port: number, logger: Logger): Promise<http.Server> {
  await rt.live.start();
  const app = createApp(rt);
  let closing = false;
  // Answers written once draining began tell keep-alive clients to go away. Set once on this app's
  // response prototype (Express gives every `res` that prototype), not as a wrapper on each response.
  const proto = app.response as http.ServerResponse;
  const writeHead = proto.writeHead as (code: number, reason?: unknown, headers?: unknown) => http.ServerResponse;
  // Fixed arity (Node's own writeHead treats absent and undefined arguments alike): no rest array per answer.
  proto.writeHead = function (this: http.ServerResponse, code: number, reason?: unknown, headers?: unknown) {
    if (closing && !this.headersSent) this.setHeader('Connection', 'close');
    return writeHead.call(this, code, reason, headers);
  } as typeof proto.writeHead;
  const server = createHttpServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  logger.info({ port: bound, model: rt.live.version()?.meta.version ?? null }, 'serving');
  rt.startFlushing();
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    rt.draining = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    setTimeout(() => {
      logger.error({ ms: DRAIN_TIMEOUT_MS }, 'in-flight requests did not finish in time; exiting');
      process.exit(1);
    }, DRAIN_TIMEOUT_MS).unref();
    // Keep-alive sockets become idle as their last answer goes out: close them as they do.
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    idle.unref();
    server.close(() => {
      clearInterval(idle);
      rt.close()
        .catch((err) => logger.warn({ err }, 'closing the stores failed'))
        .finally(() => {
          logger.info('stopped: requests drained, cache and database closed');
          process.exit(0);
        });
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return server;
}

export async function serve(config: AppConfig, logger: Logger, port: number): Promise<void> {
  const stores = await openStores(config);
  await ensureSchema(stores.db);
  const rt = buildRuntime(config, stores, { logger });
  const restored = await restoreLiveIntoMemory({
    cache: stores.cache,
    models: stores.db.models,
    modelsDir: config.modelsDir,
    policy: config.policy,
    logger,
  });
  if (restored) logger.info({ version: restored }, 'loaded the live version into the in-process cache');
  await startServer(rt, port, logger);
}
