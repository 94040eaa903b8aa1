/**
 * The `next-item` entries, ranked by the service's own code (src/contracts/pageRanking.ts) on
 * models fitted on the protocol's training part: `similar` (what /v1/items/X/similar serves) and
 * `published` (what `placement=product&context=X` serves the case's shopper: their stored re-find
 * list from training, and the test-period events before the target as the live session).
 */
import type { Policy } from '../../src/config/policy';
import { pageTouches, plainPage, rankPage, type PageEntry, type PageTables } from '../../src/contracts/pageRanking';
import { fitPageModel } from '../models/pageNeighbours';
import { embeddingFits, embeddingNeighbours, fitEmbeddingFor } from '../models/embedding/forDataset';
import { fitModel } from '../ranking/fit';
import { Ranker } from '../ranking/ranker';
import { userRecommendations } from '../ranking/userLists';
import { nextItemMetrics, type NextItemMetrics, type NextItemSplit } from './nextItem';

/** Page items by their training events: none, 1-4, 5 and more. */
export const POPULARITY_BUCKETS = [
  { name: 'no events', from: 0, to: 0 },
  { name: '1-4 events', from: 1, to: 4 },
  { name: '5+ events', from: 5, to: Infinity },
] as const;

export interface NextItemResult extends NextItemMetrics {
  model: 'similar' | 'published';
  /** HR@10 and cases per page-item popularity bucket. */
  byPagePopularity: Record<string, { cases: number; hr10: number }>;
  /** Share of items with a training event that get 10 model neighbours before the popularity fill (`similar`). */
  coverage?: number;
  fitSeconds: number;
  recommendSeconds: number;
  /** Per case, its 1-based rank within the top 20 (0: outside), in the split's case order. */
  ranks: Int32Array;
}

/** 1-based rank of `target` among the top 20: the list, then every other item by index (their score is 0). */
export function rankOf(list: PageEntry[], page: number, target: number, nItems: number): number {
  const at = list.findIndex((e) => e.item === target);
  if (at >= 0) return at < 20 ? at + 1 : 0;
  const inList = new Set(list.map((e) => e.item));
  let rank = list.length;
  for (let i = 0; i < nItems && rank < 20; i++) {
    if (i === page || inList.has(i)) continue;
    rank++;
    if (i === target) return rank;
  }
  return 0;
}

/** The models of one split, fitted once; `rankNextItem` ranks its cases under any placement settings. */
export interface NextItemContext {
  split: NextItemSplit;
  tables: PageTables;
  /** Training events per item. */
  events: Int32Array;
  /** The case's shopper's stored list, as the trainer publishes it (re-find list, bought items). */
  stored: (user: number) => { refind: number[]; bought: number[] } | null;
  fitSeconds: number;
}

export async function prepareNextItem(split: NextItemSplit, policy: Policy): Promise<NextItemContext> {
  const ds = split.train;
  const t0 = process.hrtime.bigint();
  const fitted = fitModel(ds, policy);
  const page = fitPageModel(ds, policy.placements.product.page, fitted.similar);
  // The version's embedding neighbours, as the trainer publishes them (when the policy has an embedding).
  const embedding = embeddingFits(ds, policy)
    ? await embeddingNeighbours(await fitEmbeddingFor(ds, policy), ds, policy.training.neighbours)
    : undefined;
  const tables: PageTables = {
    pageNeighbours: page.neighbours,
    pageCategoryItems: page.categoryItems,
    pagePopular: page.popular,
    itemCategory: ds.itemCategory,
    ...(embedding ? { embedding } : {}),
  };
  const fitSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const events = new Int32Array(ds.nItems);
  for (let k = 0; k < ds.nEvents; k++) events[ds.evItem[k]]++;
  const ranker = new Ranker(fitted.model);
  const cache = new Map<number, { refind: number[]; bought: number[] }>();
  const stored = (u: number) => {
    if (u < 0) return null;
    let rec = cache.get(u);
    if (!rec) {
      const r = userRecommendations(ds, ranker, fitted.model.favourites, fitted.segments.codes, u, 1, 'bought', fitted.segments.features);
      rec = { refind: [...r.refind], bought: [...r.bought] };
      cache.set(u, rec);
    }
    return rec;
  };
  return { split, tables, events, stored, fitSeconds };
}

