/**
 * Streaming reader for import files. Memory stays constant in the file size: bytes are split into
 * lines by hand (not readline) so that a line over MAX_LINE_BYTES is counted and skipped while it
 * streams past, never buffered whole.
 */
import fs from 'fs';
import type { StoreEvent } from '../domain/types';
import { NotFoundError, ValidationError } from '../errors';
import { createLineParser, type ImportFormat, type LineParser, MAX_LINE_BYTES, type ParsedRow, type RowError } from './formats';

export type { RowError } from './formats';

export interface BatchItem {
  itemId: string;
  category: string | null;
  /** Earliest event time of the item within this batch (epoch ms). */
  firstSeen: number;
}

export interface ParsedBatch {
  events: StoreEvent[];
  /** Every item referenced by `events`, once per batch. */
  items: BatchItem[];
  errors: RowError[];
  /** Physical lines read so far in the file (cumulative, header and blank lines included). */
  lines: number;
}

export interface ReadOptions {
  /** Events (plus rejected rows) per batch; default 5000. */
  batchSize?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** One physical line; `text` is null when the line exceeded the byte cap. */
export interface RawLine {
  line: number;
  text: string | null;
}

const CR = 0x0d;
const LF = 0x0a;
const READ_CHUNK_BYTES = 256 * 1024;

/** Stats the file up front so a wrong path fails with a clear message before any work. */
export async function statImportFile(path: string): Promise<number> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('file', path);
    throw err;
  }
  if (!stat.isFile()) throw new ValidationError(`'${path}' is not a regular file`);
  return stat.size;
}

/**
 * Yields the file's lines, one array per read chunk (per-line yields would cost an await each).
 * Line endings `\n` and `\r\n`; a last line without a newline counts; lines longer than
 * `maxLineBytes` (excluding the ending) come back with `text: null`.
 */
export async function* readLines(
  path: string,
  opts: { maxLineBytes?: number; onProgress?: (bytesRead: number, totalBytes: number) => void } = {},
): AsyncGenerator<RawLine[]> {
  const cap = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const totalBytes = await statImportFile(path);
  const stream = fs.createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });

  // The unfinished line carried over from earlier chunks.
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let oversized = false;
  let lineNo = 0;
  let bytesRead = 0;

  /** Ends the current line at `buf[start, end)` (the part after any carried bytes). */
  const finishLine = (buf: Buffer, start: number, end: number): RawLine => {
    lineNo++;
    let text: string | null = null;
    if (!oversized) {
      const tailBytes = end - start;
      const total = carryBytes + tailBytes;
      const lastPiece = carry.length > 0 ? carry[carry.length - 1] : null;
      const last = tailBytes > 0 ? buf[end - 1] : lastPiece ? lastPiece[lastPiece.length - 1] : -1;
      const contentBytes = last === CR ? total - 1 : total;
      if (contentBytes <= cap) {
        // Common case: the whole line sits in this chunk; decode it in place without copying.
        text =
          carryBytes === 0
            ? buf.toString('utf8', start, start + contentBytes)
            : Buffer.concat([...carry, buf.subarray(start, end)], total).toString('utf8', 0, contentBytes);
      }
    }
    carry = [];
    carryBytes = 0;
    oversized = false;
    return { line: lineNo, text };
  };

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytesRead += chunk.length;
      const out: RawLine[] = [];
      let start = 0;
      for (let nl = chunk.indexOf(LF, start); nl !== -1; nl = chunk.indexOf(LF, start)) {
        out.push(finishLine(chunk, start, nl));
        start = nl + 1;
      }
      if (start < chunk.length && !oversized) {
        const rest = chunk.length - start;
        // +1: the line may still end in a CR that does not count toward the cap.
        if (carryBytes + rest > cap + 1) {
          oversized = true;
          carry = [];
          carryBytes = 0;
        } else {
          // Copy so the 256 KiB chunk is not pinned by a short tail.
          carry.push(Buffer.from(chunk.subarray(start)));
          carryBytes += rest;
        }
      }
      if (out.length > 0) yield out;
      opts.onProgress?.(bytesRead, totalBytes);
    }
    if (carryBytes > 0 || oversized) yield [finishLine(Buffer.alloc(0), 0, 0)];
  } finally {
    stream.destroy();
  }
}

/** Accumulates parsed rows into a batch, deduplicating its items. */
class BatchBuilder {
  events: StoreEvent[] = [];
  errors: RowError[] = [];
  private items = new Map<string, BatchItem>();

  add(row: ParsedRow): void {
    const { event } = row;
    this.events.push(event);
    const known = this.items.get(event.itemId);
    if (known === undefined) {
      this.items.set(event.itemId, { itemId: event.itemId, category: row.item?.category ?? null, firstSeen: event.ts });
    } else {
      if (event.ts < known.firstSeen) known.firstSeen = event.ts;
      if (known.category === null && row.item?.category) known.category = row.item.category;
    }
  }

  get size(): number {
    return this.events.length + this.errors.length;
  }

  take(lines: number): ParsedBatch {
    const batch: ParsedBatch = { events: this.events, items: [...this.items.values()], errors: this.errors, lines };
    this.events = [];
    this.errors = [];
    this.items = new Map();
    return batch;
  }
}

function tooLong(line: number, cap: number): RowError {
  return { line, reason: `line is longer than ${cap} bytes` };
}

/**
 * Streams `path` as batches of parsed events. A batch is emitted once it holds `batchSize` events
 * plus rejected rows (so a file of garbage also stays in constant memory), and a last batch —
 * possibly empty — carries the final line count. Throws NotFoundError for a missing file and
 * ImportHeaderError for an unusable header.
 */
export async function* readEventFile(path: string, format: ImportFormat, opts: ReadOptions = {}): AsyncGenerator<ParsedBatch> {
  const batchSize = Math.max(1, opts.batchSize ?? 5000);
  const parser: LineParser<ParsedRow> = createLineParser(format);
  const builder = new BatchBuilder();
  let lines = 0;
  let emittedLines = 0;
  for await (const chunk of readLines(path, { onProgress: opts.onProgress })) {
    for (const raw of chunk) {
      lines = raw.line;
      if (raw.text === null) {
        builder.errors.push(tooLong(raw.line, MAX_LINE_BYTES));
      } else {
        const result = parser.parseLine(raw.text, raw.line);
        if (result !== null) {
          if (result.ok) builder.add(result.value);
          else builder.errors.push({ line: raw.line, reason: result.reason });
        }
      }
      if (builder.size >= batchSize) {
        emittedLines = lines;
        yield builder.take(lines);
      }
    }
  }
  if (builder.size > 0 || emittedLines !== lines) yield builder.take(lines);
}

export interface AllEvents {
  events: StoreEvent[];
  /** Every item seen, with its category (first non-null one seen), or null. */
  items: Map<string, string | null>;
  errors: RowError[];
  lines: number;
}

/** Reads a whole file into memory for offline evaluation (no database involved). */
export async function readAllEvents(path: string, format: ImportFormat): Promise<AllEvents> {
  const events: StoreEvent[] = [];
  const items = new Map<string, string | null>();
  const errors: RowError[] = [];
  let lines = 0;
  for await (const batch of readEventFile(path, format, { batchSize: 50_000 })) {
    for (const e of batch.events) events.push(e);
    for (const item of batch.items) {
      const known = items.get(item.itemId);
      if (known === undefined || (known === null && item.category !== null)) items.set(item.itemId, item.category);
    }
    for (const e of batch.errors) errors.push(e);
    lines = batch.lines;
  }
  return { events, items, errors, lines };
}
