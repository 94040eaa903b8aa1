/**
 * `recs`: the command line (commander). Each command loads the configuration once, opens the
 * stores through the wiring module, and closes them before returning.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import path from 'path';
import { loadConfig } from '../config';
import { configureLogger } from '../observability/logger';
import { TerminalProgress } from '../observability/terminal';
import { ensureSchema, withStores } from './wiring';
import { serve } from './server';
import { demo } from './demo';
import { IMPORT_FORMATS, type ImportFormat } from '../ingest/formats';
import type { TrainReport } from '../../training/job/pipeline';
import type { HoldoutMetrics } from '../contracts/versionRecord';
// Each command loads what it runs (`await import` below): the importer, the sample generator and
// the training pipeline (TF.js, mathjs, cli-progress) stay out of the serving process's heap, where
// every young-generation GC would pay for them.

function parseIsoTime(value: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expected an ISO-8601 time');
  return ms;
}

function parseFraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a fraction between 0 and 1');
  return n;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535');
  return n;
}

function printTrainReport(report: TrainReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const holdout = (report.metrics.holdout ?? {}) as Record<string, HoldoutMetrics>;
  const lines = [
    `version ${report.version}: ${report.status}`,
    `  events ${report.events}, users ${report.users}, items ${report.items}`,
    `  segments ${Object.entries(report.segments)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    ...Object.entries(holdout).map(
      ([m, r]) =>
        `  holdout ${m.padEnd(10)} HR@10 ${r.hr10.toFixed(4)}  NDCG@10 ${r.ndcg10.toFixed(4)}` +
        (r.ci95 ? ` [${r.ci95.ndcg10[0].toFixed(4)}, ${r.ci95.ndcg10[1].toFixed(4)}] on ${r.users} cases` : ''),
    ),
    `  timings ${Object.entries(report.timings)
      .filter(([k]) => !k.includes('.'))
      .map(([k, v]) => `${k}=${v.toFixed(2)}s`)
      .join(' ')}`,
  ];
  if (report.gate?.summary) lines.push(`  gate: ${report.gate.summary}`);
  if (report.gate?.paired) {
    const p = report.gate.paired;
    lines.push(
      `  gate: vs live ${p.liveVersion}${p.samePolicy ? ' (same policy)' : ''} on ${p.cases} holdout cases: candidate NDCG@10 ${p.candidate.ndcg10.toFixed(4)}, live ${p.live.ndcg10.toFixed(4)}` +
        (p.difference
          ? `, paired difference ${p.difference.diff.toFixed(4)} (95% CI [${p.difference.ci95[0].toFixed(4)}, ${p.difference.ci95[1].toFixed(4)}], one-sided lower bound ${p.difference.lower.toFixed(4)})`
          : ''),
    );
  }
  if (report.gate && report.gate.reasons.length) {
    lines.push(
      report.gate.forced
        ? `  gate: forced past: ${report.gate.reasons.join('; ')}`
        : `  gate: REFUSED, the live version keeps serving: ${report.gate.reasons.join('; ')}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('recs')
    .description('Storefront recommendation service: import events, train, publish, serve')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('migrate')
    .description('create or upgrade the schema in DATABASE_URL (embedded PGlite when unset)')
    .action(async () => {
      const config = loadConfig();
      const logger = configureLogger(config.logLevel, { toStderr: true });
      const { openDatabase } = await import('../storage/database');
      const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const applied = await db.migrate();
        const version = await db.schemaVersion();
        logger.debug({ applied }, 'migrations applied');
        process.stdout.write(`schema at version ${version} (${applied.length} migration(s) applied) on ${db.kind}\n`);
      } finally {
        await db.close();
      }
    });

  program
    .command('import')
    .description('stream events (and with --items a catalogue) from a file into the database')
    .argument('<file>', 'events file')
    .addOption(new Option('--format <format>', 'file format').choices([...IMPORT_FORMATS]).makeOptionMandatory())
    .option('--items <file>', 'catalogue CSV: itemId,category,available,price,createdAt')
    .option('--batch-size <n>', 'rows per insert batch', (v) => Number(v), 5000)
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { format: ImportFormat; items?: string; batchSize: number; json?: boolean }) => {
      const config = loadConfig();
      const progress = process.stderr.isTTY && !opts.json ? new TerminalProgress(process.stderr) : undefined;
      const logger = configureLogger(config.logLevel, { toStderr: true, terminal: progress?.logStream() });
      const { openDatabase } = await import('../storage/database');
      const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await ensureSchema(db);
        const { importFile, importItemsFile } = await import('../ingest/importer');
        const items = opts.items ? await importItemsFile({ path: opts.items, catalog: db.catalog, progress, logger }) : undefined;
        const report = await importFile({
          path: file,
          format: opts.format,
          events: db.events,
          catalog: db.catalog,
          batchSize: opts.batchSize,
          progress,
          logger,
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ events: report, items }, null, 2)}\n`);
        } else {
          if (items) process.stdout.write(`items: ${items.imported} upserted, ${items.rejected} rejected\n`);
          process.stdout.write(
            `imported ${report.imported} events from ${path.basename(report.file)} in ${report.seconds.toFixed(2)}s; ${report.rejected} bad row(s)\n`,
          );
          for (const e of report.errors.slice(0, 20)) process.stdout.write(`  line ${e.line}: ${e.reason}\n`);
          if (report.rejected > 20) process.stdout.write(`  ... ${report.rejected - 20} more\n`);
        }
      } finally {
        await db.close();
      }
    });

  program
    .command('train')
    .description('train every model from the database, evaluate, write models/<version>/ and optionally publish')
    .option('--publish', 'publish into the cache and switch live if the quality gate passes')
    .option('--force', 'publish even if the quality gate refuses')
    .option('--now <iso>', 'the time segment rules and decay are measured from (default: newest event)', parseIsoTime)
    .option('--tolerance <fraction>', 'relative NDCG@10 loss against the live version the gate accepts (default 0.02)', parseFraction)
    .option('--json', 'print the report as JSON')
    .action(async (opts: { publish?: boolean; force?: boolean; now?: number; tolerance?: number; json?: boolean }) => {
      const config = loadConfig();
      const logger = configureLogger(config.logLevel, { toStderr: true });
      const report = await withStores(config, async ({ db, cache }) => {
        await ensureSchema(db);
        const { runTraining } = await import('../../training/job/pipeline');
        return runTraining({
          db,
          cache,
          policy: config.policy,
          modelsDir: config.modelsDir,
          logger,
          publish: Boolean(opts.publish),
          force: Boolean(opts.force),
          now: opts.now,
          tolerance: opts.tolerance,
        });
      });
      printTrainReport(report, Boolean(opts.json));
      if (report.status === 'rejected') process.exitCode = 3;
    });

  program
    .command('evaluate')
    .description('offline evaluation straight from a file (no database, no cache)')
    .requiredOption('--data <file>', 'events file')
    .addOption(new Option('--format <format>', 'file format').choices([...IMPORT_FORMATS]).makeOptionMandatory())
    .addOption(new Option('--protocol <protocol>', 'evaluation protocol').choices(['loo', 'purchase', 'next-item']).makeOptionMandatory())
    .option('--json', 'print one JSON document')
    .action(async (opts: { data: string; format: ImportFormat; protocol: 'loo' | 'purchase' | 'next-item'; json?: boolean }) => {
      const config = loadConfig();
      configureLogger(config.logLevel, { toStderr: true });
      const { readAllEvents } = await import('../ingest/reader');
      const { evaluate, evaluateNextItem } = await import('../../training/job/evaluate');
      const { TAOBAO_WINDOW } = await import('../../training/evaluation/splits');
      const data = await readAllEvents(opts.data, opts.format);
      if (data.errors.length) process.stderr.write(`warning: ${data.errors.length} bad row(s) skipped in ${opts.data}\n`);
      const common = {
        dataset: path.basename(opts.data),
        policy: config.policy,
        window: opts.format === 'taobao' ? TAOBAO_WINDOW : undefined,
      };
      if (opts.protocol === 'next-item') {
        const report = await evaluateNextItem(data.events, data.items, common);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return;
        }
        const pct = (x: number) => (100 * x).toFixed(2);
        process.stdout.write(`${report.dataset} next-item: ${report.cases} cases, ${report.users} users, ${report.items} items\n`);
        process.stdout.write(
          'model       HR@10 % (95% CI)        NDCG@10 %  MRR@20 %  clustered SE  coverage  HR@10 vs published (95% CI)\n',
        );
        for (const r of report.results) {
          const vs = r.vsPublished
            ? `${pct(r.vsPublished.hr10.diff)} [${pct(r.vsPublished.hr10.ci95[0])}, ${pct(r.vsPublished.hr10.ci95[1])}]`
            : '';
          process.stdout.write(
            `${r.model.padEnd(11)} ${pct(r.hr10)} [${pct(r.ci95.hr10[0])}, ${pct(r.ci95.hr10[1])}]   ${pct(r.ndcg10)}      ${pct(r.mrr20)}      ${pct(r.clusteredSe.hr10)}          ${(r.coverage === undefined ? '' : r.coverage.toFixed(4)).padEnd(8)}  ${vs}\n`,
          );
          for (const [bucket, b] of Object.entries(r.byPagePopularity))
            process.stdout.write(`  page items with ${bucket}: ${b.cases} cases, HR@10 ${pct(b.hr10)}%\n`);
        }
        return;
      }
      const result = await evaluate(data.events, data.items, opts.protocol, common);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${result.dataset} ${result.protocol}: ${result.users} users, ${result.items} items\n`);
      process.stdout.write(
        'model          HR@10  (95% CI)           NDCG@10 (95% CI)           HR@20   NDCG@20  fit(s)  rec(s)  NDCG@10 vs published (95% CI)\n',
      );
      const ci = (i: [number, number]) => `[${i[0].toFixed(4)}, ${i[1].toFixed(4)}]`;
      for (const r of result.results) {
        const vs = r.vsPublished
          ? `${r.vsPublished.ndcg10.diff >= 0 ? '+' : ''}${r.vsPublished.ndcg10.diff.toFixed(4)} ${ci(r.vsPublished.ndcg10.ci95)}`
          : '';
        process.stdout.write(
          `${r.model.padEnd(14)} ${r.hr10.toFixed(4)} ${ci(r.ci95.hr10)}  ${r.ndcg10.toFixed(4)} ${ci(r.ci95.ndcg10)}  ${r.hr20.toFixed(4)}  ${r.ndcg20.toFixed(4)}   ${r.fitSeconds.toFixed(2)}    ${r.recommendSeconds.toFixed(2)}  ${vs}\n`,
        );
      }
      process.stdout.write(`${result.users} cases; intervals: bootstrap over cases (1,000 resamples, fixed seed)\n`);
    });

  program
    .command('serve')
    .description('the HTTP service')
    .option('--port <n>', 'port (default PORT or 8080)', parsePort)
    .action(async (opts: { port?: number }) => {
      const config = loadConfig();
      const logger = configureLogger(config.logLevel);
      await serve(config, logger, opts.port ?? config.port);
    });

  program
    .command('demo')
    .description('embedded end-to-end: migrate, import a generated storefront sample, train, publish, serve')
    .option('--port <n>', 'port (default PORT or 8080)', parsePort)
    .option('--users <n>', 'sample users', (v) => Number(v), 1500)
    .action(async (opts: { port?: number; users: number }) => {
      await demo(opts.port, opts.users);
    });

  program
    .command('rollback')
    .description('switch the live version back (to the previous one, or --to <version>); no retraining')
    .option('--to <version>', 'version to make live')
    .action(async (opts: { to?: string }) => {
      const config = loadConfig();
      const logger = configureLogger(config.logLevel, { toStderr: true });
      const { rollback } = await import('../../training/job/publish');
      const result = await withStores(config, ({ db, cache }) =>
        rollback({ cache, models: db.models, modelsDir: config.modelsDir, policy: config.policy, logger }, opts.to),
      );
      process.stdout.write(`live version: ${result.to} (was ${result.from ?? 'none'})\n`);
    });

  program
    .command('simulate')
    .description(
      'drive the running service as a storefront would, for N days, training between days (needs its DATABASE_URL and REDIS_URL)',
    )
    .requiredOption('--days <n>', 'simulated days', parsePositiveInt)
    .option('--shoppers <n>', 'shoppers in the simulated world', parsePositiveInt, 1500)
    .option('--seed <n>', 'seed of every choice the simulation makes', parsePositiveInt, 7)
    .option('--url <url>', 'the service (default http://localhost:PORT)')
    .option('--json', 'print the days as JSON')
    .action(async (opts: { days: number; shoppers: number; seed: number; url?: string; json?: boolean }) => {
      const config = loadConfig();
      const logger = configureLogger(config.logLevel, { toStderr: true });
      if (!config.databaseUrl || !config.redisUrl) {
        throw new Error(
          'recs simulate trains between days against the service’s stores: set DATABASE_URL and REDIS_URL as the service has them (the embedded stores live inside one process: `recs demo` simulates embedded)',
        );
      }
      const { simulate } = await import('./simulate');
      const days = await withStores(config, async ({ db, cache }) => {
        await ensureSchema(db);
        return simulate({
          config,
          db,
          cache,
          logger,
          url: opts.url ?? `http://localhost:${config.port}`,
          days: opts.days,
          shoppers: opts.shoppers,
          seed: opts.seed,
        });
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(days, null, 2)}\n`);
        return;
      }
      for (const d of days) {
        process.stdout.write(
          `${d.day}: ${d.visits} visits, ${d.impressions} impressions, ${d.clicks} clicks, ${d.purchases} purchases, revenue ${d.revenue.toFixed(2)}; ${d.version} ${d.status}\n`,
        );
      }
    });

  return program;
}
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      process.exitCode = e.exitCode ?? 1;
      return;
    }
    throw err;
  }
}
