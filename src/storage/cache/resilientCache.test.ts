import { CacheKeys } from './keys';
import { MemoryCache } from './memoryCache';
import type { RecommendationCache } from './port';
import { CacheUnavailableError, CircuitBreaker, isTransportError, ResilientCache } from './resilientCache';

/** A MemoryCache whose calls can be made to hang or to fail like a dropped Redis connection. */
function flakyCache() {
  const inner = new MemoryCache({ keys: new CacheKeys('t') });
  const mode = { value: 'ok' as 'ok' | 'hang' | 'down' | 'reply-error' };
  const calls = { n: 0 };
  const wrap = <T>(fn: () => Promise<T>): Promise<T> => {
    calls.n++;
    if (mode.value === 'hang') return new Promise<T>(() => undefined);
    if (mode.value === 'down') return Promise.reject(new Error('Connection is closed.'));
    if (mode.value === 'reply-error') return Promise.reject(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'));
    return fn();
  };
  const cache = new Proxy(inner, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      return typeof v === 'function' ? (...a: unknown[]) => wrap(() => v.apply(target, a)) : v;
    },
  }) as RecommendationCache;
  return { cache, mode, calls };
}

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures, half-opens after openMs, closes on success', () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 3, openMs: 1000 }, c);
    b.failure('x');
    b.failure('x');
    expect(b.state()).toBe('closed');
    b.success(); // resets the count
    b.failure('x');
    b.failure('x');
    expect(b.state()).toBe('closed');
    b.failure('x');
    expect(b.state()).toBe('open');
    expect(b.allows()).toBe(false);
    expect(b.claimProbe()).toBe(false);
    c.t += 1000;
    expect(b.state()).toBe('half-open');
    expect(b.claimProbe()).toBe(true);
    expect(b.claimProbe()).toBe(false); // one probe at a time
    b.failure('still down');
    expect(b.state()).toBe('open');
    c.t += 1000;
    expect(b.claimProbe()).toBe(true);
    b.success();
    expect(b.state()).toBe('closed');
    expect(b.allows()).toBe(true);
  });
});

describe('ResilientCache', () => {
  const opts = { timeoutMs: 30, bulkTimeoutMs: 60, failureThreshold: 2, openMs: 1000 };

  it('passes calls through while the cache answers', async () => {
    const { cache } = flakyCache();
    const r = new ResilientCache(cache, opts);
    expect(await r.liveVersion()).toBeNull();
    await r.setAvailability([{ itemId: 'a', available: false }]);
    expect((await r.readCatalogOverlay()).availability.get('a')).toBe(false);
    expect(r.isDegraded()).toBe(false);
  });

  it('times out a hanging cache, opens the breaker, then fails fast without calling it', async () => {
    const { cache, mode, calls } = flakyCache();
    const c = clock();
    const r = new ResilientCache(cache, opts, undefined, c);
    mode.value = 'hang';
    const t0 = Date.now();
    await expect(r.readUserState('v', 1, 'u')).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(Date.now() - t0).toBeLessThan(500);
    await expect(r.liveVersion()).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(r.breaker.state()).toBe('open');
    expect(r.isDegraded()).toBe(true);
    const before = calls.n;
    await expect(r.readUserState('v', 1, 'u')).rejects.toThrow(/unavailable/);
    expect(calls.n).toBe(before); // open: the cache was not asked at all
  });

  it('holds every call to its own deadline: answered calls resolve, hanging ones expire in start order', async () => {
    // Answers at will: a call settles when the test says so (or never).
    const pending: Array<(v: string | null) => void> = [];
    const inner = new Proxy(new MemoryCache({ keys: new CacheKeys('t') }), {
      get(target, prop, recv) {
        if (prop === 'liveVersion') return () => new Promise<string | null>((resolve) => pending.push(resolve));
        return Reflect.get(target, prop, recv);
      },
    }) as RecommendationCache;
    // A threshold no test reaches: expiries here must not open the breaker and fail the rest fast.
    const r = new ResilientCache(inner, { ...opts, timeoutMs: 40, failureThreshold: 1000 });
    const t0 = performance.now();
    const settledAt: Array<{ ok: boolean; ms: number; error?: string }> = [];
    const track = (i: number, p: Promise<unknown>) =>
      p.then(
        () => (settledAt[i] = { ok: true, ms: performance.now() - t0 }),
        (e: Error) => (settledAt[i] = { ok: false, ms: performance.now() - t0, error: e.message }),
      );
    const first = [0, 1, 2].map((i) => track(i, r.liveVersion()));
    await new Promise((res) => setTimeout(res, 20));
    const second = [3, 4].map((i) => track(i, r.liveVersion()));
    pending[1]('v1'); // answered in time
    pending[4]('v4');
    await Promise.all([...first, ...second]);
    pending[0]('late'); // after its deadline: ignored, no unhandled rejection
    expect(settledAt.map((s) => s.ok)).toEqual([false, true, false, false, true]);
    for (const i of [0, 2]) {
      expect(settledAt[i].error).toMatch(/timed out after 40 ms/);
      expect(settledAt[i].ms).toBeGreaterThanOrEqual(39);
    }
    // The later calls expire about 20 ms after the first ones.
    expect(settledAt[3].ms).toBeGreaterThanOrEqual(settledAt[0].ms + 10);
    expect(settledAt[3].ms).toBeLessThan(1000);
  });

  it('probes once after openMs and recovers by itself when the cache is back', async () => {
    const { cache, mode } = flakyCache();
    const c = clock();
    const r = new ResilientCache(cache, opts, undefined, c);
    mode.value = 'down';
    await expect(r.liveVersion()).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(r.liveVersion()).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(r.breaker.state()).toBe('open');
    c.t += 1000;
    // Still down: the probe fails and the breaker opens again.
    await expect(r.liveVersion()).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(r.breaker.state()).toBe('open');
    mode.value = 'ok';
    await expect(r.liveVersion()).rejects.toBeInstanceOf(CacheUnavailableError); // not due yet
    c.t += 1000;
    expect(await r.liveVersion()).toBeNull();
    expect(r.breaker.state()).toBe('closed');
  });

  it('does not count errors the cache answered with: they pass through unchanged', async () => {
    const { cache, mode } = flakyCache();
    const r = new ResilientCache(cache, opts);
    mode.value = 'reply-error';
    for (let i = 0; i < 5; i++) await expect(r.liveVersion()).rejects.toThrow(/WRONGTYPE/);
    expect(r.breaker.state()).toBe('closed');
  });

  it('ping is a real round trip that reports the outage and closes the breaker once the cache answers', async () => {
    const { cache, mode } = flakyCache();
    const r = new ResilientCache(cache, opts);
    mode.value = 'down';
    await expect(r.ping()).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(r.ping()).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(r.breaker.state()).toBe('open');
    mode.value = 'ok';
    await r.ping();
    expect(r.breaker.state()).toBe('closed');
  });

  it('classifies transport failures', () => {
    expect(isTransportError(new Error('connect ECONNREFUSED 127.0.0.1:6379'))).toBe(true);
    expect(
      isTransportError(Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' })),
    ).toBe(true);
    expect(isTransportError(new Error('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isTransportError(new Error('refusing to delete the live version v1'))).toBe(false);
  });
});
