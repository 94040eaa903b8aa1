/** The A/B report's answer schema and its OpenAPI description. */
import { z } from 'zod';
import { SEGMENTS } from '../domain/types';
import type { RouteDoc } from '../http/openapi';

const rates = { impressions: z.number(), clicks: z.number(), purchases: z.number(), ctr: z.number(), conversion: z.number() };
const difference = z.object({ diff: z.number(), ci95: z.tuple([z.number(), z.number()]), pValue: z.number().nullable() });

export const experimentReportAnswer = z
  .looseObject({
    config: z.unknown().meta({ description: "the policy's experiment, null without one" }),
    experiment: z.string().nullable(),
    control: z.string(),
    variants: z.array(
      z.object({
        variant: z.string(),
        ...rates,
        segments: z.array(z.object({ segment: z.enum(SEGMENTS), ...rates })),
        vsControl: z.object({ ctr: difference, conversion: difference }).optional(),
      }),
    ),
  })
  .meta({ id: 'ExperimentReport' });

export const experimentRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/debug/experiments',
    summary: 'A/B report per variant and segment: impressions, CTR, conversion, difference to control with a 95% interval',
    tag: 'operators',
    auth: 'debugToken',
    responses: { 200: { description: 'the report', schema: experimentReportAnswer } },
    example: () => ({ status: 200 }),
  },
];
