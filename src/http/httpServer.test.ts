import http from 'http';
import express from 'express';
import request from 'supertest';
import { createHttpServer } from './httpServer';

/** Own property names and symbols of `o`, as strings. */
const ownKeys = (o: object) => Reflect.ownKeys(o).map(String);

/** GET `path` from the listening `server` (supertest, on the server as it is). */
async function get(server: http.Server, path: string): Promise<{ status: number; body: string }> {
  const res = await request(server).get(path);
  return { status: res.status, body: res.text };
}

describe('createHttpServer', () => {
  let server: http.Server;
  let seen: { reqProto: boolean; resProto: boolean; instance: boolean; addedReq: string[]; addedRes: string[]; status: number } | null;

  beforeAll(async () => {
    const app = express();
    app.disable('x-powered-by');
    let before: { req: Set<string>; res: Set<string> } | null = null;
    // Records own keys as the request enters the app, then what a routed answer added.
    app.get('/items/:id', (req, res) => {
      res.on('finish', () => {
        seen = {
          reqProto: Object.getPrototypeOf(req) === app.request,
          resProto: Object.getPrototypeOf(res) === app.response,
          instance: req instanceof http.IncomingMessage && res instanceof http.ServerResponse,
          addedReq: ownKeys(req).filter((k) => !before!.req.has(k)),
          addedRes: ownKeys(res).filter((k) => !before!.res.has(k)),
          status: res.statusCode,
        };
      });
      res.json({ id: req.params.id, path: req.path, query: req.query });
    });
    server = createHttpServer(app);
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      before = { req: new Set(ownKeys(req)), res: new Set(ownKeys(res)) };
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it("answers through Express with Express's prototypes and getters intact", async () => {
    seen = null;
    const res = await get(server, '/items/42?x=1');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ id: '42', path: '/items/42', query: { x: '1' } });
    expect(seen).toMatchObject({ reqProto: true, resProto: true, instance: true, status: 200 });
    expect((await get(server, '/nothing-here')).status).toBe(404);
  });

  it('declares up front what Express and its router add to a routed request and its response', async () => {
    // The router's private symbols are learned from the first routed requests.
    await get(server, '/items/6');
    seen = null;
    await get(server, '/items/7');
    expect(seen!.addedReq).toEqual([]);
    expect(seen!.addedRes).toEqual([]);
  });
});
