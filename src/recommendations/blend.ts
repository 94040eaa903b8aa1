/**
 * The blend of one answer: the cached personal list with what the shopper did minutes ago (the
 * live session) and the page they are on (context), as score parts per candidate item.
 */
import type { SessionEvent } from '../storage/cache/port';
import type { EventType } from '../domain/types';
import type { UserRecommendations } from '../contracts/packedList';
import { sourceName } from '../contracts/sources';
import { csrRow } from '../contracts/versionMeta';
import type { LoadedVersion } from '../live/liveVersion';

/**
 * The blend's candidates in parallel arrays: position p < size holds item[p], its score parts and
 * (in total) the blended score. The storefront path reuses one instance per service (compose() is
 * synchronous, so no two requests share it at once), so an answer allocates none of this; the arrays
 * grow only when session or context items are added. The personal list is appended as is (the ranker
 * keeps one entry per item); session and context items find or add their slot through a map built on
 * first use.
 */
export class Candidates {
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
export const CANDIDATES_CAPACITY = 64;

/**
 * The personal list (scores normalised by its best) with the live session's and the page
 * context's neighbour scores, each weighted by `weight`, into `out` (emptied first).
 */
export function blendCandidates(
  out: Candidates,
  v: LoadedVersion,
  rec: UserRecommendations | null,
  session: SessionEvent[],
  weight: number,
  context: string | undefined,
  trace: boolean,
): Candidates {
  out.reset();
  if (rec && rec.items.length) {
    const max = rec.scores[0] || 1;
    for (let k = 0; k < rec.items.length; k++) out.add(rec.items[k], rec.scores[k] / max, sourceName(rec.sources[k]));
  }
  // Session: neighbours of what the user touched minutes ago, and those items themselves.
  if (session.length) blendSession(v, out, session, weight, trace);
  if (context !== undefined) {
    const i = v.itemIndex.get(context);
    if (i !== undefined) {
      for (const [j, { score, because }] of neighbourScores(v, [{ i, w: 1, id: context }], false, trace)) {
        const p = out.slot(j);
        out.context[p] = score * weight;
        if (because) out.because[p] = new Set([...(out.because[p] ?? []), ...because]);
      }
    }
  }
  return out;
}

/** The session's items and their neighbours into `out`, newest weighing most. */
function blendSession(v: LoadedVersion, out: Candidates, session: SessionEvent[], weight: number, trace: boolean): void {
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
    for (const [i, { score, because }] of neighbourScores(v, seeds, true, trace)) {
      const p = out.slot(i);
      out.session[p] = score * weight;
      out.because[p] = because;
    }
  }
}

/** Sum of seed weight x normalized similarity over the seeds' neighbours, scaled to max 1. */
function neighbourScores(v: LoadedVersion, seeds: Array<{ i: number; w: number; id: string }>, includeSeeds: boolean, trace: boolean) {
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
