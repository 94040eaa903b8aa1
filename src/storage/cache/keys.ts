/**
 * The only module that builds cache keys. Both cache implementations use it, so Redis and the
 * in-process cache agree on what lives where.
 *
 * Layout for prefix P (default `recs`). `{...}` is a Redis Cluster hash tag: keys with the same tag
 * live in the same slot, so one Lua script or MULTI may touch them together.
 *
 *   P:{ptr}:live                  string  live version id                    } one slot: the switch
 *   P:{ptr}:previous              string  version replaced by the last switch } script is atomic
 *   P:{v:<version>}:info          hash    bucketCount, users                  } one slot per version
 *   P:{v:<version>}:meta          string  VersionMeta binary                  }
 *   P:{v:<version>:<bucket>}:users hash   userId -> packed list; one slot per (version, bucket),
 *                                         so a version's lists spread over the cluster
 *   P:{u:<userId>}:session        list    recent API events, newest first     } one slot per user:
 *   P:{u:<userId>}:bought         set     items bought through the API        } one script updates both
 *   P:{cat}:availability          hash    itemId -> '1' | '0'                 } one slot: one MULTI
 *   P:{cat}:rev                   string  overlay revision counter            } writes both
 *   P:{out}:counters              hash    outcome field -> count/revenue (ledger) } one slot: the
 *   P:{out}:pending, :pending-id  hash, string  a batch moved aside for a flush  } batch script
 *   P:{clk:<userKey>}:items       hash    itemId -> recommendationId of a recent click (TTL)
 *   P:rl:<limiter>:<client>       string  rate-limit hit counter (rate-limit-redis, window TTL); no
 *                                         hash tag, so clients spread over a cluster's slots
 *
 * Every family starts with a distinct `P:{<family>` so families cannot collide, and each family's
 * variable part is followed by a fixed suffix, so distinct ids give distinct keys. A user id holding
 * `}` only shortens its hash tag, identically for both per-user keys, so they still share a slot.
 */
import { fnv1a32 } from '../../util/hash';

/** Prefixes and version ids end up inside keys and hash tags: keep them brace- and space-free. */
const SAFE_TOKEN = /^[^\s{}]+$/;

export class CacheKeys {
  readonly prefix: string;

  constructor(prefix = 'recs') {
    if (!SAFE_TOKEN.test(prefix)) throw new Error(`invalid cache key prefix '${prefix}': no braces or whitespace`);
    this.prefix = prefix;
  }

  livePointer(): string {
    return `${this.prefix}:{ptr}:live`;
  }

  previousPointer(): string {
    return `${this.prefix}:{ptr}:previous`;
  }

  versionInfo(version: string): string {
    return `${this.prefix}:{v:${checkVersion(version)}}:info`;
  }

  versionMeta(version: string): string {
    return `${this.prefix}:{v:${checkVersion(version)}}:meta`;
  }

  versionBucket(version: string, bucket: number): string {
    if (!Number.isInteger(bucket) || bucket < 0) throw new Error(`invalid bucket ${bucket}`);
    return `${this.prefix}:{v:${checkVersion(version)}:${bucket}}:users`;
  }

  /** Every key of a version with `bucketCount` buckets: info, meta, then the buckets. */
  versionKeys(version: string, bucketCount: number): string[] {
    const keys = [this.versionInfo(version), this.versionMeta(version)];
    for (let b = 0; b < bucketCount; b++) keys.push(this.versionBucket(version, b));
    return keys;
  }

  userSession(userId: string): string {
    return `${this.prefix}:{u:${userId}}:session`;
  }

  userBought(userId: string): string {
    return `${this.prefix}:{u:${userId}}:bought`;
  }

  catalogAvailability(): string {
    return `${this.prefix}:{cat}:availability`;
  }

  catalogRevision(): string {
    return `${this.prefix}:{cat}:rev`;
  }

  /** Outcome counters not yet flushed (one slot: the batch script moves them atomically). */
  outcomeCounters(): string {
    return `${this.prefix}:{out}:counters`;
  }

  outcomePendingBatch(): string {
    return `${this.prefix}:{out}:pending`;
  }

  outcomePendingBatchId(): string {
    return `${this.prefix}:{out}:pending-id`;
  }

  userClicks(userKey: string): string {
    return `${this.prefix}:{clk:${userKey}}:items`;
  }

  /** Prefix the rate-limit store puts before each client key of limiter `name` (`P:rl:<name>:`). */
  rateLimitPrefix(name: string): string {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(name)) throw new Error(`invalid rate limiter name '${name}'`);
    return `${this.prefix}:rl:${name}:`;
  }
}

function checkVersion(version: string): string {
  if (!SAFE_TOKEN.test(version)) throw new Error(`invalid model version id '${version}': no braces or whitespace`);
  return version;
}

/** The hash bucket holding `userId`'s list in a version with `bucketCount` buckets. */
export function bucketOf(userId: string, bucketCount: number): number {
  if (!Number.isInteger(bucketCount) || bucketCount < 1) throw new Error(`invalid bucket count ${bucketCount}`);
  return fnv1a32(userId) % bucketCount;
}

/**
 * TTL of the catalogue overlay keys, refreshed on every write. The overlay only has to outlive the
 * gap until the next training run folds the changes into a version; 30 days leaves ample margin.
 */
export const CATALOG_OVERLAY_TTL_SECONDS = 30 * 24 * 3600;
