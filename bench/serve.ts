/**
 * Serving benchmark: how close the real recommendation endpoint comes to the stack's ceiling.
 *
 *   npm run bench:serve     (builds first; node dist/bench/serve.js [--json] [--users 20000]
 *                            [--seconds 10] [--rounds 3] [--connections 32] [--cpu-prof <dir>])
 *
 * Starts its own redis-server (REDIS_SERVER_BIN or `redis-server` on PATH) on a free loopback port,
 * publishes a model trained on a generated storefront (on-disk PGlite in a temp dir, 50
 * recommendations per user) and measures Redis bytes per user. Then starts, each in its own process:
 *   (a) a bare Express app whose one route does one ioredis GET of a 400-byte value (the ceiling),
 *   (a2) the same app on the service's HTTP server construction (src/http/httpServer.ts: requests
 *        and responses with their per-request properties declared up front), which lifts that
 *        ceiling itself: b/a2 is the service's own overhead over one GET on equal footing,
 *   (b/c) the real service (`recs serve` as the README recommends for production: LOG_LEVEL=info,
 *         the default; every route goes through Express, as (a) does),
 * and loads them alternately with `wrk` (its own process, a Lua script varying the path over many
 * users): (a) the bare route, (b) recommendations of known users, (c) of unknown users (fallback
 * path). Prints req/s and p50/p99 per row (medians over rounds), b/a and c/a, then (b) at half of
 * (a)'s throughput: paced by wrk (a random think time per connection, Poisson-like arrivals; (a) is
 * paced the same way at the same rate for reference), and,
 * as before, with autocannon's overallRate (its own process), which sends each second's quota in
 * one full-speed burst and so reports the latency of bursts rather than of that rate.
 * `--cpu-prof <dir>` runs the service and the bare app under `node --cpu-prof` (written when they exit).
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'child_process';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import Redis from 'ioredis';
import { freePort } from './lib/servers';

const args = process.argv.slice(2);
const argStr = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const argNum = (name: string, dflt: number) => Number(argStr(name) ?? dflt);

const BARE_VALUE_BYTES = 400;
const BARE_KEYS = 10_000;
const BARE_PREFIX = 'bare:{b}:';

// ---------------------------------------------------------------------------------------------
// (a) the bare app, run as a child: `node serve.js --bare-child` with REDIS_URL and PORT

async function bareChild(): Promise<void> {
  const express = (await import('express')).default;
  const { createHttpServer } = await import('../src/http/httpServer');
  const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 2 });
  const app = express();
  app.disable('x-powered-by');
  app.get('/bare/:n', async (req, res) => {
    const value = await redis.getBuffer(BARE_PREFIX + req.params.n);
    res.type('application/octet-stream').send(value);
  });
  // BARE_SERVER=service: the same app on the service's HTTP server construction (row a2).
  const server = process.env.BARE_SERVER === 'service' ? createHttpServer(app) : http.createServer(app);
  server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
  server.keepAliveTimeout = 65_000;
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    redis.disconnect();
    process.exit(0);
  });
}

// ---------------------------------------------------------------------------------------------
// the autocannon rate-limited run, as a child: `node serve.js --rate-child` (env BENCH_*)

async function rateChild(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon');
  const users: string[] = JSON.parse(fs.readFileSync(process.env.BENCH_USERS_FILE!, 'utf8'));
  let k = 0;
  const inst = autocannon(
    {
      url: process.env.BENCH_URL,
      connections: Number(process.env.BENCH_CONNECTIONS),
      duration: Number(process.env.BENCH_DURATION),
      overallRate: Number(process.env.BENCH_RATE),
      timeout: 5,
      requests: [
        {
          method: 'GET',
          setupRequest: (req: Record<string, unknown>) => ({
            ...req,
            path: `/v1/users/${encodeURIComponent(users[(k++ * 7919) % users.length])}/recommendations?limit=10`,
          }),
        },
      ],
    },
    (err: Error | null, r: any) => {
      if (err) {
        process.stderr.write(String(err));
        process.exit(2);
      }
      process.stdout.write(
        JSON.stringify({
          rps: r.requests.average,
          p50: r.latency.p50,
          p90: r.latency.p90,
          p99: r.latency.p99,
          max: r.latency.max,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
        }),
      );
    },
  );
  void inst;
}

// ---------------------------------------------------------------------------------------------
// the driver

const JSON_OUT = args.includes('--json');
const USERS = argNum('--users', 20_000);
const SECONDS = argNum('--seconds', 10);
const ROUNDS = argNum('--rounds', 3);
const CONNECTIONS = argNum('--connections', 32);
const CPU_PROF = argStr('--cpu-prof');
const TOP_N = 50;
const say = (msg: string) => process.stderr.write(`[bench:serve] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((r) => child.once('close', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await closed;
  clearTimeout(timer);
}

interface WrkResult {
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

function parseMs(s: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

async function wrk(url: string, script: string, seconds: number, connections: number): Promise<WrkResult> {
  const { stdout } = await run(
    'wrk',
    ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--latency', '--timeout', '5s', '-s', script, url],
    { timeout: (seconds + 30) * 1000, maxBuffer: 1 << 20 },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  const p50 = parseMs(/^\s+50%\s+(\S+)/m.exec(stdout)?.[1] ?? '');
  const p99 = parseMs(/^\s+99%\s+(\S+)/m.exec(stdout)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  if (!Number.isFinite(rps)) throw new Error(`cannot parse wrk output:\n${stdout}`);
  return { rps, requests, p50, p99, errors, non2xx };
}

/**
 * A wrk Lua script that walks `paths` (a Lua table literal), each thread from its own offset. With
 * `meanDelayMs`, each connection waits an exponentially distributed time with that mean after every
 * answer (wrk's delay() hook): arrivals then come at a steady, Poisson-like rate instead of flat out.
 */
