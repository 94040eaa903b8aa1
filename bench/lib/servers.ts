/** Small helpers for benchmarks and tests that run servers of their own on loopback. */
import net from 'net';
import Redis from 'ioredis';

/** A free TCP port on 127.0.0.1 (the OS picks; closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once a Redis at `url` answers PING; throws after `timeoutMs`. */
export async function waitForRedis(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      return;
    } catch {
      c.disconnect();
      if (Date.now() > deadline) throw new Error(`redis at ${url} did not start (set REDIS_SERVER_BIN or install redis-server)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
