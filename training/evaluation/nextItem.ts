/**
 * The `next-item` protocol (shared/protocol_next_item.md): the shopper is on item X's page and the
 * target is the next new item they touch in the same visit. Events in protocol order (timestamp,
 * then file order); the first 80% by position train, the rest is the test period; sessions split
 * at gaps over 30 minutes inside each part; each consecutive pair of distinct items of a test
 * session is a case. Part B gives the ranker the shopper's history before the target.
 */
import { mean, perCase } from './statistics';
import type { StoreEvent } from '../../src/domain/types';
import { compareIds, type Dataset, DatasetBuilder } from '../data/dataset';

/** Sessions split at gaps over this (strictly greater), in ms. */
export const SESSION_GAP_MS = 1800 * 1000;

export interface NextItemCase {
  /** User index in the training dataset; -1 when the shopper has no training event. */
  user: number;
  /** The shopper's id (for the clustered error and Part B). */
  userId: string;
  /** Page item X and target Y, as item indices of the training dataset (its catalogue holds every item). */
  page: number;
  target: number;
  /** Test-period events of the shopper before Y's first touch in this session, oldest first (Part B). */
  recent: StoreEvent[];
}

export interface NextItemSplit {
  train: Dataset;
  cases: NextItemCase[];
  /** Timestamp of the first test event. */
  cutTs: number;
  diagnostics: {
    events: number;
    trainingEvents: number;
    testEvents: number;
    testSessionsWithTwoItems: number;
    users: number;
    usersWithCases: number;
  };
}

/** Events in protocol order: timestamp, then file order (a stable sort of the file's events). */
function protocolOrder(events: readonly StoreEvent[]): StoreEvent[] {
  return events
    .map((e, row) => ({ e, row }))
    .sort((a, b) => a.e.ts - b.e.ts || a.row - b.row)
    .map(({ e }) => e);
}

/** Splits one shopper's events (protocol order) into sessions at gaps over SESSION_GAP_MS. */
function sessions(events: readonly StoreEvent[]): StoreEvent[][] {
  const out: StoreEvent[][] = [];
  let current: StoreEvent[] = [];
  for (const e of events) {
    if (current.length && e.ts - current[current.length - 1].ts > SESSION_GAP_MS) {
      out.push(current);
      current = [];
    }
    current.push(e);
  }
  if (current.length) out.push(current);
  return out;
}

export function splitNextItem(allEvents: readonly StoreEvent[], items: Map<string, string | null>): NextItemSplit {
  const ordered = protocolOrder(allEvents);
  const n = ordered.length;
  const cut = Math.floor((n * 8) / 10);
  const training = ordered.slice(0, cut);
  const test = ordered.slice(cut);

  // The catalogue is every item of the (filtered) file, indexed in numeric id order (compareIds).
  const ids = new Set<string>();
  for (const e of ordered) ids.add(e.itemId);
  const b = new DatasetBuilder();
  b.addItems(
    [...ids]
      .sort(compareIds)
      .map((itemId) => ({ itemId, category: items.get(itemId) ?? null, available: true, price: null, createdAt: null })),
  );
  b.add(training);
  const train = b.build();

  const testByUser = new Map<string, StoreEvent[]>();
  for (const e of test) {
    const list = testByUser.get(e.userId) ?? [];
    list.push(e);
    testByUser.set(e.userId, list);
  }
  const cases: NextItemCase[] = [];
  let withTwo = 0;
  const userIds = [...new Set(ordered.map((e) => e.userId))].sort(compareIds);
  for (const userId of userIds) {
    const events = testByUser.get(userId);
    if (!events) continue;
    const user = train.userIndex.get(userId) ?? -1;
    let before = 0; // the shopper's test events before the current session
    for (const session of sessions(events)) {
      // Distinct items by first occurrence, with the position of that first occurrence.
      const firstAt = new Map<string, number>();
      session.forEach((e, p) => {
        if (!firstAt.has(e.itemId)) firstAt.set(e.itemId, p);
      });
      const distinct = [...firstAt.keys()];
      if (distinct.length >= 2) withTwo++;
      for (let j = 0; j + 1 < distinct.length; j++) {
        const y = distinct[j + 1];
        cases.push({
          user,
          userId,
          page: train.itemIndex.get(distinct[j])!,
          target: train.itemIndex.get(y)!,
          recent: events.slice(0, before + firstAt.get(y)!),
        });
      }
      before += session.length;
    }
  }
  return {
    train,
    cases,
    cutTs: test.length ? test[0].ts : Infinity,
    diagnostics: {
      events: n,
      trainingEvents: training.length,
      testEvents: test.length,
      testSessionsWithTwoItems: withTwo,
      users: userIds.length,
      usersWithCases: new Set(cases.map((c) => c.userId)).size,
    },
  };
}

export interface NextItemMetrics {
  cases: number;
  hr10: number;
  ndcg10: number;
  mrr20: number;
  /** Standard errors over cases (ddof 1). */
  se: { hr10: number; ndcg10: number };
  /** User-clustered standard error of HR@10 (cases of one shopper are correlated). */
  clusteredSe: { hr10: number };
  /** HR@10 averaged within each shopper, then across shoppers. */
  userHr10: number;
}

function standardError(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return 0;
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - m) ** 2;
  return Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
}

/** The protocol's metrics from each case's rank (same order as `cases`). */
export function nextItemMetrics(cases: readonly NextItemCase[], ranks: ArrayLike<number>): NextItemMetrics {
  const hr = perCase(ranks, 'hr10');
  const ndcg = perCase(ranks, 'ndcg10');
  const mrr = Float64Array.from(ranks, (r) => (r >= 1 && r <= 20 ? 1 / r : 0));
  const byUser = new Map<string, number[]>();
  cases.forEach((c, x) => {
    const list = byUser.get(c.userId) ?? [];
    list.push(x);
    byUser.set(c.userId, list);
  });
  // Clustered (by shopper) standard error of a mean: sqrt(G/(G-1) * sum_g (sum_i (x_i - m))^2) / n.
  const m = mean(hr);
  let clustered = 0;
  for (const xs of byUser.values()) {
    let s = 0;
    for (const x of xs) s += hr[x] - m;
    clustered += s * s;
  }
  const g = byUser.size;
  const n = cases.length;
  return {
    cases: n,
    hr10: m,
    ndcg10: mean(ndcg),
    mrr20: mean(mrr),
    se: { hr10: standardError(hr), ndcg10: standardError(ndcg) },
    clusteredSe: { hr10: g > 1 && n ? Math.sqrt((g / (g - 1)) * clustered) / n : 0 },
    userHr10: mean([...byUser.values()].map((xs) => mean(xs.map((x) => hr[x])))),
  };
}
