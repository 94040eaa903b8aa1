/**
 * Prometheus metrics (prom-client), one registry per runtime so several apps in one process (tests)
 * do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Request } from 'express';

export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'recs_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly cacheLookups = new Counter({
    name: 'recs_cache_lookups_total',
    help: "Personal-list lookups in the cache: hit (the version has the user's list) or miss",
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly fallbackItems = new Counter({
    name: 'recs_fallback_items_total',
    help: 'Items served by each fallback step, by segment',
    labelNames: ['segment', 'step'] as const,
    registers: [this.registry],
  });
  readonly fallbackAnswers = new Counter({
    name: 'recs_fallback_answers_total',
    help: 'Answers that needed the fallback chain, by segment',
    labelNames: ['segment'] as const,
    registers: [this.registry],
  });
  readonly liveVersion = new Gauge({
    name: 'recs_live_model_info',
    help: 'The model version this instance serves (value 1)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly feedback = new Counter({
    name: 'recs_feedback_total',
    help: 'Feedback received (impression, click, purchase, attributed_purchase) by variant',
    labelNames: ['type', 'variant'] as const,
    registers: [this.registry],
  });
  readonly degradedAnswers = new Counter({
    name: 'recs_degraded_answers_total',
    help: 'Recommendation answers served from in-memory fallback lists because the cache was unavailable',
    registers: [this.registry],
  });
  readonly eventsAccepted = new Counter({
    name: 'recs_events_accepted_total',
    help: 'Events stored through POST /v1/events',
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  setLiveVersion(version: string): void {
    this.liveVersion.reset();
    this.liveVersion.set({ version }, 1);
  }

  /** Times a finished request; the route label is the matched route pattern, never the raw path. */
  observeRequest(req: Request, statusCode: number, seconds: number): void {
    const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
    const method = req.method;
    child(this.httpChildren, `${method} ${statusCode} ${route}`, () => this.httpDuration.labels(method, route, String(statusCode))).observe(
      seconds,
    );
  }

  /** Counts a personal-list lookup. */
  cacheLookup(hit: boolean): void {
    (hit ? this.cacheHit : this.cacheMiss).inc();
  }

  /** Counts items a fallback step served. */
  fallbackServed(segment: string, step: string, items: number): void {
    child(this.fallbackItemChildren, `${segment} ${step}`, () => this.fallbackItems.labels(segment, step)).inc(items);
  }

  /** Counts an answer that needed the fallback chain. */
  fallbackAnswer(segment: string): void {
    child(this.fallbackAnswerChildren, segment, () => this.fallbackAnswers.labels(segment)).inc();
  }

  // Labelled children on the request path, kept per label values: the label object and the child's
  // closures are built once rather than per request (prom-client still hashes labels per observation).
  private readonly httpChildren = new Map<string, ReturnType<Histogram<'method' | 'route' | 'status'>['labels']>>();
  private readonly fallbackItemChildren = new Map<string, ReturnType<Counter<'segment' | 'step'>['labels']>>();
  private readonly fallbackAnswerChildren = new Map<string, ReturnType<Counter<'segment'>['labels']>>();
  private readonly cacheHit = this.cacheLookups.labels('hit');
  private readonly cacheMiss = this.cacheLookups.labels('miss');
}

/** The child stored under `key`, made on first use. */
function child<T>(children: Map<string, T>, key: string, make: () => T): T {
  let c = children.get(key);
  if (c === undefined) {
    c = make();
    children.set(key, c);
  }
  return c;
}
