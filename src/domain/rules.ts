/**
 * Rules for the ids and timestamps that reach the service, shared by the HTTP API and the
 * importers so both accept the same values. Each side words its own errors.
 */

/** Longest accepted user/item id or category, in characters. */
export const MAX_ID_LENGTH = 256;
/** Epoch numbers below this are seconds, at or above it milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
export const SECONDS_THRESHOLD = 1e11;

/** C0 and C1 controls, DEL, and the line/paragraph separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** A UTF-16 surrogate that is not part of a pair (not encodable as UTF-8). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type IdProblem = 'empty' | 'too-long' | 'control' | 'malformed';

/**
 * Ids are 1..256 characters of well-formed Unicode without control characters. Anything else
 * printable is allowed (shops use all sorts of SKUs): ids only ever travel as bind parameters and
 * length-prefixed Redis arguments, never spliced into text.
 */
export function idProblem(value: string): IdProblem | null {
  if (value.length === 0) return 'empty';
  if (value.length > MAX_ID_LENGTH) return 'too-long';
  if (CONTROL_CHARS.test(value)) return 'control';
  if (LONE_SURROGATE.test(value)) return 'malformed';
  return null;
}

const EPOCH_NUMBER = /^\d+(?:\.\d+)?$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;
/** Largest time a JS Date can hold. */
const MAX_TIME_MS = 8.64e15;

/** Epoch ms of an epoch number: below SECONDS_THRESHOLD it counts seconds. */
export function epochMs(n: number): number {
  return Math.round(Math.abs(n) < SECONDS_THRESHOLD ? n * 1000 : n);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parses an ISO-8601 date or date-time, or an epoch number (< 1e11 seconds, else milliseconds).
 * Returns epoch ms or null. Components are range-checked by hand because Date.parse rolls
 * 2026-02-30 over into March.
 */
export function parseTimestamp(raw: string): number | null {
  const s = raw.trim();
  if (s === '') return null;
  if (EPOCH_NUMBER.test(s)) {
    const n = Number(s);
    const ms = epochMs(n);
    return Number.isFinite(ms) && ms <= MAX_TIME_MS ? ms : null;
  }
  const m = ISO_8601.exec(s);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIME_MS ? ms : null;
}
