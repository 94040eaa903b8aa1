/**
 * Evaluation splits: SPEC's protocols on a file's events (`loo`, `purchase`) and the holdout the
 * nightly job carves from its training data. Each is training data plus test cases.
 */
import type { Policy } from '../../src/config/policy';
import type { StoreEvent } from '../../src/domain/types';
import { mulberry32 } from '../../src/util/prng';
import { compareIds, type Dataset, DatasetBuilder, filterDataset } from '../data/dataset';
import type { ExcludeMode } from '../ranking/ranker';
import { excludeModeOf, servedExclusion } from './protocol';

/** Taobao UserBehavior's stated window: 2017-11-25 00:00 to 2017-12-03 23:59:59, UTC+8 (epoch ms). */
export const TAOBAO_WINDOW = { from: Date.UTC(2017, 10, 24, 16, 0, 0), to: Date.UTC(2017, 11, 3, 15, 59, 59, 999) };

/** One evaluation case: the user's index in the training dataset and the held-out item index. */
export interface TestCase {
  user: number;
  item: number;
}

/** Training data, the cases scored on it, and what their lists skip. */
export interface Split {
  train: Dataset;
  cases: TestCase[];
  exclude: ExcludeMode;
}

/** Catalogue facts for evaluation: every listed item is available, with its category. */
function addCatalogue(b: DatasetBuilder, items: Map<string, string | null>, events: StoreEvent[]): void {
  const ids = new Set<string>(items.keys());
  for (const e of events) ids.add(e.itemId);
  const sorted = [...ids].sort(compareIds); // item indices in id order: deterministic and cheap ties
  b.addItems(sorted.map((itemId) => ({ itemId, category: items.get(itemId) ?? null, available: true, price: null, createdAt: null })));
}

/** `loo`: repeats collapse keeping the latest ts; each user's last (ts, item id) is the test item. */
export function splitLoo(events: StoreEvent[], items: Map<string, string | null>): Split {
  const latest = new Map<string, Map<string, number>>();
  for (const e of events) {
    let m = latest.get(e.userId);
    if (!m) latest.set(e.userId, (m = new Map()));
    const t = m.get(e.itemId);
    if (t === undefined || e.ts > t) m.set(e.itemId, e.ts);
  }
  const b = new DatasetBuilder();
  addCatalogue(b, items, events);
  const tests: Array<[string, string]> = [];
  const users = [...latest.keys()].sort(compareIds);
  for (const userId of users) {
    const m = latest.get(userId)!;
    const rows = [...m.entries()].sort((x, y) => x[1] - y[1] || compareIds(x[0], y[0]));
    if (rows.length < 2) continue; // no training interaction: not evaluated
    const test = rows.pop()!;
    tests.push([userId, test[0]]);
    b.add(rows.map(([itemId, ts]) => ({ userId, itemId, type: 'view' as const, ts })));
  }
  const train = b.build();
  const cases = tests.map(([userId, itemId]) => ({ user: train.userIndex.get(userId)!, item: train.itemIndex.get(itemId)! }));
  return { train, cases, exclude: excludeModeOf('loo') };
}

/**
 * `purchase`: target = the user's last purchase (ties: larger item id); history = every event
 * strictly before it; training = evaluated users' histories plus all events of everyone else.
 */
export function splitPurchase(events: StoreEvent[], items: Map<string, string | null>, window?: { from: number; to: number }): Split {
  const kept = window ? events.filter((e) => e.ts >= window.from && e.ts <= window.to) : events;
  const byUser = new Map<string, StoreEvent[]>();
  for (const e of kept) {
    let l = byUser.get(e.userId);
    if (!l) byUser.set(e.userId, (l = []));
    l.push(e);
  }
  const b = new DatasetBuilder();
  addCatalogue(b, items, kept);
  const tests: Array<[string, string]> = [];
  for (const userId of [...byUser.keys()].sort(compareIds)) {
    const list = byUser.get(userId)!;
    let target: StoreEvent | undefined;
    for (const e of list) {
      if (e.type !== 'purchase') continue;
      if (!target || e.ts > target.ts || (e.ts === target.ts && compareIds(e.itemId, target.itemId) > 0)) target = e;
    }
    const history = target ? list.filter((e) => e.ts < target!.ts) : [];
    if (target && history.length > 0) {
      tests.push([userId, target.itemId]);
      b.add(history);
    } else {
      b.add(list);
    }
  }
  const train = b.build();
  const cases = tests.map(([userId, itemId]) => ({ user: train.userIndex.get(userId)!, item: train.itemIndex.get(itemId)! }));
  return { train, cases, exclude: excludeModeOf('purchase') };
}

/** Ranking every sampled user is linear; this bounds the gate's cost on very large user bases. */
export const MAX_HOLDOUT_USERS = 20000;

/**
 * Holdout carved from the training data: for a seeded sample of `holdoutUsers` of the users with at
 * least two distinct items, the item of the last event is the target and the trailing run of
 * events on that item is removed (predicting a repeat of what was just done would be trivial);
 * everything else trains. Scored like the service serves: only what the served lists exclude is
 * skipped (servedExclusion).
 */
export function carveHoldout(ds: Dataset, policy: Policy): Split {
  const rnd = mulberry32(policy.training.seed);
  const eligible: number[] = [];
  for (let u = 0; u < ds.nUsers; u++) {
    const a = ds.userStart[u];
    const b = ds.userStart[u + 1];
    for (let k = a; k < b; k++) {
      if (ds.evItem[k] !== ds.evItem[b - 1]) {
        eligible.push(u);
        break;
      }
    }
  }
  for (let x = eligible.length - 1; x > 0; x--) {
    const y = Math.floor(rnd() * (x + 1));
    const t = eligible[x];
    eligible[x] = eligible[y];
    eligible[y] = t;
  }
  const n = Math.min(MAX_HOLDOUT_USERS, Math.round(policy.training.holdoutUsers * eligible.length));
  const sampled = eligible.slice(0, n).sort((a, b) => a - b);
  const keep = new Uint8Array(ds.nEvents).fill(1);
  const cases: TestCase[] = [];
  for (const u of sampled) {
    const a = ds.userStart[u];
    const b = ds.userStart[u + 1];
    const item = ds.evItem[b - 1];
    for (let k = b - 1; k >= a && ds.evItem[k] === item; k--) keep[k] = 0;
    cases.push({ user: u, item });
  }
  return { train: filterDataset(ds, keep), cases, exclude: servedExclusion(ds, policy) };
}
