/**
 * The HTTP server of an Express app, with requests and responses whose per-request properties exist
 * from construction.
 *
 * Express gives every request and response the app's prototypes (`Object.setPrototypeOf(req,
 * app.request)`, the same for `res`) before its router runs. On Node 20 adding a property to such an
 * object is an order of magnitude dearer than writing one that exists, and Express, its router and
 * this service add about a dozen per request (`locals`, `baseUrl`, `params`, `route`...; the figures
 * are in docs/performance.md). Node lets a server construct its messages with subclasses (the `IncomingMessage` / `ServerResponse` options):
 * these declare those properties up front, holding what a read would have found anyway (undefined,
 * or the inherited default), so Express's writes only change values. None of them is an accessor
 * anywhere on Express's prototype chains. Express's router also keys its tracing state by module-
 * private symbols: those are learned from the first requests it routed and declared from then on.
 */
import http from 'http';
import type { Socket } from 'net';
import type { Express } from 'express';

type Fields = Record<string, unknown>;

/** The router's own symbols (`router.tracing.*`) seen on routed requests, declared on later ones. */
const routerSymbols: symbol[] = [];
const ROUTER_SYMBOL = /^router\./;
/** Requests inspected for router symbols; a route sets its symbols on every request it matches. */
const LEARN_FROM = 64;

class AppRequest extends http.IncomingMessage {
  constructor(socket: Socket) {
    super(socket);
    const self = this as unknown as Fields & Record<symbol, unknown>;
    // Set by Express and its router on every routed request (and by the body parser on writes);
    // one named store each (a loop over names would make every store a keyed one).
    self.res = undefined;
    self.next = undefined;
    self.baseUrl = undefined;
    self.originalUrl = undefined;
    self._parsedUrl = undefined;
    self.route = undefined;
    self.params = undefined;
    self.body = undefined;
    for (const sym of routerSymbols) self[sym] = undefined;
    // EventEmitter's listener count, inherited (0) until the first listener makes it own: made own
    // now, with the value it has.
    // eslint-disable-next-line no-self-assign -- makes the inherited count an own property (see above)
    self._eventsCount = self._eventsCount;
  }
}

/** Node's ServerResponse as Node calls it, with (req, options); the typings name only req. */
const NodeServerResponse = http.ServerResponse as unknown as new (req: http.IncomingMessage, options?: object) => http.ServerResponse;

class AppResponse extends NodeServerResponse {
  constructor(req: http.IncomingMessage, options?: object) {
    super(req, options);
    const self = this as unknown as Fields;
    // Express's per-response locals, this service's request timing (requestContext.ts), and the
    // status fields Node keeps on the prototype until writeHead (their defaults there: 200, none).
    self.locals = undefined;
    self.recsStartedAt = undefined;
    self.statusCode = 200;
    self.statusMessage = undefined;
    // eslint-disable-next-line no-self-assign -- makes the inherited count an own property, as for requests
    self._eventsCount = self._eventsCount;
  }
}

export function createHttpServer(app: Express): http.Server {
  const server = http.createServer({ IncomingMessage: AppRequest, ServerResponse: AppResponse as typeof http.ServerResponse }, app);
  // After the app's listener: Express has routed the request synchronously by then.
  let seen = 0;
  const learn = (req: http.IncomingMessage) => {
    for (const sym of Object.getOwnPropertySymbols(req)) {
      if (ROUTER_SYMBOL.test(sym.description ?? '') && !routerSymbols.includes(sym)) routerSymbols.push(sym);
    }
    if (++seen >= LEARN_FROM) server.off('request', learn);
  };
  server.on('request', learn);
  return server;
}
