/**
 * Offline evaluation by SPEC's protocols (`loo`, `purchase`), straight from events: no database,
 * no cache. Models: `popular`, `itemcf` and `published` (the rank.ts blend as the trainer
 * publishes it, fallbacks and filters included). Deterministic.
 */
import { DEFAULT_POLICY, Policy } from '../../src/config/policy';
import type { StoreEvent } from '../../src/domain/types';
import { compareIds, Dataset, DatasetBuilder } from '../data/dataset';
import { fitModel, fitPopularity, FitOptions } from '../ranking/fit';
import { ExcludeMode, RankedList, RankParams } from '../ranking/ranker';
import { scoreCases } from '../ranking/parallelLists';
import { tuneRankParams } from '../tuning/search';
import { embeddingFits, fitEmbeddingFor, prepareEmbedding } from '../recipe';
import { K_MAX, Scorer } from '../evaluation/metrics';

export { hitAndNdcg } from '../evaluation/metrics';
import { EmbeddingModel, recommendItems } from '../models/embedding/model';

export type Protocol = 'loo' | 'purchase';
export const MODELS = ['popular', 'itemcf', 'published'] as const;
export type ModelName = (typeof MODELS)[number];

/** Taobao UserBehavior's stated window: 2017-11-25 00:00 to 2017-12-03 23:59:59, UTC+8 (epoch ms). */
export const TAOBAO_WINDOW = { from: Date.UTC(2017, 10, 24, 16, 0, 0), to: Date.UTC(2017, 11, 3, 15, 59, 59, 999) };

export interface EvaluateOptions {
  /** Name printed as `dataset` (usually the file name). */
  dataset?: string;
  /** Drop events outside [from, to] (epoch ms, inclusive) for `purchase`. */
  window?: { from: number; to: number };
  policy?: Policy;
  models?: readonly ModelName[];
  fit?: FitOptions;
  /**
   * Tune the published blend per run on a validation split carved from the training part
   * (tuning.ts, the same procedure the trainer may use); default true. Tuning time counts in the
   * published model's fitSeconds.
   */
  tune?: boolean;
  /** Add the embedding alone as a row (default true when the policy enables the embedding). */
  embeddingRow?: boolean;
  log?: (msg: string) => void;
}

export interface ModelResult {
  model: string;
  hr10: number;
  ndcg10: number;
  hr20: number;
  ndcg20: number;
  fitSeconds: number;
  recommendSeconds: number;
}

export interface EvaluationReport {
  dataset: string;
  protocol: Protocol;
  /** Users evaluated. */
  users: number;
  /** Catalogue size (every item in the file). */
  items: number;
  results: ModelResult[];
}

/** One evaluation case: the user's index in the training dataset and the held-out item index. */
export interface TestCase {
  user: number;
  item: number;
}

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
  return { train, cases, exclude: 'history' };
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
  return { train, cases, exclude: 'bought' };
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/**
 * Fits and scores each model on a split. `extraFitSeconds` (e.g. the per-run tuning that chose
 * fit.rank) is added to the published model's fit time.
 */
export function evaluateSplit(
  split: Split,
  policy: Policy,
  models: readonly ModelName[] = MODELS,
  fit: FitOptions = {},
  extraFitSeconds = 0,
): ModelResult[] {
  const { train, cases, exclude } = split;
  const results: ModelResult[] = [];
  let fitted: ReturnType<typeof fitModel> | undefined;
  for (const name of models) {
    let t0 = process.hrtime.bigint();
    let fitSeconds: number;
    let score: () => ReturnType<Scorer['result']>;
    if (name === 'popular') {
      const { popularity } = fitPopularity(train, policy, fit);
      const scores = new Float32Array(popularity.order.length);
      const mark = new Int32Array(train.nItems);
      let stamp = 0;
      const rankOne = (u: number): RankedList => {
        stamp++;
        for (let k = train.userStart[u]; k < train.userStart[u + 1]; k++) {
          if (exclude === 'history' || train.evType[k] === 3) mark[train.evItem[k]] = stamp;
        }
        const items: number[] = [];
        for (let x = 0; x < popularity.order.length && items.length < K_MAX; x++) {
          if (mark[popularity.order[x]] !== stamp) items.push(popularity.order[x]);
        }
        for (let x = 0; x < items.length; x++) scores[x] = popularity.score[items[x]];
        return { items: Int32Array.from(items), scores: scores.slice(0, items.length), sources: new Uint8Array(items.length) };
      };
      fitSeconds = seconds(t0);
      score = () => {
        const scorer = new Scorer(train, exclude);
        for (const c of cases) scorer.add(c, rankOne(c.user));
        return scorer.result();
      };
    } else {
      fitted ??= fitModel(train, policy, fit);
      const model = name === 'itemcf' ? { ...fitted.model, params: itemcfOnly(fitted.model.params), sources: undefined } : fitted.model;
      // The fitted parts are shared by itemcf and published; each reports what it needs.
      fitSeconds = name === 'itemcf' ? fitted.timings.matrix + fitted.timings.itemcf : sumTimings(fitted.timings) + extraFitSeconds;
      // Bare itemcf lists are not filled from the fallbacks; published ones are. scoreCases ranks
      // on the main thread unless the model and the split are large (then on every thread,
      // parallelRank.ts, summed in case order: the same metrics).
      const fill = name !== 'itemcf';
      score = () => scoreCases(split, model, K_MAX, fill);
    }
    t0 = process.hrtime.bigint();
    const metrics = score();
    results.push({ model: name, ...metrics, fitSeconds: round(fitSeconds), recommendSeconds: round(seconds(t0)) });
  }
  return results;
}

