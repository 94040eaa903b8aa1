/**
 * The product page's list, shared by the service (`/v1/items/:id/similar`, `placement=product`)
 * and the trainer's `next-item` evaluation, so the offline figures describe what is served. The
 * page item's neighbours blend with what this shopper touched (see PageBlend); the list continues with the page item's category and
 * then every item, by popularity.
 */
import type { Csr } from './versionMeta';

export interface PageTables {
  /** Per item, its page neighbours, best first (training/models/pageNeighbours.ts). */
  pageNeighbours: Csr;
  /** Per category, its items by popularity, best first. */
  pageCategoryItems: Csr;
  /** Items by popularity, best first. */
  pagePopular: ArrayLike<number>;
  itemCategory: ArrayLike<number>;
  /** Neighbours in the embedding space, when the version has them: they follow the page neighbours. */
  embedding?: Csr;
}

/** A shopper's own signal for one item (already weighted by kind and recency). */
export interface PageTouch {
  item: number;
  weight: number;
  /** Looked at in the current visit, and the policy keeps such items off the page. */
  hidden?: boolean;
}

export interface PageEntry {
  item: number;
  score: number;
  source: 'coview' | 'refind' | 'embedding' | 'category_popular' | 'popular';
}

/** How the shopper's touches enter the page list. */
export interface PageBlend {
  /** Weight of a touch (a live-session view one step back weighs 1) against the page neighbours' scores. */
  touchWeight: number;
  /** Added to a touched item in the page item's category that the page row does not hold (the row's scores already count it). */
  touchCategory: number;
  /** Weight of the page item's embedding neighbours' cosine, added to their scores (0: they only follow the row). */
  embeddingWeight: number;
}

/** The plain page: no shopper. */
export const NO_TOUCHES: PageBlend = { touchWeight: 0, touchCategory: 0, embeddingWeight: 0 };

/** The non-personal page (/similar) under a placement's settings: its embedding weight, no touches. */
export function plainPage(blend: PageBlend): PageBlend {
  return { touchWeight: 0, touchCategory: 0, embeddingWeight: blend.embeddingWeight };
}

/**
 * The first `limit` items of `page`'s list that `accept` lets through (never the page item): the
 * page row's scores plus the shopper's touches, then the category and popularity continuation. Ties
 * go to the smaller item index.
 */
export function rankPage(
  tables: PageTables,
  page: number,
  touches: readonly PageTouch[],
  blend: PageBlend,
  limit: number,
  accept: (item: number) => boolean,
): PageEntry[] {
  const scores = new Map<number, { page: number; touch: number }>();
  const { indptr, indices, scores: rowScores } = tables.pageNeighbours;
  const a = page >= 0 && page + 1 < indptr.length ? indptr[page] : 0;
  const b = page >= 0 && page + 1 < indptr.length ? indptr[page + 1] : 0;
  for (let q = a; q < b; q++) scores.set(indices[q], { page: rowScores[q], touch: 0 });
  const pageCategory = page >= 0 ? tables.itemCategory[page] : -1;
  const emb = tables.embedding;
  const hasEmbeddingRow = emb !== undefined && page >= 0 && page + 1 < emb.indptr.length;
  if (hasEmbeddingRow && blend.embeddingWeight > 0) {
    for (let q = emb.indptr[page]; q < emb.indptr[page + 1]; q++) {
      const item = emb.indices[q];
      const s = scores.get(item);
      const add = blend.embeddingWeight * emb.scores[q];
      if (s) s.page += add;
      else scores.set(item, { page: add, touch: 0 });
    }
  }
  if (blend.touchWeight > 0) {
    for (const t of touches) {
      if (t.weight <= 0) continue;
      let s = scores.get(t.item);
      if (!s) {
        const sameCategory = pageCategory >= 0 && tables.itemCategory[t.item] === pageCategory;
        scores.set(t.item, (s = { page: sameCategory ? blend.touchCategory : 0, touch: 0 }));
      }
      s.touch = Math.max(s.touch, blend.touchWeight * t.weight);
    }
  }
  const taken = new Set<number>([page]);
  for (const t of touches) if (t.hidden) taken.add(t.item);
  const ranked = [...scores.entries()]
    .filter(([item]) => !taken.has(item))
    .map(([item, s]) => ({ item, score: s.page + s.touch, source: s.touch > s.page ? ('refind' as const) : ('coview' as const) }))
    .sort((x, y) => y.score - x.score || x.item - y.item);
  const out: PageEntry[] = [];
  for (const e of ranked) {
    if (out.length >= limit) return out;
    if (!accept(e.item)) continue;
    taken.add(e.item);
    out.push(e);
  }
  // The page item's category, then everything, by popularity; scores keep falling below the last.
  let floor = out.length ? Math.min(out[out.length - 1].score, 1) : 1;
  const take = (list: ArrayLike<number>, from: number, to: number, source: PageEntry['source']) => {
    for (let q = from; q < to && out.length < limit; q++) {
      const item = list[q];
      if (taken.has(item) || !accept(item)) continue;
      taken.add(item);
      floor *= 0.98;
      out.push({ item, score: floor, source });
    }
  };
  if (hasEmbeddingRow) take(emb.indices, emb.indptr[page], emb.indptr[page + 1], 'embedding');
  const c = pageCategory;
  const cats = tables.pageCategoryItems;
  if (c >= 0 && c + 1 < cats.indptr.length) take(cats.indices, cats.indptr[c], cats.indptr[c + 1], 'category_popular');
  take(tables.pagePopular, 0, tables.pagePopular.length, 'popular');
  return out;
}

