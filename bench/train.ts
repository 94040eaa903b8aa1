/**
 * Nightly-pipeline scaling benchmark on synthetic storefront data (src/sample/scale.ts):
 *
 *   npm run bench:train [-- --sizes 1m,5m,20m] [--json] [--keep-going] [--no-embedding] [--data-dir DIR]
 *   npm run bench:train -- --itemcf        (item-item speed against SciPy on ml-100k)
 *
 * Per size: a throwaway PostgreSQL (initdb, fsync off; as root run as the `postgres` user) and
 * Redis (redis-server) are started, the data is generated straight into PostgreSQL (COPY), then the
 * nightly pipeline runs stage by stage exactly as `recs train --publish` runs it (training/job/
 * pipeline.ts): load (COPY TO STDOUT decoded into typed arrays), holdout evaluation, tuning,
 * embeddings, item-item, segments, fallback lists, per-user lists (ranked and written to
 * lists.bin), publish to Redis. Prints time and peak RSS per stage, time per event, and the ratio
 * of per-event time between the largest and the smallest size.
 *
 * --data-dir DIR keeps the PostgreSQL cluster in DIR: a size generated once (deterministically) is
 * reused by later runs, which then skip the generation (20M events: about 4 minutes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { DEFAULT_POLICY, type Policy } from '../src/config/policy';
import { openDatabase } from '../src/storage/database';
import { openCache } from '../src/storage/cache';
import { configureLogger } from '../src/observability/logger';
import { scaleOptions } from '../src/sample/scale';
import { loadScaleIntoPostgres } from './gen';
import { PgSqlClient } from '../src/storage/sql/pgClient';
import { loadDataset } from '../training/data/load';
import { evaluateHoldout } from '../training/job/holdout';
import { carveHoldout } from '../training/evaluation/splits';
import { trainModels } from '../training/job/train';
import { manifestFor, newVersionId, writeArtifacts } from '../training/job/artifacts';
import { publishVersion } from '../training/job/publish';
import { onStage } from '../src/observability/stages';
import { runItemCfComparison } from './itemcfCompare';

const STAGES = [
  'load',
  'holdout',
  'tune',
  'embeddings',
  'item-item',
  'segments',
  'fallback lists',
  'page and cart',
  'per-user lists',
  'publish',
] as const;
type Stage = (typeof STAGES)[number];

interface SizeResult {
  label: string;
  events: number;
  users: number;
  items: number;
  genSeconds: number;
  genReused: boolean;
  seconds: Record<string, number>;
  peakMb: Record<string, number>;
  total: number;
  totalPeakMb: number;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Peak RSS per stage: a worker samples the process RSS every 20 ms into a shared slot per stage
// (the main thread is busy inside the stages, so it cannot sample itself).

class RssSampler {
  private readonly shared = new SharedArrayBuffer(4 * 64);
  private readonly slots = new Int32Array(this.shared); // [0] = current stage, [1 + s] = peak MB
  private readonly worker: Worker;
  constructor() {
    this.worker = new Worker(
      `const { workerData } = require('worker_threads');
       const slots = new Int32Array(workerData);
       setInterval(() => {
         const mb = Math.round(process.memoryUsage.rss() / 1048576);
         const s = Atomics.load(slots, 0);
         if (mb > Atomics.load(slots, 1 + s)) Atomics.store(slots, 1 + s, mb);
       }, 20);`,
      { eval: true, workerData: this.shared },
    );
    this.worker.unref();
  }
  enter(stage: number): void {
    Atomics.store(this.slots, 1 + stage, Math.round(process.memoryUsage.rss() / 1048576));
    Atomics.store(this.slots, 0, stage);
  }
  peak(stage: number): number {
    return Atomics.load(this.slots, 1 + stage);
  }
  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

// ---------------------------------------------------------------------------------------------
// Throwaway servers (as scripts/with-test-servers.sh).

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

interface Servers {
  databaseUrl: (db: string) => string;
  redisUrl: string;
  createDb: (name: string) => void;
  /** True when the database exists already (only with a kept data directory). */
  hasDb: (name: string) => boolean;
  /** Drops the database if it exists (errors ignored: the server goes away with its directory anyway). */
  dropDb: (name: string) => void;
  /** The PostgreSQL data directory is kept (--data-dir): generated databases are reused. */
  keep: boolean;
  stop: () => void;
}