function wrkScript(file: string, prefix: string, ids: string[], suffix: string, meanDelayMs?: number): void {
  const lua = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const body = [
    `local ids = {${ids.map(lua).join(',')}}`,
    'local n = #ids',
    'local i = 0',
    'function setup(thread) thread:set("offset", math.random(n)) end',
    'function init(args) i = (offset or 0) end',
    'function request()',
    '  i = i + 7919',
    `  return wrk.format("GET", ${lua(prefix)} .. ids[(i % n) + 1] .. ${lua(suffix)})`,
    'end',
    ...(meanDelayMs === undefined ? [] : [`function delay() return -math.log(1 - math.random()) * ${meanDelayMs.toFixed(3)} end`]),
  ].join('\n');
  fs.writeFileSync(file, body);
}

/** USER_HZ, the unit of /proc CPU times (`getconf CLK_TCK`; 100 where it cannot be asked). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of a process in microseconds (Linux /proc), or null where unavailable. */
function processCpuUs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return (ticks * 1e6) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

const ROWS = ['a', 'a2', 'b', 'c'] as const;
type Row = (typeof ROWS)[number];

/** Server CPU per request of `bare` over that of `x` (1 = x as cheap as the bare app), or null. */
function cpuRatio(bare: { cpuUsPerRequest: number | null }, x: { cpuUsPerRequest: number | null }): number | null {
  return bare.cpuUsPerRequest && x.cpuUsPerRequest ? +(bare.cpuUsPerRequest / x.cpuUsPerRequest).toFixed(3) : null;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const { loadConfig } = await import('../src/config');
  const { configureLogger } = await import('../src/observability/logger');
  const { openDatabase } = await import('../src/storage/database');
  const { openCache, CacheKeys } = await import('../src/storage/cache');
  const { generateStorefront } = await import('../src/sample/storefront');
  const { runTraining } = await import('../training/job/pipeline');

  const redisBin = process.env.REDIS_SERVER_BIN || 'redis-server';
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-bench-serve-'));
  const children: ChildProcess[] = [];
  const redisPort = await freePort();
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const redis = spawn(redisBin, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  redis.on('error', (err) => {
    say(`cannot start ${redisBin}: ${err.message} (set REDIS_SERVER_BIN or install redis-server)`);
    process.exit(1);
  });
  children.push(redis);
  const admin = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  try {
    await waitFor('redis-server', async () => {
      if (admin.status !== 'ready') await admin.connect().catch(() => undefined);
      return (await admin.ping()) === 'PONG';
    });
    say(`redis-server ${String(await admin.info('server')).match(/redis_version:(\S+)/)?.[1]} on ${redisUrl}`);

    // 1. Publish a model: generated storefront -> PGlite on disk -> train -> Redis.
    const prefix = 'bench';
    const policyFile = path.join(dir, 'policy.json');
    await fs.promises.writeFile(policyFile, JSON.stringify({ training: { topN: TOP_N, embedding: { enabled: false } } }));
    const env = {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      DATA_DIR: path.join(dir, 'data'),
      MODELS_DIR: path.join(dir, 'models'),
      RECS_CONFIG_FILE: policyFile,
      // The production configuration the README recommends (the default): 4xx/5xx access lines, no
      // line per successful request.
      LOG_LEVEL: 'info',
    };
    const config = loadConfig(env);
    const logger = configureLogger('warn', { toStderr: true });
    const sample = generateStorefront({ users: USERS, items: Math.max(200, Math.round(USERS / 2)), categories: 24, days: 120, seed: 7 });
    say(`sample: ${USERS} users, ${sample.items.length} items, ${sample.events.length} events; importing, training, publishing...`);
    const db = await openDatabase({ dataDir: config.dataDir });
    await db.migrate();
    await db.catalog.upsertItems(sample.items);
    await db.events.bulkInsertEvents(sample.events);
    const cache = await openCache({ redisUrl, keyPrefix: prefix });
    const t0 = Date.now();
    const report = await runTraining({ db, cache, policy: config.policy, modelsDir: config.modelsDir, logger, publish: true, force: true });
    say(`published ${report.version} (${report.status}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await cache.close();
    await db.close();

    // 2. Redis bytes per user: MEMORY USAGE of every bucket of the live version (exact: SAMPLES 0).
    const keys = new CacheKeys(prefix);
    const live = (await admin.get(keys.livePointer()))!;
    const bucketCount = Number(await admin.hget(keys.versionInfo(live), 'bucketCount'));
    let bucketBytes = 0;
    let users = 0;
    let valueBytes = 0;
    const encodings = new Map<string, number>();
    const userIds: string[] = [];
    for (let b = 0; b < bucketCount; b++) {
      const key = keys.versionBucket(live, b);
      bucketBytes += Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
      const enc = String(await admin.call('OBJECT', 'ENCODING', key));
      encodings.set(enc, (encodings.get(enc) ?? 0) + 1);
      const all = await admin.hgetallBuffer(key);
      for (const [u, v] of Object.entries(all)) {
        users++;
        valueBytes += v.length;
        if (userIds.length < 2000) userIds.push(u);
      }
    }
    // The alternative layout, measured on the same values: one string key per user.
    let stringBytes = 0;
    const cmpUsers = userIds.slice(0, 2000);
    for (const u of cmpUsers) {
      const v = (await admin.hgetBuffer(keys.versionBucket(live, (await import('../src/storage/cache')).bucketOf(u, bucketCount)), u))!;
      await admin.set(`cmp:{u:${u}}:list`, v);
      stringBytes += Number(await admin.call('MEMORY', 'USAGE', `cmp:{u:${u}}:list`, 'SAMPLES', '0'));
    }
    for (const u of cmpUsers) await admin.unlink(`cmp:{u:${u}}:list`);
    const memory = {
      users,
      bucketCount,
      usersPerBucket: config.policy.cache.usersPerBucket,
      encodings: Object.fromEntries(encodings),
      valueBytesPerUser: +(valueBytes / users).toFixed(1),
      redisBytesPerUser: +(bucketBytes / users).toFixed(1),
      stringKeyBytesPerUser: +(stringBytes / cmpUsers.length).toFixed(1),
    };
    say(
      `redis: ${memory.redisBytesPerUser} bytes/user in ${bucketCount} hash buckets (${memory.valueBytesPerUser} bytes/value); per-user string keys would take ${memory.stringKeyBytesPerUser}`,
    );

    // 3. The bare values.
    const bareValue = Buffer.alloc(BARE_VALUE_BYTES, 7);
    for (let i = 0; i < BARE_KEYS; i += 1000) {
      const p = admin.pipeline();
      for (let j = i; j < i + 1000; j++) p.set(`${BARE_PREFIX}${j}`, bareValue);
      await p.exec();
    }

    // 4. The two servers, each in its own process.
    const nodeArgs = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(CPU_PROF)] : [];
    /** A bare app child (row a, or a2 with BARE_SERVER=service) on a free port. */
    const spawnBare = async (env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number }> => {
      const port = await freePort();
      const child = spawn(process.execPath, [...nodeArgs, __filename, '--bare-child'], {
        env: { ...process.env, REDIS_URL: redisUrl, PORT: String(port), ...env },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      return { child, port };
    };
    const { child: bare, port: barePort } = await spawnBare();
    const { child: bare2, port: bare2Port } = await spawnBare({ BARE_SERVER: 'service' });
    const servicePort = await freePort();
    const recsBin = path.resolve(__dirname, '..', '..', 'bin', 'recs.js');
    const service = spawn(process.execPath, [...nodeArgs, recsBin, 'serve', '--port', String(servicePort)], {
      env: { ...process.env, ...env, PORT: String(servicePort) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(service);
    const bareBase = `http://127.0.0.1:${barePort}`;
    const bare2Base = `http://127.0.0.1:${bare2Port}`;
    const serviceBase = `http://127.0.0.1:${servicePort}`;
    await waitFor('bare app', async () => (await httpGet(`${bareBase}/bare/1`)).status === 200);
    await waitFor('bare app (a2)', async () => (await httpGet(`${bare2Base}/bare/1`)).status === 200);
    await waitFor('service', async () => (await httpGet(`${serviceBase}/readyz`)).status === 200);
    const probe = JSON.parse((await httpGet(`${serviceBase}/v1/users/${encodeURIComponent(userIds[0])}/recommendations?limit=10`)).body);
    // A known user's answer comes from their personal list (a known user may still be in `new`).
    const personal = (probe.items ?? []).some(
      (x: { source: string }) => x.source === 'itemcf' || x.source === 'refind' || x.source === 'embedding',
    );
    if (probe.items?.length !== 10 || !personal) throw new Error(`unexpected answer for a known user: ${JSON.stringify(probe)}`);

    // 5. wrk scripts over many paths.
    const knownUsers = userIds;
    // What each row requests: base URL, path prefix, ids walked, suffix (the paced runs reuse them).
    const targets = {
      a: { base: bareBase, prefix: '/bare/', ids: Array.from({ length: BARE_KEYS }, (_, i) => String(i)), suffix: '' },
      a2: { base: bare2Base, prefix: '/bare/', ids: Array.from({ length: BARE_KEYS }, (_, i) => String(i)), suffix: '' },
      b: { base: serviceBase, prefix: '/v1/users/', ids: knownUsers.map(encodeURIComponent), suffix: '/recommendations?limit=10' },
      c: {
        base: serviceBase,
        prefix: '/v1/users/',
        ids: Array.from({ length: 5000 }, (_, i) => `nobody-${i}`),
        suffix: '/recommendations?limit=10',
      },
    };
    const scripts = {
      a: path.join(dir, 'a.lua'),
      a2: path.join(dir, 'a.lua'),
      b: path.join(dir, 'b.lua'),
      c: path.join(dir, 'c.lua'),
    };
    for (const row of ROWS) wrkScript(scripts[row], targets[row].prefix, targets[row].ids, targets[row].suffix);

    say(`warm-up: 3 s each; then ${ROUNDS} rounds x ${ROWS.length} rows x ${SECONDS} s, wrk -t1 -c${CONNECTIONS}`);
    for (const row of ROWS) await wrk(targets[row].base, scripts[row], 3, CONNECTIONS);
    const rows: Record<Row, WrkResult[]> = { a: [], a2: [], b: [], c: [] };
    // CPU time of the serving process per request (Linux /proc): steadier than req/s when the
    // machine's other tenants come and go, and it says which process does the work.
    const cpuUs: Record<Row, number[]> = { a: [], a2: [], b: [], c: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const row of ROWS) {
        const pid = row === 'a' ? bare.pid : row === 'a2' ? bare2.pid : service.pid;
        const cpu0 = processCpuUs(pid);
        const res = await wrk(targets[row].base, scripts[row], SECONDS, CONNECTIONS);
        const cpu1 = processCpuUs(pid);
        if (cpu0 !== null && cpu1 !== null && res.requests > 0) cpuUs[row].push((cpu1 - cpu0) / res.requests);
        rows[row].push(res);
        say(
          `round ${r + 1} ${row}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms${res.errors || res.non2xx ? `, errors ${res.errors}, non-2xx ${res.non2xx}` : ''}`,
        );
      }
    }
    const summary = Object.fromEntries(
      ROWS.map((row) => [
        row,
        {
          rps: median(rows[row].map((x) => x.rps)),
          p50: median(rows[row].map((x) => x.p50)),
          p99: median(rows[row].map((x) => x.p99)),
          errors: rows[row].reduce((s, x) => s + x.errors + x.non2xx, 0),
          cpuUsPerRequest: cpuUs[row].length ? +median(cpuUs[row]).toFixed(1) : null,
        },
      ]),
    ) as Record<Row, { rps: number; p50: number; p99: number; errors: number; cpuUsPerRequest: number | null }>;

    // 6. (b) at half of (a)'s throughput, paced: wrk with a think time per connection (delay()), the
    //    mean set so that the connections together send at the target rate. Two 3 s calibration
    //    runs measure how much of each connection's cycle goes beyond the think time (the answer,
    //    timer granularity) and shorten the think time by that much. (a) is paced the same way at the
    //    same rate: the ceiling's own tail latency on this machine, for reference.
    const rate = Math.round(summary.a.rps / 2);
    const pacedRun = async (name: 'a' | 'b'): Promise<WrkResult> => {
      const { base, prefix, ids, suffix } = targets[name];
      const cycleMs = (CONNECTIONS * 1000) / rate;
      const script = path.join(dir, `${name}-paced.lua`);
      let thinkMs = cycleMs;
      for (let k = 0; k < 2; k++) {
        wrkScript(script, prefix, ids, suffix, thinkMs);
        const calibration = await wrk(base, script, 3, CONNECTIONS);
        const overheadMs = (CONNECTIONS * 1000) / calibration.rps - thinkMs;
        thinkMs = Math.max(0.1, cycleMs - overheadMs);
      }
      wrkScript(script, prefix, ids, suffix, thinkMs);
      const out = await wrk(base, script, SECONDS, CONNECTIONS);
      say(`(${name}) paced at ${rate} req/s: ${out.rps.toFixed(0)} req/s, p50 ${out.p50.toFixed(2)} ms, p99 ${out.p99.toFixed(2)} ms`);
      return out;
    };
    const pacedBare = await pacedRun('a');
    const paced = await pacedRun('b');

    // The same target through autocannon's overallRate, as before: it sends each second's quota as
    // fast as it can and then idles, so its latencies are those of full-speed bursts.
    const usersFile = path.join(dir, 'users.json');
    await fs.promises.writeFile(usersFile, JSON.stringify(knownUsers));
    const rateRun = spawn(process.execPath, [__filename, '--rate-child'], {
      env: {
        ...process.env,
        BENCH_URL: serviceBase,
        BENCH_USERS_FILE: usersFile,
        BENCH_CONNECTIONS: String(CONNECTIONS),
        BENCH_DURATION: String(SECONDS),
        BENCH_RATE: String(rate),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(rateRun);
    let rateOut = '';
    rateRun.stdout!.on('data', (d) => (rateOut += d));
    await new Promise((r) => rateRun.once('close', r));
    const limited = JSON.parse(rateOut) as {
      rps: number;
      p50: number;
      p90: number;
      p99: number;
      max: number;
      non2xx: number;
      errors: number;
    };

    const result = {
      users: USERS,
      topN: TOP_N,
      seconds: SECONDS,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      cpus: os.cpus().length,
      rows: {
        a_bare_get: summary.a,
        a2_bare_get_service_server: summary.a2,
        b_known_users: summary.b,
        c_unknown_users: summary.c,
      },
      ratios: {
        b_over_a: +(summary.b.rps / summary.a.rps).toFixed(3),
        c_over_a: +(summary.c.rps / summary.a.rps).toFixed(3),
        b_over_a2: +(summary.b.rps / summary.a2.rps).toFixed(3),
        c_over_a2: +(summary.c.rps / summary.a2.rps).toFixed(3),
        // The same comparisons in server CPU per request: the bare app's cost over b's (1 = as cheap).
        cpu_a_over_b: cpuRatio(summary.a, summary.b),
        cpu_a2_over_b: cpuRatio(summary.a2, summary.b),
      },
      halfRate: { targetRps: rate, paced, pacedBare, autocannonBursts: limited },
      memory,
    };
    if (JSON_OUT) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const f = (x: number, d = 2) => x.toFixed(d).padStart(9);
      const lines = [
        '',
        `bench:serve  ${USERS} users, ${TOP_N} recs/user, ${ROUNDS} rounds x ${SECONDS} s, wrk -t1 -c${CONNECTIONS}, ${os.cpus().length} CPUs (medians over rounds)`,
        '',
        'row                                     req/s    p50 ms    p99 ms  errors  server CPU us/req',
        `(a) bare express + 1 ioredis GET    ${f(summary.a.rps, 0)} ${f(summary.a.p50)} ${f(summary.a.p99)}  ${summary.a.errors}  ${summary.a.cpuUsPerRequest ?? 'n/a'}`,
        `(a2) the same, service's HTTP server${f(summary.a2.rps, 0)} ${f(summary.a2.p50)} ${f(summary.a2.p99)}  ${summary.a2.errors}  ${summary.a2.cpuUsPerRequest ?? 'n/a'}`,
        `(b) recommendations, known users    ${f(summary.b.rps, 0)} ${f(summary.b.p50)} ${f(summary.b.p99)}  ${summary.b.errors}  ${summary.b.cpuUsPerRequest ?? 'n/a'}`,
        `(c) recommendations, unknown users  ${f(summary.c.rps, 0)} ${f(summary.c.p50)} ${f(summary.c.p99)}  ${summary.c.errors}  ${summary.c.cpuUsPerRequest ?? 'n/a'}`,
        '',
        `b/a = ${result.ratios.b_over_a}   c/a = ${result.ratios.c_over_a}   server CPU per request a/b = ${result.ratios.cpu_a_over_b ?? 'n/a'}   ((a) is bare Express; (b) and (c) are \`recs serve\` at LOG_LEVEL=info, through Express too)`,
        `b/a2 = ${result.ratios.b_over_a2}   c/a2 = ${result.ratios.c_over_a2}   server CPU per request a2/b = ${result.ratios.cpu_a2_over_b ?? 'n/a'}   ((a2) is (a) on the service's HTTP server construction: the service's own overhead on equal footing)`,
        `(b) at half of a, ${rate} req/s, paced (wrk, Poisson-like think time per connection): ${paced.rps.toFixed(0)} req/s, p50 ${paced.p50.toFixed(2)} ms, p99 ${paced.p99.toFixed(2)} ms, errors ${paced.errors + paced.non2xx}`,
        `(a) paced the same way at the same rate, for reference (the ceiling's own tail): ${pacedBare.rps.toFixed(0)} req/s, p50 ${pacedBare.p50.toFixed(2)} ms, p99 ${pacedBare.p99.toFixed(2)} ms, errors ${pacedBare.errors + pacedBare.non2xx}`,
        `(b) at half of a, ${rate} req/s, autocannon overallRate (each second's quota sent in one burst): ${limited.rps.toFixed(0)} req/s, p50 ${limited.p50} ms, p90 ${limited.p90} ms, p99 ${limited.p99} ms, max ${limited.max} ms, non-2xx ${limited.non2xx}, errors ${limited.errors}`,
        `redis: ${memory.redisBytesPerUser} bytes/user (${memory.users} users, ${bucketCount} hash buckets ${JSON.stringify(memory.encodings)}, values ${memory.valueBytesPerUser} bytes); one string key per user: ${memory.stringKeyBytesPerUser} bytes/user`,
        '',
      ];
      process.stdout.write(lines.join('\n'));
    }
  } finally {
    admin.disconnect();
    for (const child of children.reverse()) await stopChild(child);
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

if (args.includes('--bare-child')) {
  void bareChild();
} else if (args.includes('--rate-child')) {
  void rateChild();
} else {
  main().catch((err) => {
    process.stderr.write(`bench:serve failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
