/**
 * Fault benchmark: Redis is SIGKILLed under steady load and restarted on the same port; the service
 * must keep answering (degraded, from its in-memory lists) and recover by itself.
 *
 *   npm run bench:faults            (builds first; node dist/bench/faults.js [--json] [--duration 20])
 *
 * Starts its own redis-server (REDIS_SERVER_BIN or `redis-server` on PATH) on a free loopback port
 * with an RDB file (a restarted Redis reloads its data, as a production Redis with persistence
 * does), an in-memory PGlite, publishes a model trained on the generated storefront sample, serves
 * it in-process on loopback, and drives it with autocannon in a child process: 4 recommendation
 * reads per event write, 10 connections. Redis is killed ~5 s in, restarted ~5 s later.
 */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import http from 'http';
import type net from 'net';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import { loadConfig } from '../src/config';
import { configureLogger } from '../src/observability/logger';
import { openDatabase } from '../src/storage/database';
import { openCache } from '../src/storage/cache';
import { buildRuntime } from '../src/main/wiring';
import { createApp } from '../src/main/app';
import { createHttpServer } from '../src/http/httpServer';
import { generateStorefront } from '../src/sample/storefront';
import { runTraining } from '../training/job/pipeline';
import { freePort, waitForRedis } from './lib/servers';

const args = process.argv.slice(2);
const JSON_OUT = args.includes('--json');
const argNum = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const DURATION_S = argNum('--duration', 20);
const KILL_AT_MS = argNum('--kill-at', 5) * 1000;
const DOWN_MS = argNum('--down', 5) * 1000;
const CONNECTIONS = argNum('--connections', 10);

const say = (msg: string) => {
  if (!JSON_OUT) process.stderr.write(`[bench:faults] ${msg}\n`);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startRedis(bin: string, port: number, dir: string): ChildProcess {
  const child = spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--dbfilename',
      'dump.rdb',
      '--protected-mode',
      'no',
    ],
    { stdio: 'ignore' },
  );
  return child;
}

