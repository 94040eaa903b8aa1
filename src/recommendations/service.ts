/**
 * Answers "what should this user see": the cached personal list of the live version, blended with
 * what the user did minutes ago (session events posted through the API), filtered (bought,
 * unavailable, excluded, category), then filled along the user's segment fallback chain so that
 * the answer is never empty while the catalogue has an available item. No model runs here.
 */
import type { RecommendationCache, SessionEvent, UserState } from '../storage/cache/port';
import type { Policy, ChainStep, ProfileTags } from '../config/policy';
import { assignVariant } from '../experiments/assignment';
import { encodeRecommendationId } from '../contracts/recommendationId';
import { type ChainContext, stepLists } from '../contracts/fallbackChain';
import type { Metrics } from '../observability/metrics';
import type { Placement, RankedItem, Segment } from '../domain/types';
import {
  decodeUserRecommendations,
  type UserFeatureSnapshot,
  type UserProfileSnapshot,
  type UserRecommendations,
} from '../contracts/packedList';
import { NotFoundError, UnavailableError, ValidationError } from '../errors';
import { CacheUnavailableError } from '../storage/cache/resilientCache';
import type { LiveVersion, LoadedVersion } from '../live/liveVersion';
import { blendCandidates, Candidates, CANDIDATES_CAPACITY } from './blend';
import { pageTouches, plainPage, rankPage, type PageSessionEvent, type PageTables, type PageTouch } from '../contracts/pageRanking';
import { rankComplements } from '../contracts/complements';
import { AnswerFilter, AnswerList, type FallbackTrace, type FilterCounts, type ItemProvenance } from './answer';

/** The version's page tables; a version trained before them serves its item-item neighbours instead. */
function pageTables(v: LoadedVersion): PageTables {
  const { meta } = v;
  return {
    pageNeighbours: meta.pageNeighbours ?? meta.similar,
    pageCategoryItems: meta.pageCategoryItems ??
      meta.categoryLists.category_popular ?? { indptr: new Int32Array(1), indices: new Int32Array(0), scores: new Float32Array(0) },
    pagePopular: meta.pagePopular ?? meta.lists.popular ?? [],
    itemCategory: meta.itemCategory,
    ...(meta.similarEmbedding ? { embedding: meta.similarEmbedding } : {}),
  };
}

/** The profile tags experiments may target. */
function profileTags(p: UserProfileSnapshot): ProfileTags {
  return { ...(p.priceBand ? { priceBand: p.priceBand } : {}), dominantEventType: p.dominantEventType };
}

export interface RecommendRequest {
  userId: string;
  limit: number;
  category?: string;
  exclude?: string[];
  /** The item whose page the shopper is on: `product` ranks for it; on `home` its neighbours blend in. */
  context?: string;
  /** Where the list is shown (default `home`). */
  placement?: Placement;
  /** The cart's items (`cart` placement). */
  cart?: string[];
}

export interface Recommendation {
  userId: string;
  segment: Segment;
  modelVersion: string;
  recommendationId: string;
  variant: string;
  placement: Placement;
  degraded: boolean;
  items: RankedItem[];
}

export interface ExplainedRecommendation extends Recommendation {
  known: boolean;
  /** Training-time facts behind the segment (from the version's packed list). */
  features: UserFeatureSnapshot | null;
  /** The shopper's portrait at training time. */
  profile: UserProfileSnapshot | null;
  /** Favourite categories at training time, best first. */
  categories: string[];
  /** Events posted through the API recently (the live session), newest first. */
  session: SessionEvent[];
  /** The fallback chain this answer followed (the variant's when it overrides the default). */
  chain: ChainStep[];
  provenance: ItemProvenance[];
  fallbacks: FallbackTrace[];
  filtered: FilterCounts;
}

export interface SimilarItems {
  itemId: string;
  modelVersion: string;
  items: RankedItem[];
}

/** What every answer starts with: who, which version and variant, and the id feedback refers back to. */
function answerHead(
  userId: string,
  modelVersion: string,
  segment: Segment,
  assignment: ReturnType<typeof assignVariant>,
  placement: Placement,
  degraded: boolean,
) {
  const recommendationId = encodeRecommendationId({
    issuedAt: Date.now(),
    experiment: assignment.experiment,
    variantIndex: assignment.index,
    segment,
    placement,
    userId,
  });
  return { userId, segment, modelVersion, recommendationId, variant: assignment.variant, placement, degraded };
}

