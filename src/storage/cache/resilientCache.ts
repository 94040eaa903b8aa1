/**
 * A RecommendationCache decorator that keeps the service answering when Redis is down or slow:
 * every call gets a deadline (a timer per call), and a circuit breaker stops calling a cache that keeps
 * failing. While the breaker is open calls fail at once with CacheUnavailableError (no waiting on
 * sockets); after `openMs` one probe (PING) is let through (half-open) and closes the breaker again
 * when it succeeds. Callers on the request path catch CacheUnavailableError and degrade (see
 * RecommendationService); anything else surfaces it as a 503 with Retry-After.
 *
 * Only transport failures count against the breaker (timeouts, closed connections, refused
 * connects, MaxRetriesPerRequestError, CLUSTERDOWN/LOADING...). An error Redis answered with, or a
 * refusal by the cache's own checks, proves the cache is reachable and passes through unchanged.
 */
import { UnavailableError } from '../../errors';
import type { Logger } from '../../observability/logger';
import type { RecommendationCache } from './port';

export class CacheUnavailableError extends UnavailableError {
  constructor(message: string, retryAfterSeconds = 1) {
    super(message, retryAfterSeconds);
  }
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface ResilienceOptions {
  /** Deadline of a request-path call (reads, session writes), ms. */
  timeoutMs: number;
  /** Deadline of a bulk call (version meta, publishing, deletes), ms. */
  bulkTimeoutMs: number;
  /** Consecutive transport failures that open the breaker. */
  failureThreshold: number;
  /** How long the breaker stays open before one probe is let through, ms. */
  openMs: number;
}

export const DEFAULT_RESILIENCE: ResilienceOptions = { timeoutMs: 250, bulkTimeoutMs: 10_000, failureThreshold: 3, openMs: 1000 };

class DeadlineError extends Error {
  constructor(ms: number) {
    super(`cache call timed out after ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/** Connection-level failures (the cache could not be asked), as opposed to answers that are errors. */
const TRANSPORT_ERROR =
  /connection is closed|stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|socket closed|CLUSTERDOWN|LOADING|MASTERDOWN|TRYAGAIN|Failed to refresh slots cache|None of startup nodes is available/i;

export function isTransportError(err: unknown): boolean {
  if (err instanceof DeadlineError || err instanceof CacheUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'ClusterAllFailedError') return true;
  return TRANSPORT_ERROR.test(err.message);
}

/** A small clock seam so the breaker can be unit-tested without sleeping. */
export interface Clock {
  now(): number;
}

export class CircuitBreaker {
  private stateValue: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private lastErrorText: string | null = null;

  constructor(
    private readonly opts: Pick<ResilienceOptions, 'failureThreshold' | 'openMs'>,
    private readonly clock: Clock = Date,
    private readonly onChange?: (state: BreakerState, reason: string | null) => void,
  ) {}

  state(): BreakerState {
    if (this.stateValue === 'open' && this.clock.now() - this.openedAt >= this.opts.openMs) return 'half-open';
    return this.stateValue;
  }

  lastError(): string | null {
    return this.lastErrorText;
  }

  /** Whether a normal call may go through now. In half-open only the probe may. */
  allows(): boolean {
    return this.stateValue === 'closed';
  }

  /** Claims the single half-open probe; false when the breaker is not due for one or a probe runs. */
  claimProbe(): boolean {
    if (this.state() !== 'half-open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.stateValue !== 'closed') {
      this.stateValue = 'closed';
      this.lastErrorText = null;
      this.onChange?.('closed', null);
    }
  }

  failure(reason: string): void {
    this.probing = false;
    this.lastErrorText = reason;
    this.failures++;
    if (this.stateValue === 'open' || this.failures >= this.opts.failureThreshold) {
      const wasOpen = this.stateValue === 'open';
      this.stateValue = 'open';
      this.openedAt = this.clock.now();
      if (!wasOpen) this.onChange?.('open', reason);
    }
  }
}

export class ResilientCache implements RecommendationCache {
  readonly kind: RecommendationCache['kind'];
  readonly breaker: CircuitBreaker;

  constructor(
    readonly inner: RecommendationCache,
    private readonly opts: ResilienceOptions = DEFAULT_RESILIENCE,
    private readonly logger?: Logger,
    clock: Clock = Date,
  ) {
    this.kind = inner.kind;
    this.breaker = new CircuitBreaker(opts, clock, (state, reason) => {
      if (state === 'open') this.logger?.warn({ reason }, 'cache circuit opened: answering degraded until it recovers');
      else this.logger?.info('cache circuit closed: cache answers again');
    });
  }

  /** True while the breaker keeps calls away from the cache (open or half-open). */
  isDegraded(): boolean {
    return this.breaker.state() !== 'closed';
  }

  /**
   * Runs `fn` against the cache under the deadline and the breaker. Exposed for the few callers
   * that talk to the raw client (the rate-limit store) so they share the breaker.
   */
  run<T>(fn: () => Promise<T>, timeoutMs = this.opts.timeoutMs): Promise<T> {
    if (!this.breaker.allows()) return this.probeThenRun(fn, timeoutMs);
    return withDeadline(fn, timeoutMs).then(
      (out) => {
        this.breaker.success();
        return out;
      },
      (err) => {
        throw this.failed(err);
      },
    );
  }

  /** Open or half-open: fail at once, or (the one probe) PING under the deadline, then run `fn`. */
  private async probeThenRun<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    if (!this.breaker.claimProbe()) {
      throw unavailable(this.breaker.lastError() ?? 'circuit open');
    }
    try {
      await withDeadline(() => this.inner.ping(), this.opts.timeoutMs);
      this.breaker.success();
    } catch (err) {
      this.breaker.failure(describe(err));
      throw unavailable(describe(err));
    }
    return this.run(fn, timeoutMs);
  }

  /** The error a failed call surfaces: an answer that is an error passes through (the cache is reachable). */
  private failed(err: unknown): unknown {
    if (!isTransportError(err)) {
      this.breaker.success();
      return err;
    }
    this.breaker.failure(describe(err));
    return unavailable(describe(err));
  }

  private bulk<T>(fn: () => Promise<T>): Promise<T> {
    return this.run(fn, this.opts.bulkTimeoutMs);
  }

  liveVersion() {
    return this.run(() => this.inner.liveVersion());
  }
  previousVersion() {
    return this.run(() => this.inner.previousVersion());
  }
  writeVersion(...a: Parameters<RecommendationCache['writeVersion']>) {
    return this.bulk(() => this.inner.writeVersion(...a));
  }
  writeUserLists(...a: Parameters<RecommendationCache['writeUserLists']>) {
    return this.bulk(() => this.inner.writeUserLists(...a));
  }
  versionInfo(version: string) {
    return this.run(() => this.inner.versionInfo(version));
  }
  readVersionMeta(version: string) {
    return this.bulk(() => this.inner.readVersionMeta(version));
  }
  switchLive(...a: Parameters<RecommendationCache['switchLive']>) {
    return this.bulk(() => this.inner.switchLive(...a));
  }
  deleteVersion(version: string) {
    return this.bulk(() => this.inner.deleteVersion(version));
  }
  // Spelled out (no rest array) on the request path.
  readUserState(version: string, bucketCount: number, userId: string) {
    return this.run(() => this.inner.readUserState(version, bucketCount, userId));
  }
  recordEvents(...a: Parameters<RecommendationCache['recordEvents']>) {
    return this.run(() => this.inner.recordEvents(...a));
  }
  setAvailability(...a: Parameters<RecommendationCache['setAvailability']>) {
    return this.run(() => this.inner.setAvailability(...a));
  }
  readCatalogOverlay() {
    return this.bulk(() => this.inner.readCatalogOverlay());
  }
  addOutcomes(...a: Parameters<RecommendationCache['addOutcomes']>) {
    return this.run(() => this.inner.addOutcomes(...a));
  }
  takeOutcomeBatch(...a: Parameters<RecommendationCache['takeOutcomeBatch']>) {
    return this.run(() => this.inner.takeOutcomeBatch(...a));
  }
  dropOutcomeBatch(batchId: string) {
    return this.run(() => this.inner.dropOutcomeBatch(batchId));
  }
  readUnflushedOutcomes() {
    return this.run(() => this.inner.readUnflushedOutcomes());
  }
  rememberClick(...a: Parameters<RecommendationCache['rememberClick']>) {
    return this.run(() => this.inner.rememberClick(...a));
  }
  takeClicks(...a: Parameters<RecommendationCache['takeClicks']>) {
    return this.run(() => this.inner.takeClicks(...a));
  }
  /** A real round trip even while the breaker is open (readiness wants the truth, and it doubles as a probe). */
  async ping(): Promise<void> {
    try {
      await withDeadline(() => this.inner.ping(), this.opts.timeoutMs);
    } catch (err) {
      if (isTransportError(err)) this.breaker.failure(describe(err));
      throw unavailable(describe(err));
    }
    this.breaker.success();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function unavailable(reason: string): CacheUnavailableError {
  return new CacheUnavailableError(`the cache is unavailable (${reason})`);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Deadlines of in-flight calls that share one duration, in one FIFO with one timer armed for the
 * oldest unsettled call, rather than a timer set and cleared on every request. Calls of one duration start in deadline order, so the FIFO is sorted:
 * when the timer fires, settled calls are dropped from the front, the overdue ones expire, and it is
 * armed again for the next. The timer is unref'd: a pending call's socket keeps the process alive.
 */
class DeadlineQueue {
  private calls: PendingCall[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly ms: number) {}

  add(call: PendingCall): void {
    this.calls.push(call);
    if (this.timer === null) this.arm();
  }

  private arm(): void {
    const next = this.calls[this.head];
    this.timer = setTimeout(() => this.sweep(), Math.max(0, next.deadline - performance.now()));
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = null;
    const now = performance.now();
    const calls = this.calls;
    let h = this.head;
    for (; h < calls.length; h++) {
      const call = calls[h];
      if (call.settled) continue;
      if (call.deadline > now) break;
      call.expire(this.ms);
    }
    if (h === calls.length) {
      this.calls = [];
      this.head = 0;
      return;
    }
    // Drop the front once it is most of the array (amortized: each call is moved at most once).
    if (h > 1024 && h > calls.length / 2) {
      this.calls = calls.slice(h);
      this.head = 0;
    } else this.head = h;
    this.arm();
  }
}

/** One call under a deadline: settles once, by its answer or by expiring. */
class PendingCall {
  settled = false;
  readonly deadline: number;

  constructor(
    ms: number,
    private readonly onExpire: (err: DeadlineError) => void,
  ) {
    this.deadline = performance.now() + ms;
  }

  /** Marks the call settled; false when it had already expired. */
  settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  expire(ms: number): void {
    this.settled = true;
    this.onExpire(new DeadlineError(ms));
  }
}

const deadlineQueues = new Map<number, DeadlineQueue>();

/** `fn()` or a DeadlineError after `ms`, whichever comes first (no timer or Promise.race per call). */
function withDeadline<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  let queue = deadlineQueues.get(ms);
  if (!queue) deadlineQueues.set(ms, (queue = new DeadlineQueue(ms)));
  return new Promise<T>((resolve, reject) => {
    const call = new PendingCall(ms, reject);
    queue.add(call);
    try {
      // After the deadline a late answer or failure is ignored: never an unhandled rejection.
      fn().then(
        (v) => call.settle() && resolve(v),
        (e) => call.settle() && reject(e),
      );
    } catch (err) {
      if (call.settle()) reject(err);
    }
  });
}
