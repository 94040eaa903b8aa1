/** Request schemas (zod) and the mapping of their failures to 400s that name the field. */
import { z } from 'zod';
import { EVENT_TYPES } from '../domain/types';
import { ValidationError } from '../errors';

export const MAX_ID_LENGTH = 256;
export const MAX_EVENTS_PER_CALL = 1000;
const EARLIEST = Date.UTC(1995, 0, 1);
/** A UTF-16 surrogate that is not part of a pair (not encodable as UTF-8). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Ids: 1..256 characters of well-formed Unicode text, without control characters (C0, DEL, C1) or
 * line/paragraph separators. Anything else printable is allowed (shops use all sorts of SKUs); ids
 * only ever travel as bind parameters and length-prefixed Redis arguments, never spliced into text.
 */
export const idSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
  .regex(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]+$/, 'must not contain control characters')
  .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode');

/** ISO-8601 text, or epoch seconds/milliseconds (numbers below 1e11 are seconds). */
export const timestampSchema = z
  .union([z.string().max(64), z.number().finite()])
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? (Math.abs(v) < 1e11 ? v * 1000 : v) : Date.parse(v);
    if (!Number.isFinite(ms) || ms < EARLIEST || ms > Date.now() + 24 * 3600 * 1000) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 time or epoch seconds/ms, not in the future' });
      return z.NEVER;
    }
    return Math.round(ms);
  });

export const recommendationsQuery = z.object({
  limit: z.coerce.number().int('must be an integer').min(1).max(100).default(10),
  category: idSchema.optional(),
  exclude: z
    .string()
    .max(100 * (MAX_ID_LENGTH + 1))
    .transform((s) => s.split(',').filter((x) => x.length > 0))
    .pipe(z.array(idSchema).max(100, 'at most 100 ids'))
    .optional(),
  context: idSchema.optional(),
}).strict();

export const similarQuery = z
  .object({
    limit: z.coerce.number().int('must be an integer').min(1).max(100).default(10),
  })
  .strict();

export const eventsBody = z
  .object({
    events: z
      .array(
        z
          .object({
            userId: idSchema,
            itemId: idSchema,
            type: z.enum(EVENT_TYPES, { message: `must be one of ${EVENT_TYPES.join(', ')}` }),
            timestamp: timestampSchema.optional(),
          })
          .strict(),
      )
      .min(1, 'must hold at least one event')
      .max(MAX_EVENTS_PER_CALL, `at most ${MAX_EVENTS_PER_CALL} events per call`),
  })
  .strict();

export const itemBody = z
  .object({
    category: idSchema.nullable().optional(),
    available: z.boolean().optional(),
    price: z.number().finite().min(0).max(1e12).nullable().optional(),
    createdAt: timestampSchema.nullable().optional(),
  })
  .strict();

/** Parses or throws a ValidationError whose message and details name the offending fields. */
export function parseOrThrow<S extends z.ZodTypeAny>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => {
    const field = [where, ...i.path.map(String)].filter(Boolean).join('.');
    const message = i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message;
    return { field, message };
  });
  const first = details[0];
  throw new ValidationError(`invalid ${first.field}: ${first.message}`, details);
}