export class RecommendationService {
  /** Reused by every storefront answer (see Candidates); traced answers get their own. */
  private readonly scratch = new Candidates(CANDIDATES_CAPACITY);
  private readonly filter: AnswerFilter;

  constructor(
    private readonly cache: RecommendationCache,
    private readonly live: LiveVersion,
    private readonly policy: Policy,
    private readonly metrics?: Metrics,
  ) {
    this.filter = new AnswerFilter(live);
  }

  private loaded(): LoadedVersion {
    const v = this.live.version();
    if (!v) throw new UnavailableError('no model version has been published yet; run `recs train --publish`');
    return v;
  }

  /** The answer a storefront gets: no provenance is built (that is for /debug, through explain()). */
  async recommend(req: RecommendRequest): Promise<Recommendation> {
    const v = this.loaded();
    const placement = req.placement ?? 'home';
    if (placement === 'product' && (req.context === undefined || !v.itemIndex.has(req.context))) {
      throw new ValidationError(
        `invalid query.context: ${req.context === undefined ? 'required with placement=product' : 'unknown item'}`,
        [{ field: 'query.context', message: req.context === undefined ? 'required with placement=product' : 'unknown item' }],
      );
    }
    const state = await this.readState(v, req.userId);
    if (placement !== 'home') return this.composePlacement(v, req, placement, state);
    const e = this.compose(v, req, state, false);
    return {
      userId: e.userId,
      segment: e.segment,
      modelVersion: e.modelVersion,
      recommendationId: e.recommendationId,
      variant: e.variant,
      placement,
      degraded: e.degraded,
      items: e.items,
    };
  }