/** How a shopper's own items weigh on a page: the live session's events and the stored re-find list. */
export interface TouchParams {
  /** Per event type of the live session (a purchase says nothing about what to look at next). */
  sessionTypeWeight: Readonly<Record<'view' | 'fav' | 'cart' | 'purchase', number>>;
  /** Decay per step back among the session's distinct items (newest first). */
  sessionDecay: number;
  /** Weight of the stored re-find list's first item against a session view. */
  refindWeight: number;
  /** Decay per step back in the stored re-find list (newest first). */
  refindDecay: number;
  /** Events closer than this to the next one belong to the same visit. */
  visitGapSeconds: number;
  /** Weight of an item already looked at in the current visit (the page offers what the shopper has not seen yet). */
  currentVisitWeight: number;
  /** Keep the current visit's items off the page altogether (not only their touch). */
  hideCurrentVisit: boolean;
}

export interface PageSessionEvent {
  item: number;
  type: 'view' | 'fav' | 'cart' | 'purchase';
  /** Epoch ms. */
  ts: number;
}

/**
 * The shopper's touches for a page: the live session's distinct items (newest first) and the
 * training-time re-find list (touched, not bought; newest first); an item counts at its strongest,
 * and items of the current visit (the run of events up to `now` with no gap over visitGapSeconds)
 * count `currentVisitWeight` times.
 */
export function pageTouches(session: readonly PageSessionEvent[], refind: readonly number[], p: TouchParams, now: number): PageTouch[] {
  const best = new Map<number, number>();
  const put = (item: number, w: number) => {
    if (w > 0 && w > (best.get(item) ?? 0)) best.set(item, w);
  };
  const current = new Set<number>();
  const gap = p.visitGapSeconds * 1000;
  let last = now;
  for (const e of session) {
    if (last - e.ts > gap) break;
    current.add(e.item);
    last = e.ts;
  }
  const seen = new Set<number>();
  let step = 0;
  for (const e of session) {
    if (!seen.has(e.item)) {
      seen.add(e.item);
      step++;
    }
    put(e.item, p.sessionTypeWeight[e.type] * Math.pow(p.sessionDecay, step - 1));
  }
  refind.forEach((item, k) => put(item, p.refindWeight * Math.pow(p.refindDecay, k)));
  for (const item of current) if (!best.has(item)) best.set(item, 0);
  return [...best.entries()].map(([item, weight]) =>
    current.has(item) ? { item, weight: weight * p.currentVisitWeight, hidden: p.hideCurrentVisit } : { item, weight },
  );
}
