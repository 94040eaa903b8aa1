/**
 * Bad input and security on the real stores (PostgreSQL + Redis): a fast-check fuzz of 1,200
 * malformed requests across every endpoint gets 4xx only (never a 5xx), with the one JSON error
 * shape and no stack traces or internal paths; nothing is written; afterwards the service still
 * answers and the events table is intact. Nasty-but-valid ids (SQL and Redis-protocol text) round-trip.
 * Auth: writes need X-API-Key, /debug/* needs the token; security headers; write rate limit.
 */
import http from 'http';
import fc from 'fast-check';
import request from 'supertest';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { openTestStack, type TestStack } from '../helpers/stack';
import { createHttpServer } from '../../src/http/httpServer';
import { generateStorefront } from '../../src/sample/storefront';

jest.setTimeout(120_000);

const API_KEY = 'test-api-key-123';
const TOKEN = 'test-debug-token-456';
const NASTY_IDS = [
  "'; DROP TABLE events;--",
  '*3\r\n$3\r\nDEL\r\n$1\r\n*\r\n',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '{u:x}:session',
  'recs:{ptr}:live',
  'ünïcødé 日本語 🛒',
  '\\N',
  'a'.repeat(256),
  '$(rm -rf /)',
  '<script>alert(1)</script>',
  '%00',
];
/** Each of these makes an id invalid. */
const BAD_IDS = [
  '',
  'a'.repeat(257),
  'nul\u0000byte',
  'line\nfeed',
  'cr\rlf',
  'esc\u001b[31m',
  'del\u007f',
  'c1\u0085',
  'sep\u2028x',
  'lone\ud800',
  '*3\r\n$3\r\nDEL',
];

function assertErrorBody(status: number, text: string, contentType: string | undefined) {
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  // Never a stack trace or an internal path, whatever went wrong.
  expect(text).not.toMatch(/\n\s+at |node_modules|\/work\/|\.ts:\d+|\.js:\d+|Error: /);
  if (status !== 431) {
    expect(contentType ?? '').toMatch(/application\/json/);
    const body = JSON.parse(text);
    expect(typeof body.error.code).toBe('string');
    expect(typeof body.error.message).toBe('string');
  }
}

