/**
 * Which items one answer may still show: not taken yet, not bought, not excluded by the caller, in
 * the requested category, available now, and under the per-category cap. Counts what each rule
 * filtered, for /debug.
 */
import type { LiveVersion, LoadedVersion } from '../live/liveVersion';

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
  private version: LoadedVersion | null = null;
  private bought: Set<number> | null = null;
  private excluded: Set<number> | null = null;
  private categoryFilter: number | undefined;
  private cap: number | null = null;
  counts: FilterCounts = { bought: 0, unavailable: 0, excluded: 0, category: 0, categoryCap: 0 };

  constructor(private readonly live: LiveVersion) {}

  /**
   * Starts an answer. `categoryFilter` -2 matches no item (an unknown category); `cap` is the
   * most items of one category, null for no cap.
   */
  begin(
    v: LoadedVersion,
    bought: Set<number> | null,
    excluded: Set<number> | null,
    categoryFilter: number | undefined,
    cap: number | null,
  ): void {
    this.version = v;
    this.bought = bought;
    this.excluded = excluded;
    this.categoryFilter = categoryFilter;
    this.cap = cap;
    this.counts = { bought: 0, unavailable: 0, excluded: 0, category: 0, categoryCap: 0 };
    this.marks.begin(v.meta.itemIds.length, v.meta.categories.length);
  }

  accept(i: number): boolean {
    const v = this.version!;
    const counts = this.counts;
    if (this.marks.isTaken(i)) return false;
    if (this.bought?.has(i)) return (counts.bought++, false);
    if (this.excluded?.has(i)) return (counts.excluded++, false);
    if (this.categoryFilter !== undefined && v.meta.itemCategory[i] !== this.categoryFilter) return (counts.category++, false);
    if (!this.live.isAvailable(v, i)) return (counts.unavailable++, false);
    if (this.cap !== null && this.marks.inCategory(v.meta.itemCategory[i]) >= this.cap) return (counts.categoryCap++, false);
    return true;
  }

  /** Marks item `i` as shown. */
  take(i: number): void {
    this.marks.take(i, this.version!.meta.itemCategory[i]);
  }
}
