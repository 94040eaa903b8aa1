/**
 * Line parsers for the `recs import` formats (SPEC "Command line"). Each parser turns one physical
 * line into an event (plus the item's category when the format carries one), a row error with a
 * reason, or nothing (blank line, header). Parsers never throw for bad rows; they throw
 * `ImportHeaderError` only when a header makes the whole file unreadable, so a wrong file fails
 * fast instead of producing one identical error per row.
 *
 * Mappings:
 * - `movielens`     u.data TSV `user item rating ts` (ml-1m `::` also accepted); every rating is a
 *                   `view` (the rating value is validated but not kept); ts seconds -> ms.
 * - `movielens-csv` ratings.csv with header `userId,movieId,rating,timestamp` (any order; when the
 *                   first line is data, that column order is assumed); same mapping.
 * - `taobao`        UserBehavior.csv `user,item,category,behavior,ts` without header;
 *                   pv->view, fav->fav, cart->cart, buy->purchase; category becomes the item's.
 * - `events-csv`    CSV with a header holding at least userId,itemId,type,timestamp (any order,
 *                   case-insensitive, optional `category`, other columns ignored).
 * - `ndjson`        one JSON object per line with the same fields.
 *
 * Timestamps in events-csv / ndjson / catalogue files: ISO-8601 (a date-time without an offset is
 * UTC, so imports are reproducible on any machine) or an epoch number. Numbers below 1e11 are
 * seconds, larger ones milliseconds (1e11 s is the year 5138; 1e11 ms is March 1973, so real data
 * is never ambiguous).
 *
 * A record is one line: CSV quoting handles commas and doubled quotes inside a field, but a quoted
 * field spanning lines is reported as an unterminated quote.
 */
import { EVENT_TYPES, type EventType, type ItemPatch, type StoreEvent } from '../domain/types';
import { idProblem, MAX_ID_LENGTH, parseTimestamp } from '../domain/rules';
import { ValidationError } from '../errors';

