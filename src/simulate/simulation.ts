/**
 * A storefront in the loop (`recs simulate`): shoppers with tastes and lifecycles use a running
 * service through its public HTTP API only. On a stack without a model it first lays down the
 * world's catalogue and some 90 days of history (the generated storefront, so every segment is
 * populated) and trains. Then, day by day, shoppers arrive, visit, lapse or come back; a visit asks
 * for recommendations, reports impressions, clicks an item more readily when it fits the shopper's
 * taste, carts and buys, and browses on its own; after each day the nightly training runs.
 * Every choice comes from one seeded generator, so a seed replays the same storefront.
 */
import type { Item } from '../domain/types';
import { outcomeDay } from '../contracts/outcomes';
import { generateStorefront, type Archetype, type Storefront } from '../sample/storefront';
import { mulberry32 } from '../util/prng';
import type { SimulatedEvent, StorefrontClient } from './client';

const DAY = 24 * 3600 * 1000;
const MINUTE = 60_000;

export interface WorldOptions {
  shoppers: number;
  items: number;
  categories: number;
  /** Days of history laid down before the first simulated day. */
  historyDays: number;
  seed: number;
  /** Epoch ms the history ends and the first simulated day begins. */
  start: number;
}

export interface SimulationOptions {
  client: StorefrontClient;
  world: WorldOptions;
  /** The storefront `world` generates, when the caller has it already (the demo's sample): not generated twice. */
  sample?: Storefront;
  days: number;
  /** The nightly `recs train --publish` (after the history, and after each day). */
  train: () => Promise<{ version: string; status: string }>;
  log?: (line: string) => void;
  /** Called after each day (progress bars). */
  onDay?: (day: number, summary: DaySummary) => void;
}

export interface DaySummary {
  day: string;
  visits: number;
  newShoppers: number;
  impressions: number;
  clicks: number;
  purchases: number;
  /** Purchases of clicked recommendations, and their prices. */
  attributedPurchases: number;
  revenue: number;
  version: string;
  status: string;
}

type State = 'new' | 'regular' | 'heavy' | 'lapsing' | 'gone';

interface SimShopper {
  userId: string;
  preferred: Set<string>;
  state: State;
  /** Simulated day the shopper joined (negative: before the first day). */
  joined: number;
}

const VISIT_PROBABILITY: Record<State, number> = { new: 0.35, regular: 0.12, heavy: 0.4, lapsing: 0.03, gone: 0.01 };
const STATE_OF: Record<Archetype, State> = { new: 'new', regular: 'regular', heavy: 'heavy', at_risk: 'lapsing', churned: 'gone' };
/** Shown items a shopper looks at (the first few of the list). */
const SHOWN = 5;

