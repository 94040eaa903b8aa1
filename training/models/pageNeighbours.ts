/**
 * The product page's neighbours: for each item X, the items a shopper on X's page is likely to
 * look at next. Candidates are X's session co-views, its sequential-rule successors (items looked
 * at after X in a session, closer ones weighing more), its item-item neighbours and the most popular
 * items of X's category; each scores
 *   coview * wCoview + sr * wSr + itemcf * wItemcf + [same category] * wCategory + pop * wPopularity
 * with pop the item's share of the best item's training events (recent ones when
 * popularityDays > 0). Rows keep the best `k`; the page's list continues with X's category and then
 * everything, by the same popularity (contracts/pageRanking.ts).
 */
import type { Csr } from '../../src/contracts/versionMeta';
import { DEFAULT_POLICY, type Policy } from '../../src/config/policy';
import { type Dataset, DAY_MS } from '../data/dataset';
import { TopK } from '../data/topk';
import { DEFAULT_COVIEW, forEachSession, sessionCoviews } from './coview';

export type PageParams = Policy['placements']['product']['page'];

/** The samecat peer's order (co-views, then the category, then popularity): the policy's default. */
export const DEFAULT_PAGE: PageParams = DEFAULT_POLICY.placements.product.page;

export interface PageModel {
  /** Neighbour rows, best first. */
  neighbours: Csr;
  /** Per-category items by page popularity, best first (the list's category continuation). */
  categoryItems: Csr;
  /** Every item with page popularity > 0, best first (the list's last continuation). */
  popular: Int32Array;
}

/**
 * Training events per item (the last `days` days only when > 0, each weighing 0.5^(age / half-life)
 * when halfLifeHours > 0), as a share of the best item's.
 */
export function pagePopularity(ds: Dataset, days: number, halfLifeHours = 0): Float64Array {
  const pop = new Float64Array(ds.nItems);
  const since = days > 0 ? ds.now - days * DAY_MS : -Infinity;
  const hl = halfLifeHours * 3600 * 1000;
  for (let k = 0; k < ds.nEvents; k++) {
    if (ds.evTs[k] >= since) pop[ds.evItem[k]] += hl > 0 ? Math.pow(0.5, (ds.now - ds.evTs[k]) / hl) : 1;
  }
  let max = 0;
  for (let i = 0; i < ds.nItems; i++) if (pop[i] > max) max = pop[i];
  if (max > 0) for (let i = 0; i < ds.nItems; i++) pop[i] /= max;
  return pop;
}

/** Sequential rules: in each session's distinct-item sequence, a at p and b at q > p add 1/(q - p) to sr(a -> b). */
export function sequentialRules(ds: Dataset, gapMs = DEFAULT_COVIEW.gapMs, maxItems = DEFAULT_COVIEW.maxSessionItems): Map<number, Map<number, number>> {
  const rules = new Map<number, Map<number, number>>();
  forEachSession(ds, { gapMs, maxSessionItems: maxItems }, (seq) => {
    for (let p = 0; p < seq.length; p++) {
      let row = rules.get(seq[p]);
      if (!row) rules.set(seq[p], (row = new Map()));
      for (let q = p + 1; q < seq.length; q++) row.set(seq[q], (row.get(seq[q]) ?? 0) + 1 / (q - p));
    }
  });
  return rules;
}

/**
 * Every item of each category by `score`, best first (ties: id order), those without a training
 * event too: a shopper's next item is often one nobody touched yet, and its category narrows it down.
 */
function byCategory(ds: Dataset, score: Float64Array): Csr {
  const nCat = ds.categories.length;
  const lists: number[][] = Array.from({ length: nCat }, () => []);
  for (let i = 0; i < ds.nItems; i++) if (ds.itemCategory[i] >= 0) lists[ds.itemCategory[i]].push(i);
  const indptr = new Int32Array(nCat + 1);
  const indices: number[] = [];
  const scores: number[] = [];
  lists.forEach((list, c) => {
    list.sort((a, b) => score[b] - score[a] || ds.itemOrder[a] - ds.itemOrder[b]);
    for (const i of list) {
      indices.push(i);
      scores.push(score[i]);
    }
    indptr[c + 1] = indices.length;
  });
  return { indptr, indices: Int32Array.from(indices), scores: Float32Array.from(scores) };
}

export function fitPageModel(ds: Dataset, params: PageParams, itemcf?: Csr): PageModel {
  const pop = pagePopularity(ds, params.popularityDays, params.popularityHalfLifeHours);
  if (params.popularityAllTime > 0 && params.popularityDays > 0) {
    const all = pagePopularity(ds, 0);
    for (let i = 0; i < ds.nItems; i++) pop[i] += params.popularityAllTime * all[i];
  }
  const coview = sessionCoviews(ds);
  const rules = params.sr > 0 ? sequentialRules(ds) : null;
  const categoryItems = byCategory(ds, pop);
  const popular = Array.from({ length: ds.nItems }, (_, i) => i)
    .filter((i) => pop[i] > 0)
    .sort((a, b) => pop[b] - pop[a] || ds.itemOrder[a] - ds.itemOrder[b]);

  const acc = new Float64Array(ds.nItems);
  const mark = new Int32Array(ds.nItems).fill(-1);
  const cand: number[] = [];
  const indptr = new Int32Array(ds.nItems + 1);
  const indices: number[] = [];
  const scores: number[] = [];
  const add = (x: number, j: number, s: number) => {
    if (j === x) return;
    if (mark[j] !== x) {
      mark[j] = x;
      acc[j] = 0;
      cand.push(j);
    }
    acc[j] += s;
  };
  const top = new TopK(params.k, ds.itemOrder); // drain() empties it for the next row
  for (let x = 0; x < ds.nItems; x++) {
    cand.length = 0;
    for (let q = coview.indptr[x]; q < coview.indptr[x + 1]; q++) add(x, coview.indices[q], params.coview * coview.scores[q]);
    if (rules) for (const [j, s] of rules.get(x) ?? []) add(x, j, params.sr * s);
    if (itemcf && params.itemcf > 0) for (let q = itemcf.indptr[x]; q < itemcf.indptr[x + 1]; q++) add(x, itemcf.indices[q], params.itemcf * itemcf.scores[q]);
    const c = ds.itemCategory[x];
    if (c >= 0 && params.category > 0) {
      const to = Math.min(categoryItems.indptr[c + 1], categoryItems.indptr[c] + params.categoryCandidates);
      for (let q = categoryItems.indptr[c]; q < to; q++) add(x, categoryItems.indices[q], 0);
    }
    for (const j of cand) {
      const score = acc[j] + (c >= 0 && ds.itemCategory[j] === c ? params.category : 0) + params.popularity * pop[j];
      if (score > 0) top.push(j, score);
    }
    const { ids, scores: s } = top.drain();
    for (let r = 0; r < ids.length; r++) {
      indices.push(ids[r]);
      scores.push(s[r]);
    }
    indptr[x + 1] = indices.length;
  }
  return {
    neighbours: { indptr, indices: Int32Array.from(indices), scores: Float32Array.from(scores) },
    categoryItems,
    popular: Int32Array.from(popular),
  };
}
