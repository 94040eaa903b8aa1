/** Request and answer schemas of `GET /debug/growth`, and its OpenAPI description. */
import { z } from 'zod';
import { SEGMENTS } from '../domain/types';
import type { RouteDoc } from '../http/openapi';
import { differenceSchema } from '../experiments/schemas';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD')
  .refine((s) => {
    const ms = Date.parse(`${s}T00:00:00Z`);
    return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === s;
  }, 'must be a calendar day');

export const growthQuery = z
  .object({
    from: day.optional().meta({ description: 'first day of the outcome rows (UTC), inclusive' }),
    to: day.optional().meta({ description: 'last day of the outcome rows (UTC), inclusive' }),
  })
  .strict()
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'must not be before from' });

const segmentCounts = z.record(z.string(), z.number());

export const growthAnswer = z
  .object({
    range: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
    versions: z.array(
      z.object({ version: z.string(), status: z.string(), trainedAt: z.string(), dataNow: z.string().nullable(), segments: segmentCounts }),
    ),
    transitions: z.object({ from: z.string(), to: z.string(), counts: z.record(z.string(), segmentCounts) }).nullable(),
    retention: z.record(
      z.string(),
      z.object({
        users: z.number(),
        retained: z.number(),
        rate: z.number(),
        activation: z.number().optional(),
        winBack: z.number().optional(),
        churn: z.number().optional(),
      }),
    ),
    outcomes: z.array(
      z.object({
        day: z.string(),
        experiment: z.string(),
        variant: z.string(),
        segment: z.enum(SEGMENTS),
        placement: z.string(),
        impressions: z.number(),
        clicks: z.number(),
        purchases: z.number(),
        revenue: z.number(),
        revenueSq: z.number(),
        ctr: z.number(),
        conversion: z.number(),
        revenuePerThousand: z.number(),
      }),
    ),
    experiments: z.array(
      z.object({
        name: z.string(),
        segments: z.array(z.enum(SEGMENTS)).nullable(),
        tags: z.record(z.string(), z.string()).nullable(),
        placement: z.string().nullable(),
        start: z.string().nullable(),
        stop: z.string().nullable(),
        control: z.string(),
        variants: z.array(
          z.object({ variant: z.string(), ctr: differenceSchema, conversion: differenceSchema, revenuePerThousand: differenceSchema }),
        ),
      }),
    ),
    complete: z.boolean(),
  })
  .meta({ id: 'GrowthReport' });

export const growthRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/debug/growth',
    summary: 'The growth report: versions and segment sizes, segment movement, outcomes per day, variants against control',
    tag: 'operators',
    auth: 'debugToken',
    request: { query: growthQuery },
    responses: {
      200: { description: 'the report (JSON), or with `Accept: text/csv` the outcome rows as CSV', schema: growthAnswer },
    },
    example: () => ({ query: { from: '2020-01-01' }, status: 200 }),
  },
];
