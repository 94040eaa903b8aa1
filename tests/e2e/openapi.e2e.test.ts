/**
 * `GET /openapi.json` on real PostgreSQL + Redis: a valid OpenAPI 3.1 document that covers every
 * route the app serves (and every route of SPEC's HTTP table built so far), and one example request
 * per documented operation that answers as documented, its body matching the documented schema.
 */
import request from 'supertest';
import type { Express } from 'express';
import { openTestStack, type TestStack } from '../helpers/stack';
import { generateStorefront } from '../../src/sample/storefront';
import { ROUTE_DOCS } from '../../src/main/routeDocs';
import type { ExampleFixture } from '../../src/http/openapi';
import { validateOpenApi } from '../helpers/openapi';

const TOKEN = 'openapi-operator';
const API_KEY = 'openapi-storefront';

/** SPEC's HTTP table. */
const SPEC_ROUTES = [
  'get /v1/users/{userId}/recommendations',
  'get /v1/items/{itemId}/similar',
  'post /v1/events',
  'put /v1/items/{itemId}',
  'post /v1/feedback',
  'get /healthz',
  'get /readyz',
  'get /metrics',
  'get /debug/users/{userId}',
  'get /debug/items/{itemId}',
  'get /debug/models',
  'get /debug/segments',
  'get /debug/growth',
  'get /console',
  'get /openapi.json',
];

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** Every (method, path) the Express app routes, with `:param` written as OpenAPI's `{param}`. */
function servedRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const p = layer.route.path.replace(/:(\w+)/g, '{$1}');
        for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') out.push(`${m} ${p}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...new Set(out)].sort();
}

describe('OpenAPI document (real PostgreSQL + Redis)', () => {
  let stack: TestStack;
  let doc: { openapi: string; paths: Record<string, Record<string, unknown>> };
  let fixture: ExampleFixture;
  const sample = generateStorefront({ users: 200, items: 120, categories: 6, days: 60, seed: 17 });

  beforeAll(async () => {
    stack = await openTestStack('real', { DEBUG_TOKEN: TOKEN, API_KEY });
    await stack.importSample(sample);
    expect((await stack.train()).status).toBe('live');
    await stack.rt.live.start();
    const buyer = sample.events.find((e) => e.type === 'purchase')!.userId;
    const recs = await request(stack.app).get(`/v1/users/${buyer}/recommendations?limit=3`);
    expect(recs.status).toBe(200);
    fixture = { userId: buyer, itemId: recs.body.items[0].itemId, recommendationId: recs.body.recommendationId };
    const res = await request(stack.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.body;
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(validateOpenApi(doc)).resolves.toBeUndefined();
    // The validator does reject a broken document (a response without its description).
    const broken = structuredClone(doc) as { paths: Record<string, Record<string, { responses: Record<string, object> }>> };
    broken.paths['/healthz'].get.responses['200'] = { content: {} };
    await expect(validateOpenApi(broken)).rejects.toThrow(/description/);
  });

  it('documents exactly the routes the app serves, SPEC routes included', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
      .sort();
    expect(documented).toEqual(servedRoutes(stack.app));
    for (const route of SPEC_ROUTES) expect(documented).toContain(route);
  });

  it('names the validation rules of the request schemas (limits, enums, required fields)', () => {
    const recs = doc.paths['/v1/users/{userId}/recommendations'].get as {
      parameters: Array<{ name: string; in: string; schema: { maximum?: number } }>;
    };
    const limit = recs.parameters.find((p) => p.name === 'limit' && p.in === 'query')!;
    expect(limit.schema.maximum).toBe(100);
    // SPEC's placement parameters: the enum of placements, the page's item and the cart.
    const query = new Set(recs.parameters.filter((p) => p.in === 'query').map((p) => p.name));
    for (const name of ['placement', 'context', 'cart', 'category', 'exclude']) expect(query).toContain(name);
    const placement = recs.parameters.find((p) => p.name === 'placement')!;
    expect(JSON.stringify(placement.schema)).toContain('"enum":["home","product","cart"]');
    const events = JSON.stringify(doc.paths['/v1/events'].post);
    expect(events).toContain('"maxItems":1000');
    expect(events).toContain('"purchase"');
  });

  for (const route of ROUTE_DOCS) {
    it(`${route.method.toUpperCase()} ${route.path}: the example request answers as documented`, async () => {
      const ex = route.example(fixture);
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(ex.params![name]));
      let req = request(stack.app)[route.method](path);
      if (ex.query) req = req.query(ex.query);
      if (route.auth === 'debugToken') req = req.set('Authorization', `Bearer ${TOKEN}`);
      if (route.auth === 'apiKey') req = req.set('X-API-Key', API_KEY);
      const res = ex.body === undefined ? await req : await req.send(ex.body as object);
      expect({ status: res.status, body: res.body }).toMatchObject({ status: ex.status });
      const documented = route.responses[ex.status];
      expect(documented).toBeDefined();
      expect(res.headers['content-type']).toContain(documented.contentType ?? 'application/json');
      if (documented.schema) {
        const parsed = documented.schema.safeParse(res.body);
        expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
      }
      if (route.auth) {
        const bare = await request(stack.app)[route.method](path);
        expect(bare.status).toBe(401);
      }
    });
  }
});
