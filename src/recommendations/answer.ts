/**
 * One answer as it is built: which items it may still show (AnswerFilter: not taken yet, not
 * bought, not excluded by the caller, in the requested category, available now, under the
 * per-category cap; counting what each rule filtered, for /debug) and the items taken so far with
 * their provenance (AnswerList).
 */
import type { FallbackStep } from '../config/policy';
import type { RankedItem } from '../domain/types';
import type { LiveVersion, LoadedVersion } from '../live/liveVersion';

export interface ItemProvenance {
  itemId: string;
  source: string;
  score: number;
  /** Score parts before blending: cached personal list, live session, context item. */
  parts: { personal?: number; session?: number; context?: number; fallbackRank?: number };
  /** Session or context items whose neighbours produced this item. */
  because?: string[];
}

export interface FallbackTrace {
  step: FallbackStep | 'catalogue';
  /** The step's quota, null when uncapped. */
  max: number | null;
  served: number;
}

export interface FilterCounts {
  bought: number;
  unavailable: number;
  excluded: number;
  category: number;
  categoryCap: number;
}

/**
 * What one answer has taken, and how many items per category, as stamps over item and category
 * indices: no Set or Map per answer. One instance per service serves every compose() (synchronous).
 */
class AnswerMarks {
  private stamp = 0;
  private taken = new Int32Array(0);
  private categoryStamp = new Int32Array(0);
  private categoryCount = new Int32Array(0);

  /** Starts an answer over `items` items and `categories` categories (indices -1..categories-1). */
  begin(items: number, categories: number): void {
    if (this.taken.length < items) this.taken = new Int32Array(items);
    if (this.categoryStamp.length < categories + 1) {
      this.categoryStamp = new Int32Array(categories + 1);
      this.categoryCount = new Int32Array(categories + 1);
    }
    if (++this.stamp === 0x7fffffff) {
      this.taken.fill(0);
      this.categoryStamp.fill(0);
      this.stamp = 1;
    }
  }

  isTaken(i: number): boolean {
    return this.taken[i] === this.stamp;
  }

  /** Marks item `i` (of category `c`, -1 for none) as taken. */
  take(i: number, c: number): void {
    this.taken[i] = this.stamp;
    if (this.categoryStamp[c + 1] !== this.stamp) {
      this.categoryStamp[c + 1] = this.stamp;
      this.categoryCount[c + 1] = 0;
    }
    this.categoryCount[c + 1]++;
  }

  /** Items of category `c` taken so far in this answer. */
  inCategory(c: number): number {
    return this.categoryStamp[c + 1] === this.stamp ? this.categoryCount[c + 1] : 0;
  }
}

/** One instance per service serves every answer (answers are composed synchronously, one at a time). */
export class AnswerFilter {
  private readonly marks = new AnswerMarks();
  private loaded: LoadedVersion | null = null;
  private bought: Set<number> | null = null;
  private excluded: Set<number> | null = null;
  private categoryFilter: number | undefined;
  private excludedCategories: ReadonlySet<number> | null = null;
  private cap: number | null = null;
  counts: FilterCounts = { bought: 0, unavailable: 0, excluded: 0, category: 0, categoryCap: 0 };

  constructor(private readonly live: LiveVersion) {}

  /**
   * Starts an answer. `categoryFilter` -2 matches no item (an unknown category); `cap` is the
   * most items of one category, null for no cap; `excludedCategories` leaves out whole categories
   * (the cart's own: substitutes of what is in it).
   */
  begin(
    v: LoadedVersion,
    bought: Set<number> | null,
    excluded: Set<number> | null,
    categoryFilter: number | undefined,
    cap: number | null,
    excludedCategories: ReadonlySet<number> | null = null,
  ): void {
    this.loaded = v;
    this.excludedCategories = excludedCategories;
    this.bought = bought;
    this.excluded = excluded;
    this.categoryFilter = categoryFilter;
    this.cap = cap;
    this.counts = { bought: 0, unavailable: 0, excluded: 0, category: 0, categoryCap: 0 };
    this.marks.begin(v.meta.itemIds.length, v.meta.categories.length);
  }

  accept(i: number): boolean {
    const v = this.loaded!;
    const counts = this.counts;
    if (this.marks.isTaken(i)) return false;
    if (this.bought?.has(i)) return (counts.bought++, false);
    if (this.excluded?.has(i)) return (counts.excluded++, false);
    if (this.categoryFilter !== undefined && v.meta.itemCategory[i] !== this.categoryFilter) return (counts.category++, false);
    if (this.excludedCategories?.has(v.meta.itemCategory[i])) return (counts.category++, false);
    if (!this.live.isAvailable(v, i)) return (counts.unavailable++, false);
    if (this.cap !== null && this.marks.inCategory(v.meta.itemCategory[i]) >= this.cap) return (counts.categoryCap++, false);
    return true;
  }

  /** The version the answer is built from. */
  version(): LoadedVersion {
    return this.loaded!;
  }

  /** Marks item `i` as shown. */
  take(i: number): void {
    this.marks.take(i, this.loaded!.meta.itemCategory[i]);
  }
}

/** The items an answer has taken, best first, and (when tracing) why each is there. */
export class AnswerList {
  readonly items: RankedItem[] = [];
  readonly provenance: ItemProvenance[] = [];

  constructor(
    private readonly version: LoadedVersion,
    readonly filter: AnswerFilter,
    readonly limit: number,
    readonly trace: boolean,
  ) {}

  get full(): boolean {
    return this.items.length >= this.limit;
  }

  /** The score of the last item taken, 1 while empty (fallback items score below it). */
  lastScore(): number {
    return this.items.length ? this.items[this.items.length - 1].score : 1;
  }

  /** Appends item `i` (already accepted by the filter); `parts` and `because` only matter when tracing. */
  push(i: number, score: number, source: string, parts?: ItemProvenance['parts'], because?: string[]): void {
    this.filter.take(i);
    const itemId = this.version.meta.itemIds[i];
    const rounded = Math.round(score * 1e6) / 1e6;
    this.items.push({ itemId, score: rounded, source });
    if (this.trace) this.provenance.push({ itemId, source, score: rounded, parts: parts!, ...(because?.length ? { because } : {}) });
  }
}
