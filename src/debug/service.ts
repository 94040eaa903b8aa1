/**
 * Operator views: why a user got what they got, what the service knows about an item, which model
 * versions exist, how the segments look, and the A/B report. Not a hot path: it may read the
 * database and decode lists freely.
 */
import type { Database } from '../storage/ports';
import type { RecommendationCache } from '../storage/cache/port';
import type { Policy } from '../config/policy';
import type { Segment } from '../domain/types';
import { SEGMENTS } from '../domain/types';
import { csrRow } from '../contracts/versionMeta';
import { stepLists } from '../contracts/fallbackChain';
import type { UserFeatureSnapshot } from '../contracts/packedList';
import type { LiveVersion, LoadedVersion } from '../live/liveVersion';
import type { RecommendationService } from '../recommendations/service';
import { NotFoundError, UnavailableError } from '../errors';

const DAY = 24 * 3600 * 1000;
const HEAD = 10;

export class DebugService {
  constructor(
    private readonly db: Database,
    private readonly cache: RecommendationCache,
    private readonly live: LiveVersion,
    private readonly recommendations: RecommendationService,
    private readonly policy: Policy,
  ) {}

  private loaded(): LoadedVersion {
    const v = this.live.version();
    if (!v) throw new UnavailableError('no model version has been published yet');
    return v;
  }

  /** Which segment rule matched, in words, from the training-time features. */
  segmentReason(segment: Segment, f: UserFeatureSnapshot | null, now: number): string {
    const s = this.policy.segments;
    if (!f || !f.firstSeen) return 'unknown to the live model: new users get the onboarding chain';
    const age = (now - f.firstSeen) / DAY;
    const idle = (now - f.lastSeen) / DAY;
    switch (segment) {
      case 'new':
        return age < s.newMaxAgeDays
          ? `first event ${age.toFixed(1)} days before the model's now (< ${s.newMaxAgeDays})`
          : `${f.distinctItems} distinct items (< ${s.newMinDistinctItems})`;
      case 'churned':
        return `last event ${idle.toFixed(1)} days before the model's now (> ${s.churnedAfterDays})`;
      case 'at_risk':
        return `last event ${idle.toFixed(1)} days before the model's now (> ${s.atRiskAfterDays})`;
      case 'high_value':
        return `purchaser with RFM score ${f.rfm?.toFixed(3)} in the top ${(s.highValueTopFraction * 100).toFixed(0)}% of purchasers`;
      case 'paying':
        return `${f.purchases} purchase(s), RFM score ${f.rfm?.toFixed(3)} below the high-value cut`;
      case 'active':
        return 'browses recently, never bought';
    }
  }

  async user(userId: string, limit: number) {
    const v = this.loaded();
    const { meta } = v;
    const explained = await this.recommendations.explain({ userId, limit });
    const recent = await this.db.events.recentEventsForUser(userId, 50);
    // Which of the user's recent items have each recommended item among their neighbours.
    const history = new Map<number, string>();
    for (const e of recent) {
      const i = v.itemIndex.get(e.itemId);
      if (i !== undefined && !history.has(i)) history.set(i, e.itemId);
    }
    const neighbourOf = new Map<string, Array<{ itemId: string; similarity: number }>>();
    for (const [i, id] of history) {
      const row = csrRow(meta.similar, i);
      for (let k = 0; k < row.indices.length; k++) {
        const target = meta.itemIds[row.indices[k]];
        const list = neighbourOf.get(target) ?? [];
        list.push({ itemId: id, similarity: Math.round(row.scores[k] * 1e4) / 1e4 });
        neighbourOf.set(target, list);
      }
    }
    const items = explained.provenance.map((p) => {
      const i = v.itemIndex.get(p.itemId)!;
      return {
        ...p,
        category: meta.categories[meta.itemCategory[i]] ?? null,
        newArrival: Boolean(meta.itemNew?.[i]),
        neighbourOf: (neighbourOf.get(p.itemId) ?? []).sort((a, b) => b.similarity - a.similarity).slice(0, 5),
        filters: 'passed: bought, unavailable, excluded, category, diversity cap',
      };
    });
    const f = explained.features;
    return {
      userId,
      modelVersion: explained.modelVersion,
      known: explained.known,
      segment: explained.segment,
      segmentReason: this.segmentReason(explained.segment, f, meta.now),
      features: f && {
        firstSeen: f.firstSeen ? new Date(f.firstSeen).toISOString() : null,
        lastSeen: f.lastSeen ? new Date(f.lastSeen).toISOString() : null,
        recencyDays: f.lastSeen ? Math.round(((meta.now - f.lastSeen) / DAY) * 100) / 100 : null,
        frequency: f.purchases,
        monetary: f.monetary,
        distinctItems: f.distinctItems,
        rfm: f.rfm,
      },
      favouriteCategories: explained.categories,
      profile: {
        favouriteCategories: explained.categories,
        priceBand: explained.profile?.priceBand ?? null,
        purchaseCadenceDays: explained.profile?.purchaseCadenceDays ?? null,
        lifecycleAgeDays: f?.firstSeen ? Math.round(((meta.now - f.firstSeen) / DAY) * 10) / 10 : null,
        dominantEventType: explained.profile?.dominantEventType ?? null,
      },
      variant: explained.variant,
      recentEvents: recent.map((e) => ({ itemId: e.itemId, type: e.type, timestamp: new Date(e.ts).toISOString() })),
      session: explained.session.map((e) => ({ itemId: e.itemId, type: e.type, timestamp: new Date(e.ts).toISOString() })),
      recommendations: items,
      fallbackChain: explained.chain.map((c) => ({ step: c.step, max: c.max })),
      fallbacks: explained.fallbacks,
      filtered: explained.filtered,
    };
  }

