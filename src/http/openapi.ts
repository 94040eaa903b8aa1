/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes validate requests with.
 * Each feature describes its routes (RouteDoc, in its schemas.ts); the entry layer hands the list
 * here, so this module knows no feature.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

export type RouteAuth = 'debugToken' | 'apiKey';

export interface RouteResponse {
  description: string;
  /** The body's schema; omitted for bodies that are not JSON (then `contentType` says what). */
  schema?: z.ZodType;
  contentType?: string;
}

/** Ids of a running stack that example requests may use. */
export interface ExampleFixture {
  userId: string;
  itemId: string;
  /** A recommendationId issued by the stack (for feedback). */
  recommendationId: string;
}

export interface ExampleRequest {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** The status the request answers with. */
  status: number;
}

export interface RouteDoc {
  method: 'get' | 'post' | 'put';
  /** OpenAPI path template, e.g. `/v1/items/{itemId}/similar`. */
  path: string;
  summary: string;
  tag: string;
  auth?: RouteAuth;
  request?: { params?: z.ZodObject; query?: z.ZodObject; body?: z.ZodType };
  responses: Record<number, RouteResponse>;
  /** One request that succeeds on a stack with a published model (the OpenAPI test sends it). */
  example(fixture: ExampleFixture): ExampleRequest;
}

/** Every error answer: `{ error: { code, message, details? } }`. */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

const ERROR_RESPONSES: Record<number, string> = {
  400: 'invalid input; the message and details name the field',
  401: 'missing or wrong credentials',
  404: 'unknown resource',
  503: 'no model published yet, or shutting down',
};

export function openApiDocument(routes: readonly RouteDoc[], info: { title: string; version: string; description: string }): unknown {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'debugToken', { type: 'http', scheme: 'bearer', description: 'DEBUG_TOKEN' });
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'API_KEY, when set',
  });
  for (const route of routes) {
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      const type = r.contentType ?? 'application/json';
      responses[status] = { description: r.description, content: { [type]: { schema: r.schema ?? z.string() } } };
    }
    for (const [status, description] of Object.entries(ERROR_RESPONSES)) {
      if (status === '401' && !route.auth) continue;
      responses[status] ??= { description, content: { 'application/json': { schema: errorBody } } };
    }
    const body = route.request?.body;
    registry.registerPath({
      method: route.method,
      path: route.path,
      summary: route.summary,
      tags: [route.tag],
      ...(route.auth ? { security: [{ [route.auth]: [] }] } : {}),
      request: {
        ...(route.request?.params ? { params: route.request.params } : {}),
        ...(route.request?.query ? { query: route.request.query } : {}),
        ...(body ? { body: { required: true, content: { 'application/json': { schema: body } } } } : {}),
      },
      responses,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info });
}