  /**
   * The product page (the page item's neighbours blended with what this shopper touched, live
   * session first) and the cart (complements of its items, never the cart's items nor items of their
   * categories), each then filled along its own chain.
   */
  private composePlacement(
    v: LoadedVersion,
    req: RecommendRequest,
    placement: 'product' | 'cart',
    state: UserState & { degraded: boolean },
  ): Recommendation {
    const { meta } = v;
    const rec: UserRecommendations | null = state.list ? decodeUserRecommendations(state.list) : null;
    const segment: Segment = rec?.segment ?? 'new';
    if (!state.degraded) this.metrics?.cacheLookup(rec !== null);
    const tags = rec?.profile ? profileTags(rec.profile) : undefined;
    const assignment = assignVariant(this.policy, req.userId, { segment, tags, placement });
    const params = this.policy.placements;
    const categoryFilter = req.category === undefined ? undefined : (v.categoryIndex.get(req.category) ?? -2);
    let excluded = this.excludedItems(v, [...(req.exclude ?? []), ...(req.cart ?? [])]);
    // The product page never lists its own item nor (by policy) what the shopper saw in this visit,
    // also not through the fallback chain.
    let page = -1;
    let touches: PageTouch[] = [];
    if (placement === 'product') {
      page = v.itemIndex.get(req.context!)!;
      const session: PageSessionEvent[] = [];
      for (const e of state.session) {
        const i = v.itemIndex.get(e.itemId);
        if (i !== undefined) session.push({ item: i, type: e.type, ts: e.ts });
      }
      touches = pageTouches(session, rec?.refind ?? [], params.product.touches, Date.now());
      excluded ??= new Set<number>();
      excluded.add(page);
      for (const t of touches) if (t.hidden) excluded.add(t.item);
    }
    let cartCategories: Set<number> | null = null;
    const cart: number[] = [];
    for (const id of req.cart ?? []) {
      const i = v.itemIndex.get(id);
      if (i === undefined) continue;
      cart.push(i);
      if (meta.itemCategory[i] >= 0) (cartCategories ??= new Set()).add(meta.itemCategory[i]);
    }
    const filter = this.filter;
    filter.begin(
      v,
      this.boughtItems(v, rec, state),
      excluded,
      categoryFilter,
      categoryFilter === undefined ? this.policy.rules.maxPerCategory : null,
      cartCategories,
    );
    const answer = new AnswerList(v, filter, req.limit, false);
    if (placement === 'product') {
      for (const e of rankPage(pageTables(v), page, touches, params.product, req.limit, (i) => filter.accept(i))) {
        answer.push(e.item, e.score, e.source);
      }
    } else {
      for (const e of rankComplements(meta.complements, cart, req.limit, (i) => filter.accept(i)))
        answer.push(e.item, e.score, 'complement');
    }
    const chain = params[placement].fallbacks;
    this.takeFallbacks(answer, chain, segment, this.chainContext(v, segment, rec, state.session, categoryFilter));
    return { ...answerHead(req.userId, meta.version, segment, assignment, placement, state.degraded), items: answer.items };
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
    const tags = rec?.profile ? profileTags(rec.profile) : undefined;
    const assignment = assignVariant(this.policy, req.userId, { segment, tags, placement: 'home' });
    const variant = assignment.config;
    const sessionWeight = variant?.sessionWeight ?? this.policy.serving.sessionWeight;
    const newArrivalBoost = variant?.newArrivalBoost ?? this.policy.rules.newArrivalBoost;
    const chain: ChainStep[] = variant?.fallbacks?.[segment] ?? this.policy.fallbacks[segment];

    // An unknown category matches no item: the answer is then rightly empty.
    const categoryFilter = req.category === undefined ? undefined : (v.categoryIndex.get(req.category) ?? -2);
    // Diversity: at most maxPerCategory items of one category (a category filter makes it moot).
    const cap = categoryFilter === undefined ? this.policy.rules.maxPerCategory : null;
    const filter = this.filter;
    filter.begin(v, this.boughtItems(v, rec, state), this.excludedItems(v, req.exclude), categoryFilter, cap);

    const answer = new AnswerList(v, filter, req.limit, trace);
    const out = trace ? new Candidates(rec?.items.length ?? 0) : this.scratch;
    this.takeBlended(answer, blendCandidates(out, v, rec, state.session, sessionWeight, req.context, trace), newArrivalBoost);
    const personalCount = answer.items.length;
    const fallbacks = this.takeFallbacks(answer, chain, segment, this.chainContext(v, segment, rec, state.session, categoryFilter));
    if (answer.items.length > personalCount) this.metrics?.fallbackAnswer(segment);

    return {
      ...answerHead(req.userId, meta.version, segment, assignment, 'home', degraded),
      items: answer.items,
      known: rec !== null,
      features: rec?.features ?? null,
      profile: rec?.profile ?? null,
      categories: trace ? (rec?.categories ?? []).map((c) => meta.categories[c]).filter((c) => c !== undefined) : [],
      session: state.session,
      chain,
      provenance: answer.provenance,
      fallbacks,
      filtered: filter.counts,
    };
  }

  /**
   * The blended candidates, best total first (ties: smaller item index), new arrivals boosted,
   * each named after its strongest part.
   */
  private takeBlended(answer: AnswerList, c: Candidates, newArrivalBoost: number): void {
    const itemNew = answer.filter.version().meta.itemNew;
    const { total } = c;
    for (let p = 0; p < c.size; p++) {
      total[p] = (c.personal[p] + c.session[p] + c.context[p]) * (itemNew?.[c.item[p]] ? 1 + newArrivalBoost : 1);
    }
    const before = (a: number, b: number) => total[b] - total[a] || c.item[a] - c.item[b];
    // The personal list alone comes already in this order: check (linear) before sorting. null: the
    // positions are the order.
    let order: number[] | null = null;
    for (let p = 1; p < c.size && order === null; p++) {
      if (before(p - 1, p) > 0) order = Array.from({ length: c.size }, (_, q) => q).sort(before);
    }
    for (let k = 0; k < c.size && !answer.full; k++) {
      const p = order === null ? k : order[k];
      const i = c.item[p];
      if (!answer.filter.accept(i)) continue;
      const personal = c.personal[p];
      const session = c.session[p];
      const context = c.context[p];
      const source =
        context > personal && context >= session ? 'context' : session > personal ? 'session' : (c.personalSource[p] ?? 'itemcf');
      if (!answer.trace) {
        answer.push(i, total[p], source);
        continue;
      }
      const parts: ItemProvenance['parts'] = {};
      if (personal) parts.personal = personal;
      if (session) parts.session = session;
      if (context) parts.context = context;
      const because = c.because[p];
      answer.push(i, total[p], source, parts, because ? [...because] : undefined);
    }
  }

