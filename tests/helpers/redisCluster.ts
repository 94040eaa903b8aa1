/**
 * A throwaway 3-master Redis Cluster on loopback (REDIS_SERVER_BIN or `redis-server` on PATH, and
 * `redis-cli` beside it or on PATH), for tests and benchmarks that must see Cluster semantics:
 * slots, MOVED redirections, CROSSSLOT refusals.
 */
import { spawn, execFile, type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import Redis from 'ioredis';
import { freePort } from './redisProcess';

const run = promisify(execFile);

function redisCliBin(): string {
  const server = process.env.REDIS_SERVER_BIN;
  if (server) {
    const beside = path.join(path.dirname(server), 'redis-cli');
    if (fs.existsSync(beside)) return beside;
  }
  return 'redis-cli';
}

export class RedisClusterProcess {
  private constructor(
    readonly ports: number[],
    readonly dir: string,
    private readonly children: ChildProcess[],
  ) {}

  /** `redis://127.0.0.1:P1,redis://127.0.0.1:P2,...`: the REDIS_URL form openCache takes with `cluster`. */
  get url(): string {
    return this.ports.map((p) => `redis://127.0.0.1:${p}`).join(',');
  }

  static async start(masters = 3): Promise<RedisClusterProcess> {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-cluster-'));
    const bin = process.env.REDIS_SERVER_BIN || 'redis-server';
    const ports: number[] = [];
    const children: ChildProcess[] = [];
    const cluster = new RedisClusterProcess(ports, dir, children);
    try {
      while (ports.length < masters) {
        const p = await freePort();
        // Cluster nodes also listen on port + 10000 (the bus): it must be free and distinct too.
        if (p + 10000 > 65535 || ports.includes(p)) continue;
        ports.push(p);
      }
      for (const port of ports) {
        const child = spawn(
          bin,
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            path.join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '5000',
            '--save',
            '',
            '--appendonly',
            'no',
            '--daemonize',
            'no',
            '--dir',
            dir,
          ],
          { stdio: 'ignore' },
        );
        children.push(child);
      }
      for (const port of ports) await waitForPing(port);
      await run(redisCliBin(), ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
        timeout: 30_000,
      });
      const deadline = Date.now() + 20_000;
      for (const port of ports) {
        for (;;) {
          const info = String(await command(port, 'cluster', 'info'));
          if (/cluster_state:ok/.test(info) && /cluster_slots_assigned:16384/.test(info)) break;
          if (Date.now() > deadline) throw new Error(`cluster did not reach cluster_state:ok on port ${port}: ${info}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** A command on one node (no redirection). */
  command(port: number, ...args: string[]): Promise<unknown> {
    return command(port, ...args);
  }

  /** SIGKILLs every node and removes the temp dir (nodes-*.conf). */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const closed = new Promise((r) => child.once('close', r));
        child.kill('SIGKILL');
        await closed;
      }),
    );
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}

async function command(port: number, ...args: string[]): Promise<unknown> {
  const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await c.call(args[0], ...args.slice(1));
  } finally {
    c.disconnect();
  }
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await command(port, 'ping');
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port} (set REDIS_SERVER_BIN)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