/** Ranks every case; `embeddings: false` leaves the embedding neighbours out of the page lists (for comparison). */
export function rankNextItem(ctx: NextItemContext, policy: Policy, opts: { embeddings?: boolean } = {}): NextItemResult[] {
  const { split, events, fitSeconds } = ctx;
  const { embedding: _embedding, ...plainTables } = ctx.tables;
  const tables: PageTables = opts.embeddings === false ? plainTables : ctx.tables;
  const plain = plainPage(policy.placements.product);
  const ds = split.train;
  const bucketsOf = (ranks: Int32Array): NextItemResult['byPagePopularity'] => {
    const out: NextItemResult['byPagePopularity'] = {};
    for (const b of POPULARITY_BUCKETS) {
      let cases = 0;
      let hits = 0;
      split.cases.forEach((c, x) => {
        if (events[c.page] < b.from || events[c.page] > b.to) return;
        cases++;
        if (ranks[x] >= 1 && ranks[x] <= 10) hits++;
      });
      out[b.name] = { cases, hr10: cases ? hits / cases : 0 };
    }
    return out;
  };

  // `similar`: the page list, no shopper.
  let t1 = process.hrtime.bigint();
  const similarRanks = new Int32Array(split.cases.length);
  split.cases.forEach((c, x) => {
    similarRanks[x] = rankOf(
      rankPage(tables, c.page, [], plain, 20, () => true),
      c.page,
      c.target,
      ds.nItems,
    );
  });
  let covered = 0;
  let withEvents = 0;
  for (let i = 0; i < ds.nItems; i++) {
    if (!events[i]) continue;
    withEvents++;
    const list = rankPage(tables, i, [], plain, 10, () => true);
    if (list.length >= 10 && list[9].source !== 'popular') covered++;
  }
  const similar: NextItemResult = {
    model: 'similar',
    ...nextItemMetrics(split.cases, similarRanks),
    byPagePopularity: bucketsOf(similarRanks),
    coverage: withEvents ? covered / withEvents : 0,
    fitSeconds,
    recommendSeconds: Number(process.hrtime.bigint() - t1) / 1e9,
    ranks: similarRanks,
  };

  // `published`: the product placement for the case's shopper.
  t1 = process.hrtime.bigint();
  const product = policy.placements.product;
  const maxSession = policy.serving.sessionMaxEvents;
  const publishedRanks = new Int32Array(split.cases.length);
  split.cases.forEach((c, x) => {
    const rec = ctx.stored(c.user);
    const session = c.recent
      .slice(-maxSession)
      .reverse()
      .flatMap((e) => {
        const item = ds.itemIndex.get(e.itemId);
        return item === undefined ? [] : [{ item, type: e.type, ts: e.ts }];
      });
    const bought = new Set<number>(rec?.bought ?? []);
    for (const e of session) if (e.type === 'purchase') bought.add(e.item);
    const now = c.recent.length ? c.recent[c.recent.length - 1].ts : 0;
    const touches = pageTouches(session, rec?.refind ?? [], product.touches, now);
    const list = rankPage(tables, c.page, touches, product, 20, (i) => !bought.has(i));
    publishedRanks[x] = rankOf(list, c.page, c.target, ds.nItems);
  });
  const published: NextItemResult = {
    model: 'published',
    ...nextItemMetrics(split.cases, publishedRanks),
    byPagePopularity: bucketsOf(publishedRanks),
    fitSeconds,
    recommendSeconds: Number(process.hrtime.bigint() - t1) / 1e9,
    ranks: publishedRanks,
  };
  return [similar, published];
}
