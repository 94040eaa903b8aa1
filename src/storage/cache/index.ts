/**
 * Opens the configured cache: Redis when a URL is given (standalone, or Cluster from a comma list
 * of nodes), the in-process cache otherwise. Fails fast when Redis cannot be reached, so a service
 * never boots "ready" against a cache it cannot use.
 */
import Redis, { type ClusterNode, type RedisOptions } from 'ioredis';
import { moduleLogger } from '../../observability/logger';
import { CacheKeys } from './keys';
import { MemoryCache } from './memoryCache';
import type { RecommendationCache } from './port';
import { RedisCache, type RedisClient } from './redisCache';
import { ResilientCache } from './resilientCache';

export { CacheKeys, bucketOf, CATALOG_OVERLAY_TTL_SECONDS } from './keys';
export { MemoryCache } from './memoryCache';
export { RedisCache } from './redisCache';
export { ResilientCache, CacheUnavailableError } from './resilientCache';
export type { RedisClient } from './redisCache';
export type * from './port';

export interface OpenCacheOptions {
  /** `redis://...`, or with `cluster` a comma-separated list of node URLs (or host:port). */
  redisUrl?: string;
  cluster?: boolean;
  keyPrefix: string;
  /** How long to wait for the first connection before giving up. */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * Reconnect delay once the first connection succeeded. Before that there is no retry: a cache that
 * refuses the first connection fails the boot at once (and leaves no reconnect timer behind).
 */
function reconnectDelay(boot: BootState, attempt: number): number | null {
  return boot.connected ? Math.min(attempt * 100, 2000) : null;
}

interface BootState {
  connected: boolean;
}

export async function openCache(opts: OpenCacheOptions): Promise<RecommendationCache> {
  const keys = new CacheKeys(opts.keyPrefix);
  const logger = moduleLogger('cache');
  if (!opts.redisUrl) {
    logger.info('REDIS_URL is unset: using the in-process cache');
    return new MemoryCache({ keys });
  }
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const boot: BootState = { connected: false };
  const client = opts.cluster ? clusterClient(opts.redisUrl, timeoutMs, boot) : standaloneClient(opts.redisUrl, timeoutMs, boot);
  await connectOrFail(client, opts.redisUrl, timeoutMs);
  boot.connected = true;
  logger.info({ redis: redactUrl(opts.redisUrl), cluster: Boolean(opts.cluster) }, 'connected to Redis');
  return new RedisCache({ client, keys, logger });
}

/**
 * The raw ioredis client behind a cache (through a ResilientCache too), or null for the in-process
 * cache. Only for components that need their own commands on the same connection (the rate-limit
 * store); their keys still come from CacheKeys.
 */
export function redisClientOf(cache: RecommendationCache): RedisClient | null {
  const inner = cache instanceof ResilientCache ? cache.inner : cache;
  return inner instanceof RedisCache ? inner.rawClient() : null;
}

/**
 * Client options the request path depends on (the contract tests use them too). Auto-pipelining
 * sends the commands issued in one event-loop tick (concurrent requests' reads) in one socket write:
 * fewer syscalls per request under load.
 */
export const REQUEST_PATH_CLIENT_OPTIONS = { enableAutoPipelining: true } as const;

/**
 * A request waits through a brief reconnect (offline queue) but fails after a couple of retries
 * instead of hanging.
 */
function standaloneClient(url: string, timeoutMs: number, boot: BootState): Redis {
  return new Redis(url, {
    ...REQUEST_PATH_CLIENT_OPTIONS,
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 2,
    connectTimeout: timeoutMs,
    retryStrategy: (attempt) => reconnectDelay(boot, attempt),
  });
}

function clusterClient(list: string, timeoutMs: number, boot: BootState): RedisClient {
  const nodes: ClusterNode[] = [];
  let auth: Pick<RedisOptions, 'username' | 'password' | 'tls'> = {};
  for (const raw of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const url = new URL(raw.includes('://') ? raw : `redis://${raw}`);
    nodes.push({ host: url.hostname, port: Number(url.port || 6379) });
    // Cluster nodes share credentials; take them from the first node that names any.
    if (!auth.password && url.password) {
      auth = {
        username: decodeURIComponent(url.username) || undefined,
        password: decodeURIComponent(url.password),
        ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      };
    }
  }
  if (nodes.length === 0) throw new Error('REDIS_URL lists no cluster nodes');
  return new Redis.Cluster(nodes, {
    lazyConnect: true,
    enableOfflineQueue: true,
    // Batches span slots on several nodes; auto-pipelining coalesces them per node.
    enableAutoPipelining: true,
    clusterRetryStrategy: (attempt) => reconnectDelay(boot, attempt),
    redisOptions: { ...auth, connectTimeout: timeoutMs, maxRetriesPerRequest: 2 },
  });
}

async function connectOrFail(client: RedisClient, url: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  // Reconnect attempts after a failed start log 'error' events; swallow them until we decide.
  const onError = () => undefined;
  client.on('error', onError);
  try {
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
  } catch (err) {
    // Disconnecting an already ended client would arm a stray 2 s timer inside ioredis.
    if (client.status !== 'end') client.disconnect();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot reach Redis at REDIS_URL=${redactUrl(url)}: ${reason}`, { cause: err });
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
  const log = moduleLogger('cache');
  client.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
}

/** The URL(s) without passwords, for logs and error messages. */
function redactUrl(list: string): string {
  return list
    .split(',')
    .map((raw) => {
      try {
        const url = new URL(raw.trim());
        if (url.password) url.password = '***';
        return url.toString();
      } catch {
        return raw.trim();
      }
    })
    .join(',');
}
