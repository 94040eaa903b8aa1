/**
 * Answers "what should this user see": the cached personal list of the live version, blended with
 * what the user did minutes ago (session events posted through the API), filtered (bought,
 * unavailable, excluded, category), then filled along the user's segment fallback chain so that
 * the answer is never empty while the catalogue has an available item. No model runs here.
 */
import type { RecommendationCache, SessionEvent, UserState } from '../storage/cache/port';
import type { Policy, FallbackStep, ChainStep } from '../config/policy';
import { assignVariant } from '../experiments/assignment';
import { encodeRecommendationId } from '../feedback/recommendationId';
import type { Metrics } from '../serving/metrics';
import type { EventType, RankedItem, Segment } from '../domain/types';
import { decodeUserRecommendations, UserFeatureSnapshot, UserRecommendations } from '../contracts/packedList';
import { sourceName } from '../contracts/sources';
import { csrRow } from '../contracts/versionMeta';
import { NotFoundError, UnavailableError } from '../errors';
import { CacheUnavailableError } from '../storage/cache/resilientCache';
import type { LiveModel, LoadedVersion } from './liveModel';

export interface RecommendRequest {
  userId: string;
  limit: number;
  category?: string;
  exclude?: string[];
  /** An item the user is looking at now (product page): its neighbours are blended in. */
  context?: string;
}

export interface ItemProvenance {
  itemId: string;
  source: string;
  score: number;
  /** Score parts before blending: cached personal list, live session, context item. */
  parts: { personal?: number; session?: number; context?: number; fallbackRank?: number };
  /** Session or context items whose neighbours produced this item. */
  because?: string[];
}

export interface FallbackTrace {
  step: FallbackStep | 'catalogue';
  /** The step's quota, null when uncapped. */
  max: number | null;
  served: number;
}

export interface Recommendation {
  userId: string;
  segment: Segment;
  modelVersion: string;
  recommendationId: string;
  variant: string;
  degraded: boolean;
  items: RankedItem[];
}

export interface ExplainedRecommendation extends Recommendation {
  known: boolean;
  /** Training-time facts behind the segment (from the version's packed list). */
  features: UserFeatureSnapshot | null;
  /** Favourite categories at training time, best first. */
  categories: string[];
  /** Events posted through the API recently (the live session), newest first. */
  session: SessionEvent[];
  /** The fallback chain this answer followed (the variant's when it overrides the default). */
  chain: ChainStep[];
  provenance: ItemProvenance[];
  fallbacks: FallbackTrace[];
  filtered: { bought: number; unavailable: number; excluded: number; category: number; categoryCap: number };
}

export interface SimilarItems {
  itemId: string;
  modelVersion: string;
  items: RankedItem[];
}

/**
 * The blend's candidates in parallel arrays: position p < size holds item[p], its score parts and
 * (in total) the blended score. The storefront path reuses one instance per service (compose() is
 * synchronous, so no two requests share it at once), so an answer allocates none of this; the arrays
 * grow only when session or context items are added. The personal list is appended as is (the ranker
 * keeps one entry per item); session and context items find or add their slot through a map built on
 * first use.
 */
class Candidates {
  size = 0;
  readonly item: number[];
  readonly personal: number[];
  readonly session: number[];
  readonly context: number[];
  readonly personalSource: Array<string | undefined>;
  /** Session or context items behind each candidate; only filled when tracing. */
  readonly because: Array<Set<string> | undefined>;
  readonly total: number[];
  private at: Map<number, number> | null = null;

  constructor(capacity: number) {
    this.item = new Array<number>(capacity);
    this.personal = new Array<number>(capacity);
    this.session = new Array<number>(capacity);
    this.context = new Array<number>(capacity);
    this.personalSource = new Array<string | undefined>(capacity);
    this.because = new Array<Set<string> | undefined>(capacity);
    this.total = new Array<number>(capacity);
  }

  /** Empties the set for the next answer (the arrays keep their storage). */
  reset(): this {
    this.size = 0;
    this.at = null;
    return this;
  }