export const IMPORT_FORMATS = ['movielens', 'movielens-csv', 'taobao', 'events-csv', 'ndjson'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export function isImportFormat(value: string): value is ImportFormat {
  return (IMPORT_FORMATS as readonly string[]).includes(value);
}

/** Longest accepted line in bytes (without its line ending); longer lines are row errors. */
export const MAX_LINE_BYTES = 64 * 1024;

export interface ParsedItemRef {
  itemId: string;
  category: string | null;
}

export interface ParsedRow {
  event: StoreEvent;
  /** Present when the row carries the item's category (taobao, events-csv/ndjson with category). */
  item?: ParsedItemRef;
}

/** A rejected input line; `line` is 1-based. */
export interface RowError {
  line: number;
  reason: string;
}

export type RowResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Stateful per file (it remembers the header). `null` means the line carries no record. */
export interface LineParser<T> {
  parseLine(text: string, line: number): RowResult<T> | null;
}

/** The file's header makes every row unreadable (missing required column, duplicate column...). */
export class ImportHeaderError extends ValidationError {}

/** Thrown inside the parsers for a bad row; caught by `parseLine` and turned into a RowResult. */
class RowIssue extends Error {}

// ---------------------------------------------------------------------------------------------
// Field validation

const STRICT_SECONDS = /^\d{1,12}$/;

/** Quotes a raw value for a reason, shortened so a garbage cell cannot bloat the error list. */
function show(raw: string): string {
  const clipped = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  return JSON.stringify(clipped);
}

function requireId(raw: string | undefined, field: string): string {
  const value = raw === undefined ? '' : raw.trim();
  const problem = idProblem(value);
  if (problem === 'empty') throw new RowIssue(`missing ${field}`);
  if (problem === 'too-long') throw new RowIssue(`${field} is longer than ${MAX_ID_LENGTH} characters`);
  if (problem === 'control') throw new RowIssue(`${field} contains control characters`);
  if (problem === 'malformed') throw new RowIssue(`${field} is not well-formed Unicode`);
  return value;
}

/** Optional category: empty means unknown (null); otherwise the id rules apply. */
function optionalCategory(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  return requireId(raw, 'category');
}

const EVENT_TYPE_BY_NAME = new Map<string, EventType>(EVENT_TYPES.map((t) => [t, t]));

function requireEventType(raw: string | undefined): EventType {
  const value = raw === undefined ? '' : raw.trim();
  if (value === '') throw new RowIssue('missing type');
  const type = EVENT_TYPE_BY_NAME.get(value.toLowerCase());
  if (!type) throw new RowIssue(`unknown event type ${show(value)} (expected ${EVENT_TYPES.join(', ')})`);
  return type;
}

const TAOBAO_BEHAVIOR: ReadonlyMap<string, EventType> = new Map<string, EventType>([
  ['pv', 'view'],
  ['fav', 'fav'],
  ['cart', 'cart'],
  ['buy', 'purchase'],
]);

function requireTimestamp(raw: string | undefined, field = 'timestamp'): number {
  if (raw === undefined || raw.trim() === '') throw new RowIssue(`missing ${field}`);
  const ms = parseTimestamp(raw);
  if (ms === null) throw new RowIssue(`invalid ${field} ${show(raw.trim())} (expected ISO-8601 or epoch seconds/ms)`);
  return ms;
}

/** MovieLens and Taobao timestamps are integral epoch seconds. */
function requireEpochSeconds(raw: string): number {
  const s = raw.trim();
  if (s === '') throw new RowIssue('missing timestamp');
  if (!STRICT_SECONDS.test(s)) throw new RowIssue(`invalid timestamp ${show(s)} (expected epoch seconds)`);
  return Number(s) * 1000;
}

function requireRating(raw: string | undefined): void {
  const s = raw === undefined ? '' : raw.trim();
  if (s === '') throw new RowIssue('missing rating');
  if (!Number.isFinite(Number(s))) throw new RowIssue(`invalid rating ${show(s)}`);
}

// ---------------------------------------------------------------------------------------------
// CSV

/**
 * Splits one CSV record (RFC 4180 quoting: `"a,b"`, `"say ""hi"""`). Whitespace around a quoted
 * field is ignored. Throws RowIssue for an unterminated quote or text after a closing quote.
 */
export function splitCsvLine(line: string): string[] {
  // Fast path: the vast majority of machine-written rows have no quotes at all.
  if (line.indexOf('"') === -1) return line.split(',');
  const fields: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    let j = i;
    while (j < n && (line[j] === ' ' || line[j] === '\t')) j++;
    if (j < n && line[j] === '"') {
      let value = '';
      let k = j + 1;
      for (;;) {
        const q = line.indexOf('"', k);
        if (q === -1) throw new RowIssue(`unterminated quoted field in column ${fields.length + 1}`);
        value += line.slice(k, q);
        if (line[q + 1] === '"') {
          value += '"';
          k = q + 2;
          continue;
        }
        k = q + 1;
        break;
      }
      while (k < n && (line[k] === ' ' || line[k] === '\t')) k++;
      fields.push(value);
      if (k === n) return fields;
      if (line[k] !== ',') throw new RowIssue(`unexpected text after the closing quote in column ${fields.length}`);
      i = k + 1;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? n : comma;
      const raw = line.slice(i, end);
      if (raw.includes('"')) throw new RowIssue(`stray quote in unquoted column ${fields.length + 1}`);
      fields.push(raw);
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}

/** Quotes a value for CSV output when it needs it. */
export function formatCsvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Header names compare case-insensitively, ignoring `_`, `-` and spaces (user_id == userId). */
function normalizeHeaderName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[_\-\s]/g, '');
}

type ColumnIndex<K extends string> = Partial<Record<K, number>>;

/**
 * Maps header cells onto canonical columns. Unknown columns are ignored; a missing required or a
 * duplicated known column is a header error.
 */