function getJson(url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The load generator, run by `node -e` in its own process so it never competes with the service's event loop. */
const LOAD_SCRIPT = `
const autocannon = require(process.env.AUTOCANNON_PATH);
const users = JSON.parse(process.env.BENCH_USERS);
const items = JSON.parse(process.env.BENCH_ITEMS);
let degraded = 0, fresh = 0, empty = 0, badBody = 0, events = 0, firstDegradedAt = 0, lastDegradedAt = 0;
let k = 0;
const pick = (a) => a[(k++ * 7919) % a.length];
const read = {
  method: 'GET',
  setupRequest: (req) => ({ ...req, path: '/v1/users/' + encodeURIComponent(pick(users)) + '/recommendations?limit=10' }),
  onResponse: (status, body) => {
    if (status !== 200) return;
    try {
      const b = JSON.parse(body);
      if (!Array.isArray(b.items) || b.items.length === 0) empty++;
      if (b.degraded) { degraded++; const t = Date.now(); if (!firstDegradedAt) firstDegradedAt = t; lastDegradedAt = t; } else fresh++;
    } catch { badBody++; }
  },
};
const write = {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  setupRequest: (req) => ({ ...req, path: '/v1/events', body: JSON.stringify({ events: [{ userId: pick(users), itemId: pick(items), type: 'view' }] }) }),
  onResponse: (status) => { if (status === 202) events++; },
};
const inst = autocannon({
  url: process.env.BENCH_URL,
  connections: Number(process.env.BENCH_CONNECTIONS),
  duration: Number(process.env.BENCH_DURATION),
  timeout: 5,
  requests: [read, read, read, read, write],
}, (err, r) => {
  if (err) { console.error(err); process.exit(2); }
  process.stdout.write(JSON.stringify({
    requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
    statusCodes: r.statusCodeStats, latencyP50: r.latency.p50, latencyP99: r.latency.p99, latencyMax: r.latency.max,
    rps: r.requests.average, degraded, fresh, empty, badBody, eventsAccepted: events, firstDegradedAt, lastDegradedAt,
  }));
});
`;

async function main(): Promise<void> {
  const redisBin = process.env.REDIS_SERVER_BIN || 'redis-server';
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-faults-'));
  const redisPort = await freePort();
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  let redis = startRedis(redisBin, redisPort, dir);
  redis.on('error', (err) => {
    process.stderr.write(`cannot start ${redisBin}: ${err.message} (set REDIS_SERVER_BIN or install redis-server)\n`);
    process.exit(1);
  });
  const cleanup: Array<() => Promise<void> | void> = [];
  try {
    await waitForRedis(redisUrl);
    say(`redis-server on ${redisUrl}`);
    const config = loadConfig({
      REDIS_URL: redisUrl,
      DATA_DIR: path.join(dir, 'data'),
      MODELS_DIR: path.join(dir, 'models'),
      LOG_LEVEL: 'silent',
    });
    const logger = configureLogger(process.env.LOG_LEVEL ?? 'silent', { toStderr: true });
    const db = await openDatabase({ dataDir: config.dataDir, inMemory: true });
    await db.migrate();
    const cache = await openCache({ redisUrl, keyPrefix: 'bench' });

    const sample = generateStorefront({ users: 2000, items: 800, categories: 20, days: 120, seed: 11 });
    await db.catalog.upsertItems(sample.items);
    await db.events.bulkInsertEvents(sample.events);
    say(`sample: ${sample.events.length} events, ${sample.items.length} items; training and publishing...`);
    const t0 = Date.now();
    const report = await runTraining({ db, cache, policy: config.policy, modelsDir: config.modelsDir, logger, publish: true, force: true });
    say(`published ${report.version} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // Persist what was published: the restarted Redis reloads it, as a production Redis would.
    const admin = new Redis(redisUrl);
    await admin.save();
    admin.disconnect();

    const rt = buildRuntime({ ...config, redisKeyPrefix: 'bench' }, { db, cache }, { logger, pollMs: 1000 });
    await rt.live.start();
    const server = createHttpServer(createApp(rt));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    cleanup.push(
      () => new Promise<void>((r) => server.close(() => r())),
      () => rt.close(),
    );
    server.keepAliveTimeout = 65_000;

    const users = [...new Set(sample.events.map((e) => e.userId))];
    const known = users.slice(0, 1000);
    const probeUser = known[0];
    const before = await getJson(`${base}/v1/users/${encodeURIComponent(probeUser)}/recommendations?limit=10`);
    if (before.status !== 200 || before.body.degraded) throw new Error(`service not healthy before the fault: ${JSON.stringify(before)}`);

    say(`load: ${CONNECTIONS} connections for ${DURATION_S} s; redis SIGKILL at ${KILL_AT_MS / 1000} s for ${DOWN_MS / 1000} s`);
    const load = spawn(process.execPath, ['-e', LOAD_SCRIPT], {
      env: {
        ...process.env,
        AUTOCANNON_PATH: require.resolve('autocannon'),
        BENCH_URL: base,
        BENCH_USERS: JSON.stringify([...known, 'nobody-1', 'nobody-2']),
        BENCH_ITEMS: JSON.stringify(sample.items.slice(0, 200).map((i) => i.itemId)),
        BENCH_CONNECTIONS: String(CONNECTIONS),
        BENCH_DURATION: String(DURATION_S),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanup.push(() => {
      if (load.exitCode === null) load.kill('SIGKILL');
    });
    let loadOut = '';
    load.stdout!.on('data', (d) => (loadOut += d));
    const loadDone = new Promise<number | null>((r) => load.on('close', (code) => r(code)));

    await sleep(KILL_AT_MS);
    const killedAt = Date.now();
    redis.kill('SIGKILL');
    await new Promise((r) => redis.once('close', r));
    say('redis SIGKILLed');
    // Degraded answers during the outage: probe a known user too.
    await sleep(Math.min(1000, DOWN_MS / 2));
    const during = await getJson(`${base}/v1/users/${encodeURIComponent(probeUser)}/recommendations?limit=10`);
    const readyDuring = await getJson(`${base}/readyz`);
    await sleep(DOWN_MS - (Date.now() - killedAt));

    redis = startRedis(redisBin, redisPort, dir);
    const restartedAt = Date.now();
    say('redis restarted on the same port');
    let recoveredAt: number | null = null;
    while (Date.now() - restartedAt < 30_000) {
      try {
        const r = await getJson(`${base}/v1/users/${encodeURIComponent(probeUser)}/recommendations?limit=10`);
        if (r.status === 200 && !r.body.degraded) {
          recoveredAt = Date.now();
          break;
        }
      } catch {
        // keep polling
      }
      await sleep(20);
    }
    const code = await loadDone;
    if (code !== 0) throw new Error(`load generator exited with ${code}`);
    const r = JSON.parse(loadOut);
    const readyAfter = await getJson(`${base}/readyz`);
    const result = {
      durationSeconds: DURATION_S,
      connections: CONNECTIONS,
      totalRequests: r.requests,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      statusCodes: r.statusCodes,
      degradedAnswers: r.degraded,
      nonDegradedAnswers: r.fresh,
      emptyAnswers: r.empty,
      eventsAccepted: r.eventsAccepted,
      requestsPerSecond: r.rps,
      latencyMs: { p50: r.latencyP50, p99: r.latencyP99, max: r.latencyMax },
      redisDownMs: restartedAt - killedAt,
      recoveryMs: recoveredAt === null ? null : recoveredAt - restartedAt,
      lastDegradedAnswerAfterRestartMs: r.lastDegradedAt ? Math.max(0, r.lastDegradedAt - restartedAt) : null,
      duringOutage: {
        status: during.status,
        degraded: during.body.degraded,
        items: during.body.items?.length ?? 0,
        readyz: readyDuring.body,
      },
      readyzAfter: readyAfter.body.status,
    };
    if (JSON_OUT) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const lines = [
        `total requests        ${result.totalRequests} (${Math.round(result.requestsPerSecond)}/s over ${DURATION_S} s, ${CONNECTIONS} connections)`,
        `non-2xx               ${result.non2xx}   errors ${result.errors}   timeouts ${result.timeouts}`,
        `degraded answers      ${result.degradedAnswers}   (empty answers: ${result.emptyAnswers})`,
        `events accepted (202) ${result.eventsAccepted}`,
        `latency ms            p50 ${result.latencyMs.p50}  p99 ${result.latencyMs.p99}  max ${result.latencyMs.max}`,
        `redis down for        ${result.redisDownMs} ms`,
        `recovery time         ${result.recoveryMs === null ? 'NOT RECOVERED' : `${result.recoveryMs} ms`} (Redis restart -> first non-degraded answer)`,
        `during the outage     status ${result.duringOutage.status}, degraded ${result.duringOutage.degraded}, ${result.duringOutage.items} items; readyz ${readyDuring.body.status}`,
        `readyz after          ${result.readyzAfter}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    const ok =
      result.non2xx === 0 && result.errors === 0 && result.emptyAnswers === 0 && result.degradedAnswers > 0 && result.recoveryMs !== null;
    process.exitCode = ok ? 0 : 1;
  } finally {
    for (const fn of cleanup.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    if (redis.exitCode === null) redis.kill('SIGKILL');
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:faults failed: ${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