  async item(itemId: string) {
    const v = this.loaded();
    const { meta } = v;
    const i = v.itemIndex.get(itemId);
    const stored = await this.db.catalog.getItem(itemId);
    if (i === undefined && !stored) throw new NotFoundError('item', itemId);
    const rankIn = (list: ArrayLike<number> | undefined) => {
      if (!list || i === undefined) return null;
      for (let r = 0; r < list.length; r++) if (list[r] === i) return r + 1;
      return null;
    };
    const row = i === undefined ? null : csrRow(meta.similar, i);
    const cat = i === undefined ? -1 : meta.itemCategory[i];
    const catList = cat >= 0 && meta.categoryLists.category_popular ? csrRow(meta.categoryLists.category_popular, cat).indices : undefined;
    return {
      itemId,
      modelVersion: meta.version,
      inModel: i !== undefined,
      category: i !== undefined ? (meta.categories[cat] ?? null) : (stored?.category ?? null),
      availability: {
        now: i !== undefined ? this.live.isAvailable(v, i) : (stored?.available ?? true),
        atTraining: i !== undefined ? meta.itemAvailable[i] === 1 : null,
        catalogue: stored?.available ?? null,
      },
      newArrival: i !== undefined ? Boolean(meta.itemNew?.[i]) : null,
      catalogue: stored && { price: stored.price, createdAt: stored.createdAt ? new Date(stored.createdAt).toISOString() : null },
      neighbours: {
        itemcf: row
          ? Array.from(row.indices.subarray(0, 20), (j, k) => ({ itemId: meta.itemIds[j], score: Math.round(row.scores[k] * 1e4) / 1e4 }))
          : [],
      },
      popularityRanks: {
        popular: rankIn(meta.lists.popular),
        trending: rankIn(meta.lists.trending),
        best_converting: rankIn(meta.lists.best_converting),
        new_arrivals: rankIn(meta.lists.new_arrivals),
        category_popular: rankIn(catList),
      },
    };
  }

  async models() {
    const [versions, live, previous] = await Promise.all([
      this.db.models.list(100),
      this.cache.liveVersion(),
      this.cache.previousVersion(),
    ]);
    return {
      live,
      previous,
      loaded: this.live.version()?.meta.version ?? null,
      versions: versions.map((m) => ({
        version: m.version,
        status: m.status,
        live: m.version === live,
        createdAt: new Date(m.createdAt).toISOString(),
        publishedAt: m.publishedAt ? new Date(m.publishedAt).toISOString() : null,
        metrics: m.metrics,
        timings: m.timings,
      })),
    };
  }

  segments() {
    const v = this.loaded();
    const { meta } = v;
    const head = (list: ArrayLike<number> | undefined) =>
      Array.from(list ?? [])
        .slice(0, HEAD)
        .map((i) => meta.itemIds[i]);
    return {
      modelVersion: meta.version,
      now: new Date(meta.now).toISOString(),
      thresholds: this.policy.segments,
      segments: SEGMENTS.map((segment) => ({
        segment,
        users: meta.segmentSizes[segment] ?? 0,
        chain: this.policy.fallbacks[segment].map(({ step, max }) => ({
          step,
          max,
          // Steps drawing on a shopper's own items or categories have no shared head.
          head:
            step === 'refind' || step === 'category_popular'
              ? 'per user'
              : head(stepLists(meta, step, { segment, categories: () => [], refind: () => [] }).lists[0]),
        })),
      })),
    };
  }
}