export async function simulateStorefront(opts: SimulationOptions): Promise<DaySummary[]> {
  const { client, world } = opts;
  const log = opts.log ?? (() => undefined);
  const sample =
    opts.sample ??
    generateStorefront({
      users: world.shoppers,
      items: world.items,
      categories: world.categories,
      days: world.historyDays,
      seed: world.seed,
      now: world.start,
    });
  const rng = mulberry32(world.seed ^ 0x5eed);
  const itemById = new Map(sample.items.map((i) => [i.itemId, i]));
  const byCategory = new Map<string, Item[]>();
  for (const item of sample.items) {
    if (!item.available || item.category === null) continue;
    const list = byCategory.get(item.category) ?? [];
    list.push(item);
    byCategory.set(item.category, list);
  }
  const categories = [...byCategory.keys()].sort();

  // Every day runs on the version trained the night before, so a seed replays the same answers.
  const train = async (): Promise<{ version: string; status: string }> => {
    const trained = await opts.train();
    if (trained.status === 'live') await client.waitForVersion(trained.version);
    return trained;
  };
  if ((await client.loadedVersion()) === null) {
    log(`empty stack: laying down ${sample.items.length} items and ${sample.events.length} events of history`);
    for (const item of sample.items) await client.putItem(item);
    await client.postEvents(sample.events);
    const first = await train();
    log(`trained ${first.version} on the history: ${first.status}`);
  }

  const shoppers: SimShopper[] = sample.shoppers.map((s) => ({
    userId: s.userId,
    preferred: new Set(s.preferred),
    state: STATE_OF[s.archetype],
    joined: -1,
  }));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)];
  const summaries: DaySummary[] = [];

  for (let d = 0; d < opts.days; d++) {
    const dayStart = world.start + d * DAY;
    const summary = { visits: 0, newShoppers: 0, impressions: 0, clicks: 0, purchases: 0, attributedPurchases: 0, revenue: 0 };
    // Arrivals: about 1% of the shoppers a day, with one to three favourite categories.
    const arrivals = Math.max(1, Math.round(world.shoppers * 0.01));
    for (let a = 0; a < arrivals; a++) {
      const preferred = new Set<string>();
      const n = 1 + Math.floor(rng() * 3);
      while (preferred.size < Math.min(n, categories.length)) preferred.add(pick(categories));
      shoppers.push({ userId: `s${d + 1}-${a + 1}`, preferred, state: 'new', joined: d });
      summary.newShoppers++;
    }
    // Lifecycles move on: regulars drift away, the lapsing drop out, newcomers settle in.
    for (const s of shoppers) {
      const r = rng();
      if (s.state === 'regular' && r < 0.01) s.state = 'lapsing';
      else if (s.state === 'heavy' && r < 0.01) s.state = 'regular';
      else if (s.state === 'lapsing' && r < 0.02) s.state = 'gone';
      else if (s.state === 'new' && d - s.joined >= 7) s.state = 'regular';
    }
    for (const s of shoppers) {
      if (rng() >= VISIT_PROBABILITY[s.state]) continue;
      summary.visits++;
      let t = dayStart + Math.floor(rng() * (DAY - 2 * 3600 * 1000));
      const events: SimulatedEvent[] = [];
      const answer = await client.recommend(s.userId, 10);
      const shown = answer.items.slice(0, SHOWN);
      for (const { itemId } of shown) await client.feedback(answer.recommendationId, itemId, 'impression', t);
      summary.impressions += shown.length;
      let liked = false;
      for (let rank = 0; rank < shown.length; rank++) {
        const item = itemById.get(shown[rank].itemId);
        const fits = item?.category !== null && item?.category !== undefined && s.preferred.has(item.category);
        if (rng() >= (fits ? 0.3 : 0.04) * (1 - 0.1 * rank)) continue;
        t += MINUTE;
        await client.feedback(answer.recommendationId, shown[rank].itemId, 'click', t);
        summary.clicks++;
        events.push({ userId: s.userId, itemId: shown[rank].itemId, type: 'view', ts: t });
        if (rng() < 0.4) events.push({ userId: s.userId, itemId: shown[rank].itemId, type: 'cart', ts: (t += MINUTE) });
        if (rng() < (fits ? 0.45 : 0.15)) {
          events.push({ userId: s.userId, itemId: shown[rank].itemId, type: 'purchase', ts: (t += 2 * MINUTE) });
          summary.purchases++;
          summary.attributedPurchases++;
          summary.revenue += item?.price ?? 0;
        }
        liked = liked || fits;
        break;
      }
      // Browsing on their own, in a favourite category.
      const category = pick([...s.preferred]);
      const pool = byCategory.get(category) ?? [];
      const views = 1 + Math.floor(rng() * 4);
      for (let v = 0; v < views && pool.length; v++) {
        const item = pool[Math.floor(rng() ** 2 * pool.length)];
        events.push({ userId: s.userId, itemId: item.itemId, type: 'view', ts: (t += 2 * MINUTE) });
        if (rng() < 0.03) {
          events.push({ userId: s.userId, itemId: item.itemId, type: 'purchase', ts: (t += MINUTE) });
          summary.purchases++;
        }
      }
      await client.postEvents(events);
      // A lapsing shopper who found something to like comes back for good.
      if ((s.state === 'lapsing' || s.state === 'gone') && liked) s.state = 'regular';
    }
    const trained = await train();
    const day: DaySummary = {
      day: outcomeDay(dayStart),
      ...summary,
      revenue: Math.round(summary.revenue * 100) / 100,
      version: trained.version,
      status: trained.status,
    };
    summaries.push(day);
    log(
      `day ${d + 1} (${day.day}): ${day.visits} visits, ${day.newShoppers} new shoppers, ${day.impressions} impressions, ${day.clicks} clicks, ` +
        `${day.purchases} purchases (${day.attributedPurchases} from recommendations, ${day.revenue.toFixed(2)} revenue); ${trained.version} ${trained.status}`,
    );
    opts.onDay?.(d + 1, day);
  }
  return summaries;
}
