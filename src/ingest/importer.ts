/**
 * `recs import`: streams a file through the parsers into the stores, batch by batch. Items are
 * ensured before the events that reference them, so a crash between the two calls never leaves
 * events pointing at unknown items. Bad rows are counted and reported with line numbers.
 */
import path from 'path';
import type { ItemPatch } from '../domain/types';
import { moduleLogger, type Logger } from '../observability/logger';
import { NO_PROGRESS, type Progress, type ProgressBar } from '../observability/terminal';
import type { CatalogStore, EventStore } from '../storage/ports';
import { createItemLineParser, type ImportFormat, MAX_LINE_BYTES, type RowError } from './formats';
import { readEventFile, readLines, statImportFile } from './reader';

/** Errors kept in a report; the count of rejected rows is always complete. */
export const MAX_REPORTED_ERRORS = 100;
export const DEFAULT_IMPORT_BATCH_SIZE = 5000;

export interface ImportReport {
  file: string;
  format: ImportFormat;
  /** Physical lines read, header and blank lines included. */
  lines: number;
  imported: number;
  rejected: number;
  /** The first MAX_REPORTED_ERRORS row errors, in line order. */
  errors: RowError[];
  seconds: number;
}

export interface ImportOptions {
  path: string;
  format: ImportFormat;
  events: EventStore;
  catalog: CatalogStore;
  batchSize?: number;
  /** Where to draw a progress bar (the CLI passes a TerminalProgress on a terminal). */
  progress?: Progress;
  logger?: Logger;
}

export interface ItemsImportReport {
  file: string;
  lines: number;
  imported: number;
  rejected: number;
  errors: RowError[];
  seconds: number;
}

export interface ItemsImportOptions {
  path: string;
  catalog: CatalogStore;
  batchSize?: number;
  progress?: Progress;
  logger?: Logger;
}

/** A byte-based bar, started once the file's size is known. */
function progressBar(progress: Progress | undefined, label: string) {
  let bar: ProgressBar | null = null;
  return {
    update(read: number, total: number) {
      bar ??= (progress ?? NO_PROGRESS).bar(label, total, 'bytes');
      bar.update(read);
    },
    stop() {
      bar?.stop();
    },
  };
}

class ErrorCollector {
  readonly kept: RowError[] = [];
  count = 0;

  constructor(private readonly log: Logger) {}

  addAll(errors: RowError[]): void {
    for (const e of errors) {
      this.count++;
      if (this.kept.length < MAX_REPORTED_ERRORS) this.kept.push(e);
      this.log.debug({ line: e.line, reason: e.reason }, 'row rejected');
    }
  }
}

const elapsedSeconds = (startedAt: bigint) => Number(process.hrtime.bigint() - startedAt) / 1e9;

export async function importFile(opts: ImportOptions): Promise<ImportReport> {
  const log = opts.logger ?? moduleLogger('import');
  const startedAt = process.hrtime.bigint();
  await statImportFile(opts.path); // a missing file fails here, before any store call
  const bar = progressBar(opts.progress, path.basename(opts.path));
  const errors = new ErrorCollector(log);
  let imported = 0;
  let lines = 0;
  try {
    for await (const batch of readEventFile(opts.path, opts.format, {
      batchSize: opts.batchSize ?? DEFAULT_IMPORT_BATCH_SIZE,
      onProgress: bar.update,
    })) {
      if (batch.items.length > 0) await opts.catalog.ensureItems(batch.items);
      if (batch.events.length > 0) imported += await opts.events.bulkInsertEvents(batch.events);
      errors.addAll(batch.errors);
      lines = batch.lines;
    }
  } finally {
    bar.stop();
  }
  const report: ImportReport = {
    file: opts.path,
    format: opts.format,
    lines,
    imported,
    rejected: errors.count,
    errors: errors.kept,
    seconds: elapsedSeconds(startedAt),
  };
  log.info(
    { file: report.file, format: report.format, lines, imported, rejected: report.rejected, seconds: report.seconds },
    'import finished',
  );
  return report;
}

/**
 * `recs import --items <file>`: the catalogue CSV (header itemId,category,available,price,createdAt;
 * only itemId required), upserted in batches.
 */
export async function importItemsFile(opts: ItemsImportOptions): Promise<ItemsImportReport> {
  const log = opts.logger ?? moduleLogger('import');
  const startedAt = process.hrtime.bigint();
  await statImportFile(opts.path);
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_IMPORT_BATCH_SIZE);
  const bar = progressBar(opts.progress, path.basename(opts.path));
  const parser = createItemLineParser();
  const errors = new ErrorCollector(log);
  let imported = 0;
  let lines = 0;
  // Later rows for the same item win within a batch, as they would across batches.
  let pending = new Map<string, ItemPatch>();
  const flush = async () => {
    if (pending.size === 0) return;
    const patches = [...pending.values()];
    pending = new Map();
    imported += await opts.catalog.upsertItems(patches);
  };
  try {
    for await (const chunk of readLines(opts.path, { onProgress: bar.update })) {
      const chunkErrors: RowError[] = [];
      for (const raw of chunk) {
        lines = raw.line;
        if (raw.text === null) {
          chunkErrors.push({ line: raw.line, reason: `line is longer than ${MAX_LINE_BYTES} bytes` });
          continue;
        }
        const result = parser.parseLine(raw.text, raw.line);
        if (result === null) continue;
        if (!result.ok) {
          chunkErrors.push({ line: raw.line, reason: result.reason });
          continue;
        }
        const patch = result.value;
        const earlier = pending.get(patch.itemId);
        pending.set(patch.itemId, earlier ? { ...earlier, ...patch } : patch);
        if (pending.size >= batchSize) await flush();
      }
      errors.addAll(chunkErrors);
    }
    await flush();
  } finally {
    bar.stop();
  }
  const report: ItemsImportReport = {
    file: opts.path,
    lines,
    imported,
    rejected: errors.count,
    errors: errors.kept,
    seconds: elapsedSeconds(startedAt),
  };
  log.info({ file: report.file, lines, imported, rejected: report.rejected, seconds: report.seconds }, 'items import finished');
  return report;
}
