/**
 * The storefront's side of the public HTTP API, as the simulation uses it: a catalogue upsert,
 * events, recommendation requests and feedback. Retries what the service asks to retry (429, 503),
 * and stops with the answer's message on anything else that is not a success.
 */
import type { EventType, Item, RankedItem } from '../domain/types';

export interface SimulatedEvent {
  userId: string;
  itemId: string;
  type: EventType;
  /** Epoch ms. */
  ts: number;
}

export interface RecommendationAnswer {
  userId: string;
  segment: string;
  recommendationId: string;
  variant: string;
  items: RankedItem[];
}

/** At most this many events per POST /v1/events (the API's limit). */
const EVENTS_PER_CALL = 1000;
const RETRIES = 8;

export class StorefrontClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey?: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.apiKey && method !== 'GET') headers['x-api-key'] = this.apiKey;
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      if (res.ok) return (await res.json()) as T;
      const retryable = res.status === 429 || res.status === 503;
      if (!retryable || attempt >= RETRIES) {
        const text = await res.text();
        throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
      }
      await res.arrayBuffer();
      const wait = Number(res.headers.get('retry-after'));
      await new Promise((r) => setTimeout(r, Number.isFinite(wait) && wait > 0 ? Math.min(wait, 5) * 1000 : 100 * 2 ** attempt));
    }
  }

  /** The version the service has loaded (readiness reports it); null without one. */
  async loadedVersion(): Promise<string | null> {
    const res = await fetch(`${this.baseUrl}/readyz`);
    const body = (await res.json()) as { checks?: { model?: string } };
    return body.checks?.model && body.checks.model !== 'none' ? body.checks.model : null;
  }

  /** Waits until the service answers from `version` (it follows the live pointer within a second or so). */
  async waitForVersion(version: string, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ((await this.loadedVersion()) !== version) {
      if (Date.now() > until) throw new Error(`the service at ${this.baseUrl} did not load version ${version} within ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async putItem(item: Item): Promise<void> {
    await this.call('PUT', `/v1/items/${encodeURIComponent(item.itemId)}`, {
      category: item.category,
      available: item.available,
      price: item.price,
      createdAt: item.createdAt,
    });
  }

  async postEvents(events: readonly SimulatedEvent[]): Promise<void> {
    for (let x = 0; x < events.length; x += EVENTS_PER_CALL) {
      const batch = events
        .slice(x, x + EVENTS_PER_CALL)
        .map((e) => ({ userId: e.userId, itemId: e.itemId, type: e.type, timestamp: e.ts }));
      await this.call('POST', '/v1/events', { events: batch });
    }
  }

  recommend(userId: string, limit: number): Promise<RecommendationAnswer> {
    return this.call('GET', `/v1/users/${encodeURIComponent(userId)}/recommendations?limit=${limit}`);
  }

  async feedback(recommendationId: string, itemId: string, type: 'impression' | 'click' | 'purchase', ts: number): Promise<void> {
    await this.call('POST', '/v1/feedback', { recommendationId, itemId, type, timestamp: ts });
  }
}