  /** Appends item `i` (not yet present) and returns its position. */
  add(i: number, personal = 0, personalSource?: string): number {
    const p = this.size++;
    this.at?.set(i, p);
    this.item[p] = i;
    this.personal[p] = personal;
    this.session[p] = 0;
    this.context[p] = 0;
    this.personalSource[p] = personalSource;
    this.because[p] = undefined;
    return p;
  }

  /** The position of item `i`, added with zero parts when absent. */
  slot(i: number): number {
    if (!this.at) {
      this.at = new Map();
      for (let p = 0; p < this.size; p++) this.at.set(this.item[p], p);
    }
    return this.at.get(i) ?? this.add(i);
  }
}

/**
 * What one answer has taken, and how many items per category, as stamps over item and category
 * indices: no Set or Map per answer. One instance per service serves every compose() (synchronous).
 */
class AnswerMarks {
  private stamp = 0;
  private taken = new Int32Array(0);
  private categoryStamp = new Int32Array(0);
  private categoryCount = new Int32Array(0);

  /** Starts an answer over `items` items and `categories` categories (indices -1..categories-1). */
  begin(items: number, categories: number): void {
    if (this.taken.length < items) this.taken = new Int32Array(items);
    if (this.categoryStamp.length < categories + 1) {
      this.categoryStamp = new Int32Array(categories + 1);
      this.categoryCount = new Int32Array(categories + 1);
    }
    if (++this.stamp === 0x7fffffff) {
      this.taken.fill(0);
      this.categoryStamp.fill(0);
      this.stamp = 1;
    }
  }

  isTaken(i: number): boolean {
    return this.taken[i] === this.stamp;
  }

  /** Marks item `i` (of category `c`, -1 for none) as taken. */
  take(i: number, c: number): void {
    this.taken[i] = this.stamp;
    if (this.categoryStamp[c + 1] !== this.stamp) {
      this.categoryStamp[c + 1] = this.stamp;
      this.categoryCount[c + 1] = 0;
    }
    this.categoryCount[c + 1]++;
  }

  /** Items of category `c` taken so far in this answer. */
  inCategory(c: number): number {
    return this.categoryStamp[c + 1] === this.stamp ? this.categoryCount[c + 1] : 0;
  }
}

interface NeighbourScore {
  score: number;
  /** Seeds whose neighbours produced the item; only kept when tracing. */
  because?: Set<string>;
}

/** How strongly each kind of session event says "show me more like this" (relative). */
const SESSION_TYPE_WEIGHT: Record<EventType, number> = { view: 1, fav: 1.5, cart: 2, purchase: 0 };
/** Decay per step back in the session: the last thing a shopper did matters most. */
const SESSION_POSITION_DECAY = 0.75;
const SESSION_SEEDS = 10;

/** The candidate arrays' starting size: the stored personal list's usual length. */
const CANDIDATES_CAPACITY = 64;

export class RecommendationService {
  /** Reused by every storefront answer (see Candidates); traced answers get their own. */
  private readonly scratch = new Candidates(CANDIDATES_CAPACITY);
  private readonly marks = new AnswerMarks();

  constructor(
    private readonly cache: RecommendationCache,
    private readonly live: LiveModel,
    private readonly policy: Policy,
    private readonly metrics?: Metrics,
  ) {}

  private loaded(): LoadedVersion {
    const v = this.live.version();
    if (!v) throw new UnavailableError('no model version has been published yet; run `recs train --publish`');
    return v;
  }

  /** The answer a storefront gets: no provenance is built (that is for /debug, through explain()). */
  async recommend(req: RecommendRequest): Promise<Recommendation> {
    const v = this.loaded();
    const e = this.compose(v, req, await this.readState(v, req.userId), false);
    return {
      userId: e.userId,
      segment: e.segment,
      modelVersion: e.modelVersion,
      recommendationId: e.recommendationId,
      variant: e.variant,
      degraded: e.degraded,
      items: e.items,
    };
  }

