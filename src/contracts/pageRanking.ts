/**
 * The product page's list, shared by the service (`/v1/items/:id/similar`, `placement=product`)
 * and the trainer's `next-item` evaluation, so the offline figures describe what is served. The
 * page item's neighbours (normalised by its best) blend with what this shopper touched (normalised
 * by their strongest, times `touchWeight`); the list continues with the page item's category and
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
}

export interface PageEntry {
  item: number;
  score: number;
  source: 'coview' | 'refind' | 'embedding' | 'category_popular' | 'popular';
}

/**
 * The first `limit` items of `page`'s list that `accept` lets through (never the page item). Ties go
 * to the smaller item index.
 */
export function rankPage(
  tables: PageTables,
  page: number,
  touches: readonly PageTouch[],
  touchWeight: number,
  limit: number,
  accept: (item: number) => boolean,
): PageEntry[] {
  const scores = new Map<number, { page: number; touch: number }>();
  const { indptr, indices, scores: rowScores } = tables.pageNeighbours;
  const a = page >= 0 && page + 1 < indptr.length ? indptr[page] : 0;
  const b = page >= 0 && page + 1 < indptr.length ? indptr[page + 1] : 0;
  const rowMax = b > a ? rowScores[a] || 1 : 1;
  for (let q = a; q < b; q++) scores.set(indices[q], { page: rowScores[q] / rowMax, touch: 0 });
  let touchMax = 0;
  for (const t of touches) if (t.weight > touchMax) touchMax = t.weight;
  if (touchMax > 0 && touchWeight > 0) {
    for (const t of touches) {
      const s = scores.get(t.item) ?? { page: 0, touch: 0 };
      s.touch = Math.max(s.touch, (touchWeight * t.weight) / touchMax);
      scores.set(t.item, s);
    }
  }
  const ranked = [...scores.entries()]
    .filter(([item]) => item !== page)
    .map(([item, s]) => ({ item, score: s.page + s.touch, source: s.touch > s.page ? ('refind' as const) : ('coview' as const) }))
    .sort((x, y) => y.score - x.score || x.item - y.item);
  const out: PageEntry[] = [];
  const taken = new Set<number>([page]);
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
  const emb = tables.embedding;
  if (emb && page >= 0 && page + 1 < emb.indptr.length) take(emb.indices, emb.indptr[page], emb.indptr[page + 1], 'embedding');
  const c = page >= 0 ? tables.itemCategory[page] : -1;
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
}

/**
 * The shopper's touches for a page: the live session's distinct items (newest first) and the
 * training-time re-find list (touched, not bought; newest first); an item counts at its strongest.
 */
export function pageTouches(
  session: ReadonlyArray<{ item: number; type: 'view' | 'fav' | 'cart' | 'purchase' }>,
  refind: readonly number[],
  p: TouchParams,
): PageTouch[] {
  const best = new Map<number, number>();
  const put = (item: number, w: number) => {
    if (w > 0 && w > (best.get(item) ?? 0)) best.set(item, w);
  };
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
  return [...best.entries()].map(([item, weight]) => ({ item, weight }));
}