function mapHeader<K extends string>(
  cells: string[],
  aliases: Record<string, K>,
  required: readonly K[],
  formatName: string,
): ColumnIndex<K> {
  const index: ColumnIndex<K> = {};
  cells.forEach((cell, i) => {
    const key = aliases[normalizeHeaderName(cell)];
    if (key === undefined) return;
    if (index[key] !== undefined) throw new ImportHeaderError(`${formatName} header names column '${key}' twice`);
    index[key] = i;
  });
  const missing = required.filter((k) => index[k] === undefined);
  if (missing.length > 0) {
    throw new ImportHeaderError(
      `${formatName} header (line 1) lacks required column(s) ${missing.join(', ')}; found: ${cells
        .map((c) => c.trim())
        .join(',')
        .slice(0, 200)}`,
    );
  }
  return index;
}

function field<K extends string>(fields: string[], index: ColumnIndex<K>, key: K): string | undefined {
  const i = index[key];
  return i === undefined ? undefined : fields[i];
}

/** A header row is made of names, not data: every cell starts with a letter. */
function looksLikeHeader(cells: string[]): boolean {
  return cells.every((c) => /^\s*[A-Za-z_][\w -]*\s*$/.test(c));
}

function stripBom(text: string, line: number): string {
  return line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function isBlank(text: string): boolean {
  return text.trim() === '';
}

function makeEvent(
  userRaw: string | undefined,
  itemRaw: string | undefined,
  type: EventType,
  ts: number,
  category: string | null | undefined,
): ParsedRow {
  const userId = requireId(userRaw, 'userId');
  const itemId = requireId(itemRaw, 'itemId');
  const event: StoreEvent = { userId, itemId, type, ts };
  return category === undefined ? { event } : { event, item: { itemId, category } };
}

/**
 * Wraps a row function into a LineParser: blank lines and the BOM are handled here, RowIssue
 * becomes a rejection. `onFirstLine` may consume a header (returns true) or let the line through.
 */
function lineParser<T>(parseRow: (text: string) => T, onFirstLine?: (text: string) => boolean): LineParser<T> {
  let sawFirst = false;
  return {
    parseLine(rawText: string, line: number): RowResult<T> | null {
      const text = stripBom(rawText, line);
      if (isBlank(text)) return null;
      try {
        if (!sawFirst) {
          sawFirst = true;
          if (onFirstLine && onFirstLine(text)) return null;
        }
        return { ok: true, value: parseRow(text) };
      } catch (err) {
        if (err instanceof RowIssue) return { ok: false, reason: err.message };
        throw err;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Event formats

function movieLensParser(): LineParser<ParsedRow> {
  const split = (text: string): string[] => {
    const tabs = text.split('\t');
    return tabs.length === 1 && text.includes('::') ? text.split('::') : tabs;
  };
  return lineParser(
    (text) => {
      const f = split(text);
      if (f.length !== 4) {
        throw new RowIssue(`expected 4 tab-separated fields (user, item, rating, timestamp), got ${f.length}`);
      }
      requireRating(f[2]);
      return makeEvent(f[0], f[1], 'view', requireEpochSeconds(f[3]), undefined);
    },
    (text) => looksLikeHeader(split(text)),
  );
}

type MovieLensCsvColumn = 'userId' | 'itemId' | 'rating' | 'timestamp';
const MOVIELENS_CSV_ALIASES: Record<string, MovieLensCsvColumn> = {
  userid: 'userId',
  movieid: 'itemId',
  itemid: 'itemId',
  rating: 'rating',
  timestamp: 'timestamp',
};

function movieLensCsvParser(): LineParser<ParsedRow> {
  // Without a header, ratings.csv's own column order is assumed.
  let index: ColumnIndex<MovieLensCsvColumn> = { userId: 0, itemId: 1, rating: 2, timestamp: 3 };
  let columns = 4;
  return lineParser(
    (text) => {
      const f = splitCsvLine(text);
      if (f.length !== columns) throw new RowIssue(`expected ${columns} columns, got ${f.length}`);
      if (index.rating !== undefined) requireRating(f[index.rating]);
      const ts = requireEpochSeconds(field(f, index, 'timestamp') ?? '');
      return makeEvent(field(f, index, 'userId'), field(f, index, 'itemId'), 'view', ts, undefined);
    },
    (text) => {
      const cells = splitCsvLine(text);
      if (!looksLikeHeader(cells)) return false;
      index = mapHeader(cells, MOVIELENS_CSV_ALIASES, ['userId', 'itemId', 'timestamp'], 'movielens-csv');
      columns = cells.length;
      return true;
    },
  );
}

function taobaoParser(): LineParser<ParsedRow> {
  return lineParser(
    (text) => {
      const f = text.split(',');
      if (f.length !== 5) {
        throw new RowIssue(`expected 5 comma-separated fields (user, item, category, behavior, timestamp), got ${f.length}`);
      }
      const behavior = f[3].trim();
      if (behavior === '') throw new RowIssue('missing behavior');
      const type = TAOBAO_BEHAVIOR.get(behavior.toLowerCase());
      if (!type) throw new RowIssue(`unknown behavior ${show(behavior)} (expected pv, fav, cart, buy)`);
      return makeEvent(f[0], f[1], type, requireEpochSeconds(f[4]), optionalCategory(f[2]));
    },
    // The published file has no header; tolerate one (e.g. user_id,item_id,...) anyway.
    (text) => looksLikeHeader(text.split(',')),
  );
}

type EventColumn = 'userId' | 'itemId' | 'type' | 'timestamp' | 'category';
const EVENT_ALIASES: Record<string, EventColumn> = {
  userid: 'userId',
  user: 'userId',
  itemid: 'itemId',
  item: 'itemId',
  type: 'type',
  eventtype: 'type',
  timestamp: 'timestamp',
  ts: 'timestamp',
  category: 'category',
};
const REQUIRED_EVENT_COLUMNS: readonly EventColumn[] = ['userId', 'itemId', 'type', 'timestamp'];

function eventsCsvParser(): LineParser<ParsedRow> {
  let index: ColumnIndex<EventColumn> | null = null;
  let columns = 0;
  return lineParser(
    (text) => {
      if (!index) throw new Error('events-csv header not read'); // unreachable: first line is the header
      const f = splitCsvLine(text);
      if (f.length !== columns) throw new RowIssue(`expected ${columns} columns, got ${f.length}`);
      const type = requireEventType(field(f, index, 'type'));
      const ts = requireTimestamp(field(f, index, 'timestamp'));
      const category = index.category === undefined ? undefined : optionalCategory(f[index.category]);
      return makeEvent(field(f, index, 'userId'), field(f, index, 'itemId'), type, ts, category);
    },
    (text) => {
      let cells: string[];
      try {
        cells = splitCsvLine(text);
      } catch (err) {
        throw new ImportHeaderError(`events-csv header (line 1) is not valid CSV: ${(err as Error).message}`);
      }
      index = mapHeader(cells, EVENT_ALIASES, REQUIRED_EVENT_COLUMNS, 'events-csv');
      columns = cells.length;
      return true;
    },
  );
}

/** JSON ids may be strings or integers; anything else is a row error. */
function jsonText(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new RowIssue(`${name} must be a string or a number`);
}

function ndjsonParser(): LineParser<ParsedRow> {
  return lineParser((text) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new RowIssue(`invalid JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new RowIssue('expected a JSON object');
    }
    const o = parsed as Record<string, unknown>;
    if (typeof o.type !== 'string' && o.type !== undefined && o.type !== null) throw new RowIssue('type must be a string');
    const type = requireEventType(o.type as string | undefined);
    const tsValue = o.timestamp ?? o.ts;
    const ts = requireTimestamp(jsonText(tsValue, 'timestamp'));
    const category = 'category' in o ? optionalCategory(jsonText(o.category, 'category')) : undefined;
    return makeEvent(jsonText(o.userId, 'userId'), jsonText(o.itemId, 'itemId'), type, ts, category);
  });
}

/** A fresh, stateful parser for one file of `format`. */
export function createLineParser(format: ImportFormat): LineParser<ParsedRow> {
  switch (format) {
    case 'movielens':
      return movieLensParser();
    case 'movielens-csv':
      return movieLensCsvParser();
    case 'taobao':
      return taobaoParser();
    case 'events-csv':
      return eventsCsvParser();
    case 'ndjson':
      return ndjsonParser();
  }
}

// ---------------------------------------------------------------------------------------------
// Catalogue CSV (`recs import --items`)

type ItemColumn = 'itemId' | 'category' | 'available' | 'price' | 'createdAt';
const ITEM_ALIASES: Record<string, ItemColumn> = {
  itemid: 'itemId',
  item: 'itemId',
  category: 'category',
  available: 'available',
  price: 'price',
  createdat: 'createdAt',
};

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['yes', true],
  ['y', true],
  ['false', false],
  ['0', false],
  ['no', false],
  ['n', false],
]);

/**
 * Catalogue CSV: header `itemId,category,available,price,createdAt` in any order, only itemId
 * required. An empty cell leaves that field unchanged (it is left out of the patch), matching
 * upsertItems' "only the fields present change".
 */
export function createItemLineParser(): LineParser<ItemPatch> {
  let index: ColumnIndex<ItemColumn> | null = null;
  let columns = 0;
  return lineParser(
    (text) => {
      if (!index) throw new Error('catalogue header not read');
      const f = splitCsvLine(text);
      if (f.length !== columns) throw new RowIssue(`expected ${columns} columns, got ${f.length}`);
      const patch: ItemPatch = { itemId: requireId(field(f, index, 'itemId'), 'itemId') };
      const category = field(f, index, 'category');
      if (category !== undefined && category.trim() !== '') patch.category = requireId(category, 'category');
      const available = field(f, index, 'available');
      if (available !== undefined && available.trim() !== '') {
        const flag = BOOLEAN_WORDS.get(available.trim().toLowerCase());
        if (flag === undefined) throw new RowIssue(`invalid available ${show(available.trim())} (expected true/false)`);
        patch.available = flag;
      }
      const price = field(f, index, 'price');
      if (price !== undefined && price.trim() !== '') {
        const value = Number(price.trim());
        if (!Number.isFinite(value) || value < 0) throw new RowIssue(`invalid price ${show(price.trim())}`);
        patch.price = value;
      }
      const createdAt = field(f, index, 'createdAt');
      if (createdAt !== undefined && createdAt.trim() !== '') patch.createdAt = requireTimestamp(createdAt, 'createdAt');
      return patch;
    },
    (text) => {
      let cells: string[];
      try {
        cells = splitCsvLine(text);
      } catch (err) {
        throw new ImportHeaderError(`catalogue header (line 1) is not valid CSV: ${(err as Error).message}`);
      }
      index = mapHeader(cells, ITEM_ALIASES, ['itemId'], 'catalogue');
      columns = cells.length;
      return true;
    },
  );
}

// ---------------------------------------------------------------------------------------------
// In-memory convenience

/**
 * Parses a whole text (tests, small inputs). Line numbers are 1-based over physical lines;
 * `\r\n` endings are accepted.
 */
export function parseText<T = ParsedRow>(text: string, parser: LineParser<T>): { rows: T[]; errors: RowError[]; lines: number } {
  const rows: T[] = [];
  const errors: RowError[] = [];
  const physical = text.split('\n');
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  physical.forEach((raw, i) => {
    const line = i + 1;
    const result = parser.parseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw, line);
    if (result === null) return;
    if (result.ok) rows.push(result.value);
    else errors.push({ line, reason: result.reason });
  });
  return { rows, errors, lines: physical.length };
}