describe('hardening: fuzzed bad input, auth, headers (real stores)', () => {
  let stack: TestStack;
  let server: http.Server;
  let knownUser: string;
  let knownItem: string;

  beforeAll(async () => {
    stack = await openTestStack('real', { API_KEY, DEBUG_TOKEN: TOKEN });
    const sample = generateStorefront({ users: 200, items: 150, categories: 5, days: 60, seed: 3 });
    await stack.importSample(sample);
    expect((await stack.train({ force: true })).status).toBe('live');
    await stack.rt.live.start();
    knownUser = sample.events[sample.events.length - 1].userId;
    knownItem = sample.items[0].itemId;
    server = createHttpServer(stack.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });

  afterAll(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await stack?.close();
  });

  const anyNasty = fc.oneof(
    fc.constantFrom(...NASTY_IDS),
    // eslint-disable-next-line no-control-regex -- keeps control characters out of the generated ids
    fc.string({ maxLength: 40 }).filter((s) => s.length > 0 && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/.test(s)),
  );
  const badId = fc.oneof(
    fc.constantFrom(...BAD_IDS),
    fc.string({ minLength: 257, maxLength: 600 }),
    fc.string({ maxLength: 10 }).map((s) => `x${s}\u0000`),
  );
  const badLimit = fc.constantFrom('0', '101', '-1', 'abc', '1.5', '', '1e9', 'NaN', 'Infinity', '10&limit=20', '0x', '%00', '1;DROP');
  const junkJson = fc.oneof(
    fc.string({ maxLength: 200 }).map((s) => `{"events":[${s}`),
    fc.constantFrom('{', '[', 'nul', '{"a":}', "{'events':[]}", '\u0000', '{"events":[{"userId":"a",}]}'),
  );
  const wrongEventValue = fc.oneof(
    fc.record({ userId: badId, itemId: anyNasty, type: fc.constant('view') }),
    fc.record({ userId: anyNasty, itemId: badId, type: fc.constant('cart') }),
    fc.record({
      userId: anyNasty,
      itemId: anyNasty,
      type: fc.oneof(
        fc.string({ maxLength: 20 }).filter((t) => !['view', 'fav', 'cart', 'purchase'].includes(t)),
        fc.integer(),
      ),
    }),
    fc.record({
      userId: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())),
      itemId: anyNasty,
      type: fc.constant('view'),
    }),
    fc.record({
      userId: anyNasty,
      itemId: anyNasty,
      type: fc.constant('view'),
      timestamp: fc.oneof(
        fc.constant('yesterday'),
        fc.constant(1e16),
        fc.constant(-5),
        fc.constant('9999-01-01T00:00:00Z'),
        fc.constant({}),
      ),
    }),
    fc.record({ userId: anyNasty, itemId: anyNasty, type: fc.constant('view'), extra: fc.anything() }),
  );
  const badEventsBody = fc.oneof(
    fc.array(wrongEventValue, { minLength: 1, maxLength: 5 }).map((events) => JSON.stringify({ events })),
    fc.constant(JSON.stringify({ events: [] })),
    fc.constant(JSON.stringify({ events: Array.from({ length: 1001 }, (_, i) => ({ userId: `u${i}`, itemId: 'i', type: 'view' })) })),
    fc
      .anything()
      .filter((v) => v !== undefined)
      .map((v) => JSON.stringify({ events: v === null || typeof v !== 'object' || !Array.isArray(v) ? v : [v] })),
    fc.constant(JSON.stringify({ events: [{ userId: 'a', itemId: 'b', type: 'view' }], more: 1 })),
    fc.constant('{"__proto__":{"admin":true},"events":[{"userId":"a","itemId":"b","type":"view"}]}'),
    junkJson,
  );
  const badItemBody = fc.oneof(
    fc.record({ available: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }),
    fc.record({ price: fc.oneof(fc.constant(-1), fc.constant(1e13), fc.string()) }),
    fc.record({ category: badId }),
    fc.record({ createdAt: fc.constantFrom('never', 1e17, true) }),
    fc.record({ sku: fc.string() }),
    fc.constant([]),
    fc.constant('x'),
  );
  const badFeedback = fc.oneof(
    fc.record({
      recommendationId: fc.constantFrom("r'; DROP", '*1\r\n', 'a'.repeat(65), ''),
      itemId: anyNasty,
      type: fc.constant('click'),
    }),
    fc.record({ recommendationId: fc.constant('rAAAA'), itemId: badId, type: fc.constant('click') }),
    fc.record({ recommendationId: fc.constant('rAAAA'), itemId: anyNasty, type: fc.constantFrom('like', '', 'CLICK') }),
    fc.record({ recommendationId: fc.constant('rAAAA'), itemId: anyNasty, type: fc.constant('click'), extra: fc.integer() }),
  );

  type Req = { method: string; path: string; body?: string | Buffer; headers?: Record<string, string> };
  const json = { 'content-type': 'application/json', 'x-api-key': API_KEY };
  // Lone surrogates cannot be percent-encoded as UTF-8: send the bytes such a "string" would have.
  const enc = (s: string) => {
    try {
      return encodeURIComponent(s);
    } catch {
      return [...s].map((c) => (/[\ud800-\udfff]/.test(c) ? '%ED%A0%80' : encodeURIComponent(c))).join('');
    }
  };
  const reqArb = fc.oneof(
    // Recommendations: a bad id, a bad limit, an unknown parameter, or a bad filter.
    fc.record({ id: badId }).map(({ id }) => ({ method: 'GET', path: `/v1/users/${enc(id)}/recommendations` })),
    fc.tuple(anyNasty, badLimit).map(([id, l]) => ({ method: 'GET', path: `/v1/users/${enc(id)}/recommendations?limit=${l}` })),
    fc
      .tuple(anyNasty, fc.constantFrom('foo=1', 'limit[]=3', 'LIMIT=3', 'userId=x', '__proto__=1'))
      .map(([id, q]) => ({ method: 'GET', path: `/v1/users/${enc(id)}/recommendations?${q}` })),
    fc.tuple(anyNasty, badId, fc.constantFrom('category', 'context', 'exclude')).map(([id, v, k]) => ({
      method: 'GET',
      path: `/v1/users/${enc(id)}/recommendations?${k}=${enc(k === 'exclude' ? `${v}\u0000` : v)}`,
    })),
    fc.constant({ method: 'GET', path: `/v1/users/u/recommendations?exclude=${Array.from({ length: 101 }, (_, i) => `i${i}`).join(',')}` }),
    fc
      .constantFrom(
        '/v1/users/%E0%A4%A/recommendations',
        '/v1/users/%/recommendations',
        '/v1/users/../../etc/passwd',
        '/v1/users//recommendations',
        '/v1/items/%ZZ/similar',
      )
      .map((p) => ({ method: 'GET', path: p })),
    // Similar items.
    fc.tuple(badId).map(([id]) => ({ method: 'GET', path: `/v1/items/${enc(id)}/similar` })),
    fc.tuple(anyNasty, badLimit).map(([id, l]) => ({ method: 'GET', path: `/v1/items/${enc(id)}/similar?limit=${l}` })),
    // Events: bad bodies, wrong content types, no key, oversize.
    badEventsBody.map((body) => ({ method: 'POST', path: '/v1/events', body, headers: json })),
    fc
      .tuple(
        fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', ''),
        badEventsBody,
      )
      .map(([ct, body]) => ({
        method: 'POST',
        path: '/v1/events',
        body,
        headers: (ct ? { 'content-type': ct, 'x-api-key': API_KEY } : { 'x-api-key': API_KEY }) as Record<string, string>,
      })),
    fc.constant({
      method: 'POST',
      path: '/v1/events',
      body: JSON.stringify({ events: [{ userId: 'a', itemId: 'b', type: 'view' }] }),
      headers: { 'content-type': 'application/json' },
    }),
    fc.constantFrom(API_KEY.toUpperCase(), 'wrong', "' OR 1=1 --").map((k) => ({
      method: 'POST',
      path: '/v1/events',
      body: '{"events":[{"userId":"a","itemId":"b","type":"view"}]}',
      headers: { 'content-type': 'application/json', 'x-api-key': k },
    })),
    fc.constant({
      method: 'POST',
      path: '/v1/events',
      body: JSON.stringify({ events: [{ userId: 'x'.repeat(1_100_000), itemId: 'b', type: 'view' }] }),
      headers: json,
    }),
    fc.constant({
      method: 'POST',
      path: '/v1/events',
      body: '{"events":[{"userId":"a","itemId":"b","type":"view"}]}',
      headers: { ...json, 'content-type': 'application/json; charset=utf-7' },
    }),
    // Catalogue upserts.
    fc
      .tuple(anyNasty, badItemBody)
      .map(([id, b]) => ({ method: 'PUT', path: `/v1/items/${enc(id)}`, body: JSON.stringify(b), headers: json })),
    fc.tuple(badId).map(([id]) => ({ method: 'PUT', path: `/v1/items/${enc(id)}`, body: '{"available":false}', headers: json })),
    fc.constant({
      method: 'PUT',
      path: '/v1/items/i1',
      body: 'available=false',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': API_KEY },
    }),
    // Feedback.
    badFeedback.map((b) => ({ method: 'POST', path: '/v1/feedback', body: JSON.stringify(b), headers: json })),
    // Debug: no or wrong token, or bad input with the token.
    fc
      .tuple(
        fc.constantFrom('/debug/models', '/debug/segments', `/debug/users/${enc(NASTY_IDS[0])}`, '/debug/items/x'),
        fc.constantFrom(undefined, 'Bearer nope', `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN}x`),
      )
      .map(([p, auth]) => ({
        method: 'GET',
        path: p,
        headers: auth ? { authorization: auth } : {},
      })),
    fc.tuple(badId).map(([id]) => ({ method: 'GET', path: `/debug/users/${enc(id)}`, headers: { authorization: `Bearer ${TOKEN}` } })),
    fc.tuple(badLimit).map(([l]) => ({ method: 'GET', path: `/debug/users/u?limit=${l}`, headers: { authorization: `Bearer ${TOKEN}` } })),
    // Methods and paths that do not exist.
    fc
      .tuple(
        fc.constantFrom('DELETE', 'PATCH', 'POST'),
        fc.constantFrom('/v1/users/u/recommendations', '/healthz', '/v1/items/x/similar', '/admin', '/.env', '/v1/events/../../etc'),
      )
      .map(([m, p]) => ({ method: m, path: p, body: '{}', headers: json })),
  ) as unknown as fc.Arbitrary<Req>;

  function send(r: Req): Promise<{ status: number; text: string; type: string | undefined }> {
    return new Promise((resolve, reject) => {
      const addr = server.address() as { port: number };
      const headers = { ...(r.headers ?? {}), ...(r.body !== undefined ? { 'content-length': String(Buffer.byteLength(r.body)) } : {}) };
      const req = http.request({ host: '127.0.0.1', port: addr.port, method: r.method, path: r.path, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, type: res.headers['content-type'] }));
      });
      req.on('error', (err) => {
        // The server may answer 413 and close before the whole oversize body is written.
        if ((err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET')
          resolve({ status: 413, text: '{"error":{"code":"x","message":"x"}}', type: 'application/json' });
        else reject(err);
      });
      if (r.body !== undefined) req.write(r.body);
      req.end();
    });
  }

  it('answers 1,200 generated malformed requests across all endpoints with 4xx, never 5xx, and writes nothing', async () => {
    const eventsBefore = await stack.rt.db.events.countEvents();
    const statuses = new Map<number, number>();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(reqArb, async (r) => {
        const res = await send(r);
        sent++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status < 400 || res.status >= 500)
          throw new Error(`${r.method} ${r.path.slice(0, 200)} -> ${res.status} ${res.text.slice(0, 300)}`);
        assertErrorBody(res.status, res.text, res.type);
      }),
      { numRuns: 1200, seed: 20240601 },
    );
    expect(sent).toBeGreaterThanOrEqual(1000);
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    // Nothing was written, the events table is intact, and the service answers correctly.
    expect(await stack.rt.db.events.countEvents()).toBe(eventsBefore);
    const ok = await request(server).get(`/v1/users/${enc(knownUser)}/recommendations?limit=10`);
    expect(ok.status).toBe(200);
    expect(ok.body.items).toHaveLength(10);
    expect(ok.body.degraded).toBe(false);
  });

  it('stores nasty-but-valid ids exactly (SQL and Redis-protocol text are data) and keeps the table healthy', async () => {
    const before = await stack.rt.db.events.countEvents();
    const valid = NASTY_IDS.filter((id) => !/[\r\n]/.test(id));
    const res = await request(server)
      .post('/v1/events')
      .set('x-api-key', API_KEY)
      .send({ events: valid.map((userId) => ({ userId, itemId: knownItem, type: 'view' })) });
    expect(res.status).toBe(202);
    expect(await stack.rt.db.events.countEvents()).toBe(before + valid.length);
    for (const userId of valid) {
      const recent = await stack.rt.db.events.recentEventsForUser(userId, 5);
      expect(recent.map((e) => e.userId)).toEqual([userId]);
      const recs = await request(server).get(`/v1/users/${enc(userId)}/recommendations?limit=5`);
      expect(recs.status).toBe(200);
      expect(recs.body.userId).toBe(userId);
    }
  });

  it('requires X-API-Key on writes and the bearer token on /debug/*, with JSON 401s', async () => {
    const body = { events: [{ userId: knownUser, itemId: knownItem, type: 'view' }] };
    for (const headers of [{}, { 'x-api-key': 'nope' }, { 'x-api-key': '' }]) {
      const res = await request(server).post('/v1/events').set(headers).send(body);
      expect(res.status).toBe(401);
      assertErrorBody(res.status, res.text, res.headers['content-type']);
    }
    expect(
      (
        await request(server)
          .put(`/v1/items/${enc(knownItem)}`)
          .send({ price: 1 })
      ).status,
    ).toBe(401);
    expect((await request(server).post('/v1/feedback').send({ recommendationId: 'rAAAA', itemId: 'x', type: 'click' })).status).toBe(401);
    expect((await request(server).post('/v1/events').set('x-api-key', API_KEY).send(body)).status).toBe(202);
    for (const p of ['/debug/models', '/debug/segments', `/debug/users/${enc(knownUser)}`, `/debug/items/${enc(knownItem)}`]) {
      const res = await request(server).get(p);
      expect(res.status).toBe(401);
      assertErrorBody(res.status, res.text, res.headers['content-type']);
      expect((await request(server).get(p).set('authorization', 'Bearer wrong')).status).toBe(401);
      expect((await request(server).get(p).set('authorization', `Bearer ${TOKEN}`)).status).toBe(200);
    }
    // Reads stay open.
    expect((await request(server).get(`/v1/users/${enc(knownUser)}/recommendations`)).status).toBe(200);
  });

  it('sends security headers (helmet) on API answers and the console', async () => {
    const res = await request(server).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    // The read routes send their headers with the answer in one writeHead, and their error answers get
    // them from the error handler: the same set either way, with a correct Content-Length.
    const securityHeaders = (h: Record<string, string>) =>
      Object.fromEntries(
        ['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'cache-control'].map((k) => [
          k,
          h[k],
        ]),
      );
    const apiSet = securityHeaders(res.headers);
    expect(apiSet['cache-control']).toBe('no-store');
    const reads = [
      { path: `/v1/users/${enc(knownUser)}/recommendations?limit=5`, status: 200 },
      { path: `/v1/items/${enc(knownItem)}/similar`, status: 200 },
      { path: `/v1/users/${enc(knownUser)}/recommendations?limit=1000`, status: 400 },
      { path: `/v1/items/no-such-item/similar`, status: 404 },
    ];
    for (const { path: p, status } of reads) {
      const answer = await request(server).get(p);
      expect(answer.status).toBe(status);
      expect(securityHeaders(answer.headers)).toEqual(apiSet);
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.text));
      expect(answer.headers['x-powered-by']).toBeUndefined();
    }
    const page = await request(server).get('/console');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
  });
});

describe('write rate limit (configurable in the policy)', () => {
  let stack: TestStack;
  let dir: string;
  beforeAll(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-rl-'));
    const cfg = path.join(dir, 'policy.json');
    await fs.promises.writeFile(
      cfg,
      JSON.stringify({ training: { embedding: { enabled: false } }, security: { writeRequestsPerWindow: 5, writeWindowSeconds: 60 } }),
    );
    stack = await openTestStack('real', { API_KEY, RECS_CONFIG_FILE: cfg });
  });
  afterAll(async () => {
    await stack?.close();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  it('answers 429 with the JSON error shape past the limit, per API key (Redis-backed), leaving reads alone', async () => {
    const body = { events: [{ userId: 'u1', itemId: 'i1', type: 'view' }] };
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await request(stack.app).post('/v1/events').set('x-api-key', API_KEY).send(body)).status);
    expect(codes.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
    expect(codes.slice(5)).toEqual([429, 429]);
    const limited = await request(stack.app).post('/v1/events').set('x-api-key', API_KEY).send(body);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(limited.headers['ratelimit']).toBeDefined();
    expect(await stack.rt.db.events.countEvents()).toBe(5);
    expect((await request(stack.app).get('/healthz')).status).toBe(200);
  });
});