  /**
   * The segment's fallback chain in order (`popular` is always last), then any available item, so
   * the shelf is never empty while the catalogue is not. Returns what each step served when tracing.
   */
  private takeFallbacks(answer: AnswerList, chain: ChainStep[], segment: Segment, context: ChainContext): FallbackTrace[] {
    const { meta } = answer.filter.version();
    const fallbacks: FallbackTrace[] = [];
    let floor = answer.lastScore();
    for (const { step, max } of chain) {
      if (answer.full) break;
      const { source, lists } = stepLists(meta, step, context);
      let served = 0;
      for (const list of lists) {
        for (let r = 0; r < list.length && !answer.full && (max === null || served < max); r++) {
          const i = list[r];
          if (!answer.filter.accept(i)) continue;
          floor *= 0.98;
          answer.push(i, floor, source, answer.trace ? { fallbackRank: r } : undefined);
          served++;
        }
      }
      if (answer.trace) fallbacks.push({ step, max, served });
      if (served) this.metrics?.fallbackServed(segment, step, served);
    }
    if (!answer.full) {
      let served = 0;
      for (let i = 0; i < meta.itemIds.length && !answer.full; i++) {
        if (!answer.filter.accept(i)) continue;
        floor *= 0.98;
        answer.push(i, floor, 'popular', answer.trace ? {} : undefined);
        served++;
      }
      if (answer.trace) fallbacks.push({ step: 'catalogue', max: null, served });
      if (served) this.metrics?.fallbackServed(segment, 'catalogue', served);
    }
    return fallbacks;
  }

  /** The caller's exclusions as item indices; null when none. */
  private excludedItems(v: LoadedVersion, exclude: string[] | undefined): Set<number> | null {
    let excluded: Set<number> | null = null;
    for (const id of exclude ?? []) {
      const i = v.itemIndex.get(id);
      if (i !== undefined) (excluded ??= new Set()).add(i);
    }
    return excluded;
  }

  /**
   * What the chain's steps draw on for this shopper: their categories (favourites at training time,
   * then those of the live session; the category filter instead when there is one) and what they
   * touched without buying (the session's items first).
   */
  private chainContext(
    v: LoadedVersion,
    segment: Segment,
    rec: UserRecommendations | null,
    session: SessionEvent[],
    categoryFilter: number | undefined,
  ): ChainContext {
    return {
      segment,
      categoryFilter,
      categories: () => {
        if (categoryFilter !== undefined) return [categoryFilter];
        const cats = [...(rec?.categories ?? [])];
        for (const e of session) {
          const i = v.itemIndex.get(e.itemId);
          const c = i === undefined ? -1 : v.meta.itemCategory[i];
          if (c >= 0 && !cats.includes(c)) cats.push(c);
        }
        return cats;
      },
      refind: () => {
        const touched: number[] = [];
        for (const e of session) {
          const i = v.itemIndex.get(e.itemId);
          if (e.type !== 'purchase' && i !== undefined) touched.push(i);
        }
        return [touched, rec?.refind ?? []];
      },
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

  /** The non-personal product page: the item's page neighbours, embedding neighbours, its category, popular. */
  similar(itemId: string, limit: number): SimilarItems {
    const v = this.loaded();
    const { meta } = v;
    const i = v.itemIndex.get(itemId);
    if (i === undefined) throw new NotFoundError('item', itemId);
    const list = rankPage(pageTables(v), i, [], plainPage(this.policy.placements.product), limit, (j) => this.live.isAvailable(v, j));
    const items = list.map((e) => ({ itemId: meta.itemIds[e.item], score: Math.round(e.score * 1e6) / 1e6, source: e.source }));
    return { itemId, modelVersion: meta.version, items };
  }
}
