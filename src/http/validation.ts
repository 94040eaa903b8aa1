/**
 * Request validation: the field schemas every feature's request schemas share (ids, timestamps,
 * built on the domain rules the importers apply too) and the mapping of zod failures to 400s that
 * name the field.
 */
import { z } from 'zod';
import { epochMs, idProblem, MAX_ID_LENGTH, parseTimestamp } from '../domain/rules';
import { ValidationError } from '../errors';

const EARLIEST = Date.UTC(1995, 0, 1);

/** Ids: see domain/rules.ts idProblem. */
export const idSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
  .refine((s) => idProblem(s) !== 'control', 'must not contain control characters')
  .refine((s) => idProblem(s) !== 'malformed', 'must be well-formed Unicode');

/** A comma-separated list of ids in a query string, at most `max` of them. */
export function idListSchema(max: number) {
  return z
    .string()
    .max(max * (MAX_ID_LENGTH + 1))
    .transform((s) => s.split(',').filter((x) => x.length > 0))
    .pipe(z.array(idSchema).max(max, `at most ${max} ids`));
}

/** ISO-8601 text, or epoch seconds/milliseconds (numbers below 1e11 are seconds); not in the future. */
export const timestampSchema = z.union([z.string().max(64), z.number().finite()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? epochMs(v) : (parseTimestamp(v) ?? NaN);
  if (!Number.isFinite(ms) || ms < EARLIEST || ms > Date.now() + 24 * 3600 * 1000) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 time or epoch seconds/ms, not in the future' });
    return z.NEVER;
  }
  return ms;
});

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
