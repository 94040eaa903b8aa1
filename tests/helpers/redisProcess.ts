/** A redis-server of a test's own (REDIS_SERVER_BIN or `redis-server` on PATH) that it may kill and restart. */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import { freePort, waitForRedis } from '../../bench/lib/servers';

export { freePort };

export class RedisProcess {
  private child: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly extraArgs: string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(extraArgs: string[] = []): Promise<RedisProcess> {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-redis-'));
    const r = new RedisProcess(await freePort(), dir, extraArgs);
    await r.restart();
    return r;
  }

  /** (Re)starts on the same port; data comes back from dump.rdb if `save()` wrote one. */
  async restart(): Promise<void> {
    const bin = process.env.REDIS_SERVER_BIN || 'redis-server';
    this.child = spawn(
      bin,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--dbfilename',
        'dump.rdb',
        ...this.extraArgs,
      ],
      { stdio: 'ignore' },
    );
    await waitForRedis(this.url);
  }

  async command(...args: string[]): Promise<unknown> {
    const c = new Redis(this.url, { maxRetriesPerRequest: 0 });
    try {
      return await c.call(args[0], ...args.slice(1));
    } finally {
      c.disconnect();
    }
  }

  /** SIGKILL: no shutdown, no save. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const closed = new Promise((r) => child.once('close', r));
    child.kill('SIGKILL');
    await closed;
  }

  async stop(): Promise<void> {
    await this.kill();
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}
