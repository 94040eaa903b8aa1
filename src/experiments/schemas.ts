/** The experiments report's answer schema and its OpenAPI description. */
import { z } from 'zod';
import { SEGMENTS } from '../domain/types';
import type { RouteDoc } from '../http/openapi';

const rates = {
  impressions: z.number(),
  clicks: z.number(),
  purchases: z.number(),
  revenue: z.number(),
  ctr: z.number(),
  conversion: z.number(),
  revenuePerThousand: z.number(),
};
/** A variant minus control, with its 95% interval. */
export const differenceSchema = z.object({ diff: z.number(), ci95: z.tuple([z.number(), z.number()]), pValue: z.number().nullable() });

const segmentRates = z.array(z.object({ segment: z.enum(SEGMENTS), ...rates }));

export const experimentReportAnswer = z
  .object({
    experiments: z.array(
      z.object({
        name: z.string(),
        config: z
          .looseObject({})
          .nullable()
          .meta({ description: 'the targeting as configured (segments, tags, placement, start, stop); null when no longer configured' }),
        control: z.string(),
        variants: z.array(
          z.object({
            variant: z.string(),
            ...rates,
            segments: segmentRates,
            vsControl: z.object({ ctr: differenceSchema, conversion: differenceSchema, revenuePerThousand: differenceSchema }).optional(),
          }),
        ),
      }),
    ),
    outside: z.object({ ...rates, segments: segmentRates }).meta({ description: 'answers outside every experiment (variant default)' }),
  })
  .meta({ id: 'ExperimentReport' });

export const experimentRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/debug/experiments',
    summary:
      'Experiments report per variant and segment: CTR, conversion, revenue per 1,000 impressions, each against control with a 95% interval',
    tag: 'operators',
    auth: 'debugToken',
    responses: { 200: { description: 'the report', schema: experimentReportAnswer } },
    example: () => ({ status: 200 }),
  },
];