  /** The full answer plus why each item is there (debug endpoints use this). */
  async explain(req: RecommendRequest): Promise<ExplainedRecommendation> {
    const v = this.loaded();
    return this.compose(v, req, await this.readState(v, req.userId), true);
  }

  /**
   * The user's state in one cache round trip. Redis down or slow: an empty state (the answer then
   * comes from the in-memory meta lists: the `new` chain, since without the cache the user's segment
   * is unknown) and the last catalogue overlay seen, marked degraded.
   */
  private async readState(v: LoadedVersion, userId: string): Promise<UserState & { degraded: boolean }> {
    let degraded = false;
    let state: UserState;
    try {
      state = await this.cache.readUserState(v.meta.version, v.meta.bucketCount, userId);
    } catch (err) {
      if (!(err instanceof CacheUnavailableError)) throw err;
      degraded = true;
      state = { list: null, session: [], bought: [], catalogRev: this.live.catalog().rev };
    }
    // The overlay is reloaded only when its revision moved (not on the hot path otherwise).
    if (state.catalogRev !== this.live.catalog().rev) {
      try {
        await this.live.ensureOverlay(state.catalogRev);
      } catch (err) {
        if (!(err instanceof CacheUnavailableError)) throw err;
        degraded = true;
      }
    }
    if (degraded) this.metrics?.degradedAnswers.inc();
    return { ...state, degraded };
  }

