/**
 * Rate limiting of the write endpoints (express-rate-limit), per API key when the request carries the
 * configured key, else per client IP (IPv6 by /56 subnet). Counters live in Redis when the service
 * runs on Redis (rate-limit-redis over the cache's own ioredis client, keys from CacheKeys, calls under
 * the cache's deadline and circuit breaker), in process memory otherwise. A cache outage never blocks
 * writes: the limiter lets requests through while its store fails (`passOnStoreError`).
 */
import { createHash, timingSafeEqual } from 'crypto';
import type { RequestHandler } from 'express';
import { rateLimit, ipKeyGenerator, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { RecommendationCache } from '../storage/cache/port';
import { CacheKeys, redisClientOf } from '../storage/cache';
import { CacheUnavailableError, ResilientCache } from '../storage/cache/resilientCache';

export interface WriteLimitOptions {
  windowSeconds: number;
  max: number;
  apiKey: string | undefined;
  cache: RecommendationCache;
  keyPrefix: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

function keyOf(expected: Buffer | null, given: string | undefined, ip: string | undefined): string {
  if (expected && given) {
    const h = sha256(given);
    // The key itself never reaches Redis or logs: a short hash names the client.
    if (timingSafeEqual(h, expected)) return `key:${h.toString('hex').slice(0, 16)}`;
  }
  return `ip:${ipKeyGenerator(ip ?? 'unknown', 56)}`;
}

/**
 * While the cache is unavailable (breaker open) requests pass unthrottled and quietly: the breaker
 * already logs the outage once, instead of one stack trace per request. Other store errors still go
 * through express-rate-limit's own handling (logged, request allowed).
 */
class OutageTolerantStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  constructor(private readonly inner: RedisStore) {}
  get prefix(): string {
    return this.inner.prefix;
  }
  async init(options: Options): Promise<void> {
    this.windowMs = options.windowMs;
    try {
      await this.inner.init(options);
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
    }
  }
  async increment(key: string): Promise<ClientRateLimitInfo> {
    try {
      return await this.inner.increment(key);
    } catch (err) {
      if (err instanceof CacheUnavailableError) return { totalHits: 1, resetTime: new Date(Date.now() + this.windowMs) };
      throw err;
    }
  }
  async decrement(key: string): Promise<void> {
    await this.inner.decrement(key).catch((err) => {
      if (!(err instanceof CacheUnavailableError)) throw err;
    });
  }
  async resetKey(key: string): Promise<void> {
    await this.inner.resetKey(key).catch((err) => {
      if (!(err instanceof CacheUnavailableError)) throw err;
    });
  }
}

function redisStore(cache: RecommendationCache, keyPrefix: string): Store | undefined {
  const client = redisClientOf(cache);
  if (!client) return undefined;
  const guard = cache instanceof ResilientCache ? <T>(fn: () => Promise<T>) => cache.run(fn) : <T>(fn: () => Promise<T>) => fn();
  const store = new RedisStore({
    prefix: new CacheKeys(keyPrefix).rateLimitPrefix('writes'),
    sendCommandCluster: ({ command }) => guard(() => client.call(command[0], ...command.slice(1)) as Promise<RedisReply>),
  });
  return new OutageTolerantStore(store);
}

export function writeRateLimit(opts: WriteLimitOptions): RequestHandler {
  const expected = opts.apiKey ? sha256(opts.apiKey) : null;
  return rateLimit({
    windowMs: opts.windowSeconds * 1000,
    limit: opts.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    passOnStoreError: true,
    // keyOf does use ipKeyGenerator; the library's source-text heuristic cannot see through the call.
    validate: { keyGeneratorIpFallback: false },
    store: redisStore(opts.cache, opts.keyPrefix),
    keyGenerator: (req) => keyOf(expected, req.get('x-api-key'), req.ip),
    handler: (_req, res, _next, options) => {
      res.status(options.statusCode).json({
        error: {
          code: 'rate_limited',
          message: 'too many write requests; retry later',
          details: { retryAfterSeconds: opts.windowSeconds },
        },
      });
    },
  });
}
