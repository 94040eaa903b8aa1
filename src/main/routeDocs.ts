/**
 * Every route's description, for the OpenAPI document: each feature's RouteDocs plus the entry
 * layer's own routes (`/metrics`, `/openapi.json`).
 */
import { z } from 'zod';
import type { RouteDoc } from '../http/openapi';
import { recommendationRouteDocs } from '../recommendations/schemas';
import { eventRouteDocs } from '../events/schemas';
import { catalogRouteDocs } from '../catalog/schemas';
import { feedbackRouteDocs } from '../feedback/schemas';
import { healthRouteDocs } from '../health/schemas';
import { debugRouteDocs } from '../debug/schemas';
import { experimentRouteDocs } from '../experiments/schemas';
import { growthRouteDocs } from '../growth/schemas';
import { consoleRouteDocs } from '../console/schemas';

const entryRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics: latency by route, cache hits and misses, fallbacks by segment and step, the live model version',
    tag: 'operations',
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
    example: () => ({ status: 200 }),
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tag: 'operations',
    responses: { 200: { description: 'OpenAPI 3.1', schema: z.looseObject({ openapi: z.string(), paths: z.looseObject({}) }) } },
    example: () => ({ status: 200 }),
  },
];

export const ROUTE_DOCS: readonly RouteDoc[] = [
  ...recommendationRouteDocs,
  ...eventRouteDocs,
  ...catalogRouteDocs,
  ...feedbackRouteDocs,
  ...healthRouteDocs,
  ...entryRouteDocs,
  ...debugRouteDocs,
  ...experimentRouteDocs,
  ...growthRouteDocs,
  ...consoleRouteDocs,
];