  /**
   * One code path for both: `trace` adds the per-item provenance, the fallback trace and the
   * neighbour attributions; without it the same items, scores and metrics come out, cheaper.
   * Synchronous: everything it reads is in memory.
   */
  private compose(
    v: LoadedVersion,
    req: RecommendRequest,
    state: UserState & { degraded: boolean },
    trace: boolean,
  ): ExplainedRecommendation {
    const { meta } = v;
    const { degraded } = state;
    const rec: UserRecommendations | null = state.list ? decodeUserRecommendations(state.list) : null;
    const segment: Segment = rec?.segment ?? 'new';
    if (!degraded) this.metrics?.cacheLookup(rec !== null);
    const assignment = assignVariant(this.policy, req.userId);
    const variant = assignment.config;
    const sessionWeight = variant?.sessionWeight ?? this.policy.serving.sessionWeight;
    const newArrivalBoost = variant?.newArrivalBoost ?? this.policy.rules.newArrivalBoost;
    const chain: ChainStep[] = variant?.fallbacks?.[segment] ?? this.policy.fallbacks[segment];

    const bought = this.boughtItems(v, rec, state);
    let excluded: Set<number> | null = null;
    for (const id of req.exclude ?? []) {
      const i = v.itemIndex.get(id);
      if (i !== undefined) (excluded ??= new Set()).add(i);
    }
    // An unknown category matches no item: the answer is then rightly empty.
    const categoryFilter = req.category === undefined ? undefined : (v.categoryIndex.get(req.category) ?? -2);

    const filtered = { bought: 0, unavailable: 0, excluded: 0, category: 0, categoryCap: 0 };
    const marks = this.marks;
    marks.begin(meta.itemIds.length, meta.categories.length);
    // Diversity: at most maxPerCategory items of one category (a category filter makes it moot).
    const cap = categoryFilter === undefined ? this.policy.rules.maxPerCategory : null;
    const accept = (i: number): boolean => {
      if (marks.isTaken(i)) return false;
      if (bought?.has(i)) return (filtered.bought++, false);
      if (excluded?.has(i)) return (filtered.excluded++, false);
      if (categoryFilter !== undefined && meta.itemCategory[i] !== categoryFilter) return (filtered.category++, false);
      if (!this.live.isAvailable(v, i)) return (filtered.unavailable++, false);
      if (cap !== null && marks.inCategory(meta.itemCategory[i]) >= cap) return (filtered.categoryCap++, false);
      return true;
    };

    const items: RankedItem[] = [];
    const provenance: ItemProvenance[] = [];
    const push = (i: number, score: number, source: string, parts?: ItemProvenance['parts'], because?: string[]) => {
      marks.take(i, meta.itemCategory[i]);
      const itemId = meta.itemIds[i];
      const rounded = Math.round(score * 1e6) / 1e6;
      items.push({ itemId, score: rounded, source });
      if (trace) provenance.push({ itemId, source, score: rounded, parts: parts!, ...(because?.length ? { because } : {}) });
    };

    // 1. Personal list blended with the live session and the page context, best total first
    //    (ties: smaller item index).
    const c = this.blend(v, rec, state.session, sessionWeight, req.context, trace);
    const { total } = c;
    for (let p = 0; p < c.size; p++) {
      const i = c.item[p];
      total[p] = (c.personal[p] + c.session[p] + c.context[p]) * (meta.itemNew?.[i] ? 1 + newArrivalBoost : 1);
    }
    const before = (a: number, b: number) => total[b] - total[a] || c.item[a] - c.item[b];
    // The personal list alone comes already in this order: check (linear) before sorting. null: the
    // positions are the order.
    let order: number[] | null = null;
    for (let p = 1; p < c.size && order === null; p++) {
      if (before(p - 1, p) > 0) order = Array.from({ length: c.size }, (_, q) => q).sort(before);
    }
    for (let k = 0; k < c.size; k++) {
      if (items.length >= req.limit) break;
      const p = order === null ? k : order[k];
      const i = c.item[p];
      if (!accept(i)) continue;
      const personal = c.personal[p];
      const session = c.session[p];
      const context = c.context[p];
      const source =
        context > personal && context >= session ? 'context' : session > personal ? 'session' : (c.personalSource[p] ?? 'itemcf');
      if (!trace) {
        push(i, total[p], source);
        continue;
      }
      const parts: ItemProvenance['parts'] = {};
      if (personal) parts.personal = personal;
      if (session) parts.session = session;
      if (context) parts.context = context;
      const because = c.because[p];
      push(i, total[p], source, parts, because ? [...because] : undefined);
    }

    // 2. The segment's fallback chain, in order; `popular` is always last.
    const fallbacks: FallbackTrace[] = [];
    const personalCount = items.length;
    let floor = items.length ? items[items.length - 1].score : 1;
    for (const { step, max } of chain) {
      if (items.length >= req.limit) break;
      const { source, lists } = this.stepLists(v, step, segment, rec, state.session, categoryFilter);
      let served = 0;
      for (const list of lists) {
        for (let r = 0; r < list.length && items.length < req.limit && (max === null || served < max); r++) {
          const i = list[r];
          if (!accept(i)) continue;
          floor *= 0.98;
          push(i, floor, source, trace ? { fallbackRank: r } : undefined);
          served++;
        }
      }
      if (trace) fallbacks.push({ step, max, served });
      if (served) this.metrics?.fallbackServed(segment, step, served);
    }
    // 3. Safety net: any available item, so the shelf is never empty while the catalogue is not.
    if (items.length < req.limit) {
      let served = 0;
      for (let i = 0; i < meta.itemIds.length && items.length < req.limit; i++) {
        if (!accept(i)) continue;
        floor *= 0.98;
        push(i, floor, 'popular', trace ? {} : undefined);
        served++;
      }
      if (trace) fallbacks.push({ step: 'catalogue', max: null, served });
      if (served) this.metrics?.fallbackServed(segment, 'catalogue', served);
    }
    if (items.length > personalCount) this.metrics?.fallbackAnswer(segment);

    return {
      userId: req.userId,
      segment,
      modelVersion: meta.version,
      recommendationId: encodeRecommendationId({
        issuedAt: Date.now(),
        experiment: assignment.experiment,
        variantIndex: assignment.index,
        segment,
        userId: req.userId,
      }),
      variant: assignment.variant,
      degraded,
      items,
      known: rec !== null,
      features: rec?.features ?? null,
      categories: trace ? (rec?.categories ?? []).map((c) => meta.categories[c]).filter((c) => c !== undefined) : [],
      session: state.session,
      chain,
      provenance,
      fallbacks,
      filtered,
    };
  }

