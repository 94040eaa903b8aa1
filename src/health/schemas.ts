/** Answer schemas of the liveness and readiness probes, and their OpenAPI descriptions. */
import { z } from 'zod';
import type { RouteDoc } from '../http/openapi';

export const livenessAnswer = z.object({ status: z.literal('ok') });

export const readinessAnswer = z
  .object({
    status: z.enum(['ready', 'degraded', 'not_ready']),
    degraded: z.boolean(),
    checks: z.record(z.string(), z.string()).meta({ description: 'model, cache, database (ok or down: reason), cacheCircuit, lifecycle' }),
  })
  .meta({ id: 'Readiness' });

export const healthRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process runs',
    tag: 'operations',
    responses: { 200: { description: 'alive', schema: livenessAnswer } },
    example: () => ({ status: 200 }),
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: a model is loaded and its stores answer (degraded while a store is down)',
    tag: 'operations',
    responses: {
      200: { description: 'ready, or degraded (answers still flow from memory)', schema: readinessAnswer },
      503: { description: 'no model loaded, or shutting down', schema: readinessAnswer },
    },
    example: () => ({ status: 200 }),
  },
];