/** The blend reduced to its itemcf part (the bare `itemcf` model). */
export function itemcfOnly(p: RankParams): RankParams {
  return { ...p, refindWeight: 0, popularityWeight: 0, refindPositionWeight: 0, intentWeight: 0, categoryWeight: 0 };
}

function sumTimings(t: Record<string, number>): number {
  return Object.values(t).reduce((a, b) => a + b, 0);
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

export async function evaluate(
  events: StoreEvent[],
  items: Map<string, string | null>,
  protocol: Protocol,
  opts: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const policy = opts.policy ?? DEFAULT_POLICY;
  const split = protocol === 'loo' ? splitLoo(events, items) : splitPurchase(events, items, opts.window);
  opts.log?.(`${protocol}: ${split.cases.length} users evaluated, ${split.train.nItems} items, ${split.train.nEvents} training events`);
  const models = opts.models ?? MODELS;
  let fit = opts.fit ?? {};
  let extraSeconds = 0;
  let embedding: EmbeddingModel | undefined;
  if (opts.tune !== false && models.includes('published')) {
    const tuned = tuneRankParams(split.train, policy, { fit, log: opts.log });
    fit = { ...fit, rank: tuned.params };
    extraSeconds = tuned.seconds;
    // The embedding joins the blend only with a weight that wins on validation (embeddingBlend.ts).
    const emb = await prepareEmbedding(split.train, policy, fit);
    fit = emb.fit;
    embedding = emb.model;
    extraSeconds += emb.choice.seconds + (emb.model?.info.fitSeconds ?? 0);
    opts.log?.(`embedding weight ${emb.choice.weight}: ${JSON.stringify(emb.choice.validation)}`);
  }
  const results = evaluateSplit(split, policy, models, fit, extraSeconds);
  // The embedding on its own, for comparison with peer BPR (when the policy allows it here).
  if (embeddingFits(split.train, policy) && opts.embeddingRow !== false) {
    const t0 = process.hrtime.bigint();
    const model = embedding ?? (await fitEmbeddingFor(split.train, policy));
    const fitSeconds = embedding ? embedding.info.fitSeconds : seconds(t0);
    const t1 = process.hrtime.bigint();
    const scorer = new Scorer(split.train, split.exclude);
    const mark = new Int32Array(split.train.nItems);
    const scratch = new Float32Array(model.nItems);
    let stamp = 0;
    for (const c of split.cases) {
      stamp++;
      const tr = split.train;
      for (let k = tr.userStart[c.user]; k < tr.userStart[c.user + 1]; k++) {
        if (split.exclude === 'history' || tr.evType[k] === 3) mark[tr.evItem[k]] = stamp;
      }
      const top = recommendItems(model, c.user, K_MAX, { exclude: mark, stamp, tieRank: tr.itemOrder, scratch });
      const sc = Float32Array.from(top.ids, (_, r) => K_MAX - r);
      scorer.add(c, { items: top.ids, scores: sc, sources: new Uint8Array(top.ids.length) });
    }
    results.splice(results.length - 1, 0, { model: 'embedding', ...scorer.result(), fitSeconds: round(fitSeconds), recommendSeconds: round(seconds(t1)) });
  }
  return { dataset: opts.dataset ?? 'events', protocol, users: split.cases.length, items: split.train.nItems, results };
}