  /** Items never to show: bought at training time, since (cache), or in this session; null when none. */
  private boughtItems(v: LoadedVersion, rec: UserRecommendations | null, state: UserState): Set<number> | null {
    let bought: Set<number> | null = rec?.bought.length ? new Set(rec.bought) : null;
    const add = (id: string) => {
      const i = v.itemIndex.get(id);
      if (i !== undefined) (bought ??= new Set()).add(i);
    };
    for (const id of state.bought) add(id);
    for (const e of state.session) if (e.type === 'purchase') add(e.itemId);
    return bought;
  }

  private blend(
    v: LoadedVersion,
    rec: UserRecommendations | null,
    session: SessionEvent[],
    weight: number,
    context: string | undefined,
    trace: boolean,
  ): Candidates {
    const out = trace ? new Candidates(rec?.items.length ?? 0) : this.scratch.reset();
    if (rec && rec.items.length) {
      const max = rec.scores[0] || 1;
      for (let k = 0; k < rec.items.length; k++) out.add(rec.items[k], rec.scores[k] / max, sourceName(rec.sources[k]));
    }
    // Session: neighbours of what the user touched minutes ago, and those items themselves.
    if (session.length) this.blendSession(v, out, session, weight, trace);
    if (context !== undefined) {
      const i = v.itemIndex.get(context);
      if (i !== undefined) {
        for (const [j, { score, because }] of this.neighbourScores(v, [{ i, w: 1, id: context }], false, trace)) {
          const p = out.slot(j);
          out.context[p] = score * weight;
          if (because) out.because[p] = new Set([...(out.because[p] ?? []), ...because]);
        }
      }
    }
    return out;
  }

  /** The session's items and their neighbours into `out`, newest weighing most. */
  private blendSession(v: LoadedVersion, out: Candidates, session: SessionEvent[], weight: number, trace: boolean): void {
    const seeds: Array<{ i: number; w: number; id: string }> = [];
    const seen = new Set<number>();
    for (const e of session) {
      if (seeds.length >= SESSION_SEEDS) break;
      const w = SESSION_TYPE_WEIGHT[e.type];
      const i = v.itemIndex.get(e.itemId);
      if (!w || i === undefined || seen.has(i)) continue;
      seen.add(i);
      seeds.push({ i, w: w * Math.pow(SESSION_POSITION_DECAY, seeds.length), id: e.itemId });
    }
    if (seeds.length) {
      for (const [i, { score, because }] of this.neighbourScores(v, seeds, true, trace)) {
        const p = out.slot(i);
        out.session[p] = score * weight;
        out.because[p] = because;
      }
    }
  }

  /** Sum of seed weight x normalized similarity over the seeds' neighbours, scaled to max 1. */
  private neighbourScores(v: LoadedVersion, seeds: Array<{ i: number; w: number; id: string }>, includeSeeds: boolean, trace: boolean) {
    const acc = new Map<number, NeighbourScore>();
    const add = (j: number, s: number, id: string) => {
      const a = acc.get(j);
      if (a) {
        a.score += s;
        a.because?.add(id);
      } else acc.set(j, trace ? { score: s, because: new Set([id]) } : { score: s });
    };
    for (const seed of seeds) {
      // Re-finding what one looked at a moment ago is the strongest storefront signal.
      if (includeSeeds) add(seed.i, seed.w, seed.id);
      const row = csrRow(v.meta.similar, seed.i);
      const top = row.scores.length ? row.scores[0] || 1 : 1;
      for (let k = 0; k < row.indices.length; k++) add(row.indices[k], (seed.w * row.scores[k]) / top, seed.id);
    }
    let max = 0;
    for (const a of acc.values()) if (a.score > max) max = a.score;
    if (max > 0) for (const a of acc.values()) a.score /= max;
    return acc;
  }