function freePort(): number {
  const out = execFileSync(process.execPath, [
    '-e',
    'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})',
  ]);
  return Number(String(out).trim());
}

function startServers(keepDir?: string): Servers {
  const isRoot = process.getuid?.() === 0;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'recs-bench-'));
  fs.chmodSync(work, 0o755);
  // With --data-dir the cluster lives there and survives the run (generated data is reused).
  const pgDir = keepDir ? path.resolve(keepDir) : path.join(work, 'pg');
  fs.mkdirSync(pgDir, { recursive: true });
  fs.chmodSync(pgDir, 0o755);
  const asPg = (cmd: string, args: string[]) => {
    if (isRoot) {
      if (spawnSync('id', ['postgres']).status !== 0) execFileSync('useradd', ['--system', '--no-create-home', 'postgres']);
      execFileSync('chown', ['-R', 'postgres', pgDir]);
      execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    } else execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  };
  const pgPort = freePort();
  const redisPort = freePort();
  let pgStarted = false;
  let redisStarted = false;
  const stop = () => {
    if (redisStarted) {
      try {
        process.kill(Number(fs.readFileSync(path.join(work, 'redis.pid'), 'utf8').trim()));
      } catch {
        /* already gone */
      }
    }
    if (pgStarted) {
      try {
        asPg(path.join(PG_BIN, 'pg_ctl'), ['-D', path.join(pgDir, 'data'), '-m', 'immediate', 'stop']);
      } catch {
        /* already gone */
      }
    }
    fs.rmSync(work, { recursive: true, force: true });
  };
  const pgSocketDir = path.join(work, 'pgsock');
  fs.mkdirSync(pgSocketDir);
  fs.chmodSync(pgSocketDir, 0o777);
  try {
    execFileSync('redis-server', [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--pidfile',
      path.join(work, 'redis.pid'),
      '--logfile',
      path.join(work, 'redis.log'),
      '--dir',
      work,
    ]);
    redisStarted = true;
    if (!fs.existsSync(path.join(pgDir, 'data', 'PG_VERSION'))) {
      asPg(path.join(PG_BIN, 'initdb'), [
        '-D',
        path.join(pgDir, 'data'),
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ]);
    } else if (isRoot) execFileSync('chown', ['-R', 'postgres', pgDir]);
    asPg(path.join(PG_BIN, 'pg_ctl'), [
      '-D',
      path.join(pgDir, 'data'),
      '-l',
      path.join(pgDir, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${pgPort} -k ${pgSocketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=8GB -c shared_buffers=512MB -c work_mem=256MB -c maintenance_work_mem=1GB`,
      'start',
    ]);
    pgStarted = true;
  } catch (err) {
    stop();
    throw err;
  }
  const base = `postgres://postgres@127.0.0.1:${pgPort}`;
  const psql = (sql: string) =>
    String(execFileSync(path.join(PG_BIN, 'psql'), ['-qAt', '-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', '-c', sql])).trim();
  return {
    databaseUrl: (db) => `${base}/${db}`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    createDb: (name) => psql(`CREATE DATABASE ${name}`),
    hasDb: (name) => psql(`SELECT count(*) FROM pg_database WHERE datname = '${name}'`) === '1',
    dropDb: (name) => {
      try {
        psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } catch {
        /* the server goes away with its directory anyway */
      }
    },
    keep: Boolean(keepDir),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------

const SIZES: Record<string, number> = { '1m': 1_000_000, '5m': 5_000_000, '20m': 20_000_000 };

function parseSize(s: string): [string, number] {
  const key = s.trim().toLowerCase();
  if (SIZES[key]) return [key, SIZES[key]];
  const n = Number(key.replace(/m$/, 'e6').replace(/k$/, 'e3'));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`unknown size '${s}' (1m, 5m, 20m or a number of events)`);
  return [key, Math.floor(n)];
}

async function runSize(servers: Servers, label: string, events: number, policy: Policy, log: (s: string) => void): Promise<SizeResult> {
  const opts = scaleOptions(events);
  // A kept data directory names databases by their content (generation is deterministic), and a
  // database is only reused when its generation finished (the marker table is created last).
  const dbName = servers.keep
    ? `bench_${opts.events}_${opts.users}_${opts.items}_${opts.seed}`
    : `bench_${label.replace(/[^a-z0-9]/g, '_')}_${process.pid}`;
  const url = servers.databaseUrl(dbName);
  let gen: { seconds: number; reused?: boolean } = { seconds: 0, reused: true };
  const exists = servers.keep && servers.hasDb(dbName);
  if (exists && (await generationComplete(url))) {
    log(`[${label}] reusing the generated database ${dbName}`);
  } else {
    if (exists) servers.dropDb(dbName);
    servers.createDb(dbName);
    log(`[${label}] generating ${opts.events} events (${opts.users} users, ${opts.items} items) into PostgreSQL...`);
    gen = await loadScaleIntoPostgres(url, opts);
    if (servers.keep) await markGenerationComplete(url);
    log(`[${label}] generated in ${gen.seconds.toFixed(1)}s`);
  }

  const logger = configureLogger(process.env.LOG_LEVEL ?? 'warn', { toStderr: true });
  const db = await openDatabase({ databaseUrl: url, dataDir: os.tmpdir() });
  const cache = await openCache({ redisUrl: servers.redisUrl, keyPrefix: `bench${process.pid}` });
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recs-bench-models-'));
  const sampler = new RssSampler();
  const seconds: Record<string, number> = {};
  const peakMb: Record<string, number> = {};
  const notes: string[] = [];
  let current: Stage | null = null;
  let t0 = 0n;
  const enter = (stage: Stage | null) => {
    const now = process.hrtime.bigint();
    if (current) {
      seconds[current] = (seconds[current] ?? 0) + Number(now - t0) / 1e9;
      peakMb[current] = Math.max(peakMb[current] ?? 0, sampler.peak(STAGES.indexOf(current)));
      log(`[${label}]   ${current.padEnd(15)} ${(Number(now - t0) / 1e9).toFixed(2)}s  peak RSS ${peakMb[current]} MB`);
    }
    current = stage;
    t0 = now;
    if (stage) sampler.enter(STAGES.indexOf(stage));
  };
  const started = process.hrtime.bigint();
  try {
    enter('load');
    const ds = await loadDataset(db, {});
    enter('holdout');
    const { results: holdout } = await evaluateHoldout(carveHoldout(ds, policy), policy);
    const held = holdout.published!;
    notes.push(`holdout published HR@10 ${held.hr10.toFixed(4)} NDCG@10 ${held.ndcg10.toFixed(4)} on ${held.users} users`);
    const version = newVersionId();
    const createdAt = Date.now();
    await db.models.create(version, createdAt);
    // trainModels announces its stages (tune, embeddings, item-item, segments, fallback lists).
    // Only the final fit's sub-stages count as item-item / segments / lists: the fits inside tuning
    // and the embedding's weight choice belong to those stages.
    let outer = '';
    onStage((s) => {
      if (s.startsWith('fit:')) {
        const sub = s.slice(4);
        if (outer === 'fit' && sub !== current && (STAGES as readonly string[]).includes(sub)) enter(sub as Stage);
        return;
      }
      outer = s;
      if ((STAGES as readonly string[]).includes(s) && s !== current) enter(s as Stage);
    });
    enter('tune');
    let trained;
    try {
      trained = await trainModels(ds, policy, { version, createdAt, log: (m) => (m.startsWith('embedding') ? notes.push(m) : undefined) });
    } finally {
      onStage(undefined);
    }
    enter('per-user lists');
    const manifest = await writeArtifacts(
      modelsDir,
      manifestFor(trained.meta, { createdAt, metrics: { holdout }, timings: {}, policy }),
      trained.meta,
      trained.packedLists(),
    );
    await db.models.update(version, { status: 'ready', metrics: { holdout }, manifest: { ...manifest, policy: undefined } });
    enter('publish');
    const published = await publishVersion({ cache, models: db.models, modelsDir, policy, logger }, version);
    notes.push(`published ${published.users} user lists to Redis`);
    enter(null);
    const total = Number(process.hrtime.bigint() - started) / 1e9;
    const totalPeakMb = Math.round(process.resourceUsage().maxRSS / 1024);
    return {
      label,
      events: ds.nEvents,
      users: ds.nUsers,
      items: ds.nItems,
      genSeconds: gen.seconds,
      genReused: Boolean(gen.reused),
      seconds,
      peakMb,
      total,
      totalPeakMb,
      notes,
    };
  } finally {
    onStage(undefined);
    await sampler.stop();
    await cache.close();
    await db.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
    if (!servers.keep) servers.dropDb(dbName);
  }
}

const GENERATED_MARKER = 'bench_generation_complete';

async function generationComplete(url: string): Promise<boolean> {
  const client = new PgSqlClient({ connectionString: url, maxConnections: 1 });
  try {
    const { rows } = await client.query<{ n: unknown }>(`SELECT count(*) AS n FROM pg_tables WHERE tablename = '${GENERATED_MARKER}'`);
    return Number(rows[0]?.n) === 1;
  } finally {
    await client.close();
  }
}

async function markGenerationComplete(url: string): Promise<void> {
  const client = new PgSqlClient({ connectionString: url, maxConnections: 1 });
  try {
    await client.exec(`CREATE TABLE ${GENERATED_MARKER} (at timestamptz DEFAULT now())`);
  } finally {
    await client.close();
  }
}

function table(results: SizeResult[]): string {
  const rows: string[][] = [];
  const head = ['stage', ...results.map((r) => `${r.label} s`), ...results.map((r) => `${r.label} peak MB`)];
  for (const s of STAGES)
    rows.push([s, ...results.map((r) => (r.seconds[s] ?? 0).toFixed(2)), ...results.map((r) => String(r.peakMb[s] ?? '-'))]);
  rows.push(['total', ...results.map((r) => r.total.toFixed(2)), ...results.map((r) => String(r.totalPeakMb))]);
  rows.push(['µs / event', ...results.map((r) => ((r.total / r.events) * 1e6).toFixed(2)), ...results.map(() => '')]);
  const noEmb = (r: SizeResult) => r.total - (r.seconds.embeddings ?? 0);
  rows.push(['µs / event w/o embeddings stage', ...results.map((r) => ((noEmb(r) / r.events) * 1e6).toFixed(2)), ...results.map(() => '')]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => `| ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join(' | ')} |`;
  const out = [
    line(head),
    `|${widths.map((w, c) => (c === 0 ? ':' : '') + '-'.repeat(w + 1) + (c === 0 ? '' : ':')).join('|')}|`,
    ...rows.map(line),
  ];
  for (const r of results) {
    out.push('');
    out.push(
      `${r.label}: ${r.events} events, ${r.users} users, ${r.items} items (` +
        (r.genReused
          ? 'generated by an earlier run, reused from --data-dir'
          : `generated into PostgreSQL in ${r.genSeconds.toFixed(1)}s, not counted`) +
        ')',
    );
    for (const n of r.notes) out.push(`  ${n}`);
  }
  if (results.length >= 2) {
    const a = results[0];
    const b = results[results.length - 1];
    const per = (r: SizeResult, t: number) => t / r.events;
    out.push('');
    out.push(`per-event time ${b.label} / ${a.label}: ${(per(b, b.total) / per(a, a.total)).toFixed(2)}x (target <= 1.5x)`);
    out.push(
      `per-event time ${b.label} / ${a.label} without the embeddings stage (the holdout still fits its own): ` +
        `${(per(b, b.total - (b.seconds.embeddings ?? 0)) / per(a, a.total - (a.seconds.embeddings ?? 0))).toFixed(2)}x`,
    );
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  if (argv.includes('--itemcf')) {
    await runItemCfComparison(log);
    return;
  }
  const si = argv.indexOf('--sizes');
  const sizes = (si >= 0 ? argv[si + 1] : '1m,5m,20m').split(',').map(parseSize);
  const policy: Policy = argv.includes('--no-embedding')
    ? { ...DEFAULT_POLICY, training: { ...DEFAULT_POLICY.training, embedding: { ...DEFAULT_POLICY.training.embedding, enabled: false } } }
    : DEFAULT_POLICY;
  const di = argv.indexOf('--data-dir');
  const servers = startServers(di >= 0 ? argv[di + 1] : undefined);
  const stopOnSignal = () => {
    servers.stop();
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const results: SizeResult[] = [];
  try {
    for (const [label, events] of sizes) {
      try {
        results.push(await runSize(servers, label, events, policy, log));
      } catch (err) {
        log(`[${label}] failed: ${(err as Error).stack ?? String(err)}`);
        if (!argv.includes('--keep-going')) throw err;
      }
      if (results.length) process.stdout.write(`\n${table(results)}\n`);
    }
  } finally {
    servers.stop();
  }
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
