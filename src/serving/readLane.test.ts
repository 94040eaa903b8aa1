import request from 'supertest';
import type { IncomingMessage, ServerResponse } from 'http';
import helmet from 'helmet';
import { readLane } from './readLane';
import { Metrics } from './metrics';
import { recordHelmetHeaders } from './security';
import { NotFoundError, UnavailableError, ValidationError } from '../errors';
import { rootLogger } from '../logger';

function setup() {
  const metrics = new Metrics({ defaultMetrics: false });
  const calls: Array<{ param: string; query: Record<string, unknown> }> = [];
  const lane = readLane({
    logger: rootLogger().child({ level: 'silent' }),
    metrics,
    routes: [
      {
        path: '/v1/users/:userId/recommendations',
        handle: async (param, query) => {
          calls.push({ param, query: { ...query } });
          if (param === 'bad') throw new ValidationError('invalid userId: nope', [{ field: 'userId', message: 'nope' }]);
          if (param === 'down') throw new UnavailableError('no model', 7);
          if (param === 'boom') throw new Error('/secret/path.ts exploded');
          return JSON.stringify({ userId: param });
        },
      },
      {
        path: '/v1/items/:itemId/similar',
        handle: (param) => {
          if (param === 'missing') throw new NotFoundError('item', param);
          return JSON.stringify({ itemId: param });
        },
      },
    ],
  });
  // Whatever the lane leaves alone reaches "Express" (here a marker answer).
  const app = (req: IncomingMessage, res: ServerResponse) => {
    if (lane(req, res)) return;
    res.statusCode = 299;
    res.end('express');
  };
  return { app, metrics, calls };
}

describe('readLane', () => {
  it('answers its routes with the decoded parameter, the simple query, JSON and the API security headers', async () => {
    const { app, calls } = setup();
    const res = await request(app).get('/v1/users/a%2Fb%20c/recommendations?limit=5&exclude=x,y');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({ userId: 'a/b c' });
    expect(calls).toEqual([{ param: 'a/b c', query: { limit: '5', exclude: 'x,y' } }]);
    const expected = recordHelmetHeaders(
      helmet({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } } }),
    );
    for (const [name, value] of expected) expect(res.headers[name.toLowerCase()]).toBe(value);
    expect(res.headers['etag']).toBeUndefined();
    expect((await request(app).get('/v1/items/i1/similar')).body).toEqual({ itemId: 'i1' });
  });

  it('leaves everything else to Express: other methods, other paths, a trailing slash, other case, undecodable ids', async () => {
    const { app, calls } = setup();
    const others = [
      request(app).head('/v1/users/u/recommendations'),
      request(app).post('/v1/users/u/recommendations'),
      request(app).get('/v1/users/u/recommendations/'),
      request(app).get('/V1/users/u/recommendations'),
      request(app).get('/v1/users//recommendations'),
      request(app).get('/v1/users/a/b/recommendations'),
      request(app).get('/v1/users/%E0%A4%A/recommendations'),
      request(app).get('/v1/users/u/recommendationsx'),
      request(app).get('/healthz'),
    ];
    for (const r of others) expect((await r).status).toBe(299);
    expect(calls).toEqual([]);
  });

  it('answers errors in the one JSON error shape: 4xx with details, 503 with Retry-After, a bare 500', async () => {
    const { app } = setup();
    const bad = await request(app).get('/v1/users/bad/recommendations');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: { code: 'invalid_request', message: 'invalid userId: nope', details: [{ field: 'userId', message: 'nope' }] } });
    const down = await request(app).get('/v1/users/down/recommendations');
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('7');
    const missing = await request(app).get('/v1/items/missing/similar');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const boom = await request(app).get('/v1/users/boom/recommendations');
    expect(boom.status).toBe(500);
    expect(boom.body).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(boom.headers['x-content-type-options']).toBe('nosniff');
  });

  it('times requests under the route pattern, never the raw path', async () => {
    const { app, metrics } = setup();
    await request(app).get('/v1/users/u1/recommendations');
    await request(app).get('/v1/users/bad/recommendations');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/recs_http_request_duration_seconds_count\{method="GET",route="\/v1\/users\/:userId\/recommendations",status="200"\} 1/);
    expect(text).toMatch(/recs_http_request_duration_seconds_count\{method="GET",route="\/v1\/users\/:userId\/recommendations",status="400"\} 1/);
    expect(text).not.toMatch(/u1/);
  });
});