  private stepLists(
    v: LoadedVersion,
    step: FallbackStep,
    segment: Segment,
    rec: UserRecommendations | null,
    session: SessionEvent[],
    categoryFilter: number | undefined,
  ): { source: string; lists: ArrayLike<number>[] } {
    const { meta } = v;
    const userCategories = (): number[] => {
      if (categoryFilter !== undefined) return [categoryFilter];
      const cats = [...(rec?.categories ?? [])];
      for (const e of session) {
        const i = v.itemIndex.get(e.itemId);
        const c = i === undefined ? -1 : meta.itemCategory[i];
        if (c >= 0 && !cats.includes(c)) cats.push(c);
      }
      return cats;
    };
    const rows = (name: string, cats: number[]) => {
      const csr = meta.categoryLists[name];
      return csr ? cats.map((c) => csrRow(csr, c).indices) : [];
    };
    switch (step) {
      case 'refind': {
        const touched: number[] = [];
        for (const e of session) {
          const i = v.itemIndex.get(e.itemId);
          if (e.type !== 'purchase' && i !== undefined) touched.push(i);
        }
        return { source: 'refind', lists: [touched, rec?.refind ?? []] };
      }
      case 'trending':
      case 'best_converting':
      case 'new_arrivals':
        return { source: step, lists: [meta.lists[step] ?? []] };
      case 'category_popular':
        return { source: 'category_popular', lists: rows('category_popular', userCategories()) };
      case 'segment_popular':
        return {
          source: `segment:${segment}`,
          lists: [...rows(`segment:${segment}`, userCategories()), meta.segmentLists[segment] ?? []],
        };
      case 'popular':
        return {
          source: 'popular',
          lists:
            categoryFilter !== undefined
              ? [...rows('category_popular', [categoryFilter]), meta.lists.popular ?? []]
              : [meta.lists.popular ?? []],
        };
    }
  }

  /** Neighbours of an item in the live version, filtered, filled from its category's popular list. */
  similar(itemId: string, limit: number): SimilarItems {
    const v = this.loaded();
    const { meta } = v;
    const i = v.itemIndex.get(itemId);
    if (i === undefined) throw new NotFoundError('item', itemId);
    const items: RankedItem[] = [];
    const taken = new Set<number>([i]);
    const row = csrRow(meta.similar, i);
    for (let k = 0; k < row.indices.length && items.length < limit; k++) {
      const j = row.indices[k];
      if (taken.has(j) || !this.live.isAvailable(v, j)) continue;
      taken.add(j);
      items.push({ itemId: meta.itemIds[j], score: Math.round(row.scores[k] * 1e6) / 1e6, source: 'itemcf' });
    }
    // Embedding neighbours next (when the version has them), then the item's category, then popular.
    const emb = meta.similarEmbedding ? csrRow(meta.similarEmbedding, i) : null;
    for (let k = 0; emb && k < emb.indices.length && items.length < limit; k++) {
      const j = emb.indices[k];
      if (taken.has(j) || !this.live.isAvailable(v, j)) continue;
      taken.add(j);
      const prev = items.length ? items[items.length - 1].score : 1;
      items.push({ itemId: meta.itemIds[j], score: Math.round(Math.min(prev, emb.scores[k]) * 1e6) / 1e6, source: 'embedding' });
    }
    let floor = items.length ? items[items.length - 1].score : 1;
    const cat = meta.itemCategory[i];
    const csr = meta.categoryLists.category_popular;
    const fill: Array<[string, ArrayLike<number>]> = [];
    if (cat >= 0 && csr) fill.push(['category_popular', csrRow(csr, cat).indices]);
    fill.push(['popular', meta.lists.popular ?? []]);
    for (const [source, list] of fill) {
      for (let r = 0; r < list.length && items.length < limit; r++) {
        const j = list[r];
        if (taken.has(j) || !this.live.isAvailable(v, j)) continue;
        taken.add(j);
        floor *= 0.98;
        items.push({ itemId: meta.itemIds[j], score: Math.round(floor * 1e6) / 1e6, source });
      }
    }
    return { itemId, modelVersion: meta.version, items };
  }
}
