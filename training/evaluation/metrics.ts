/**
 * HR/NDCG scoring of ranked lists against test cases (evaluation and tuning). Kept free of the
 * embedding's TF.js imports so worker threads (evaluation/scoreCases.ts) load it cheaply.
 */
import type { Dataset } from '../data/dataset';
import type { ExcludeMode, RankedList } from '../ranking/ranker';
import type { TestCase } from './splits';

/** Length of the completed lists scored (HR/NDCG at 10 and 20). */
export const K_MAX = 20;

/** Mean HR and NDCG at 10 and 20 over the cases, and each case's rank (case order). */
export interface CaseMetrics {
  hr10: number;
  ndcg10: number;
  hr20: number;
  ndcg20: number;
  /** Per case, its 1-based rank in the completed top 20 (0: outside). */
  ranks: Int32Array;
}

/** HR and NDCG at K from a 1-based rank (0 = not ranked within the list). */
export function hitAndNdcg(rank: number, k: number): { hr: number; ndcg: number } {
  if (rank < 1 || rank > k) return { hr: 0, ndcg: 0 };
  return { hr: 1, ndcg: 1 / Math.log2(rank + 1) };
}

/**
 * Scores ranked lists against test cases. A list shorter than 20 is completed the way a full
 * ranking would order the rest: every other candidate scores 0, so ties go to the smaller item id.
 */
export class Scorer {
  private readonly byId: Int32Array;
  private readonly mark: Int32Array;
  private stamp = 0;
  sums = { hr10: 0, ndcg10: 0, hr20: 0, ndcg20: 0, n: 0 };
  /** Every case's rank in the order added: two models (or two versions) compare case by case. */
  readonly ranks: number[] = [];

  constructor(
    private readonly ds: Dataset,
    private readonly exclude: ExcludeMode,
  ) {
    this.byId = new Int32Array(ds.nItems);
    for (let i = 0; i < ds.nItems; i++) this.byId[ds.itemOrder[i]] = i;
    this.mark = new Int32Array(ds.nItems);
  }

  /** 1-based rank of `item` in the completed top 20 of `list`, 0 when outside. */
  rankOf(c: TestCase, list: RankedList): number {
    const ds = this.ds;
    const stamp = ++this.stamp;
    let pos = 0;
    for (let x = 0; x < list.items.length && pos < K_MAX; x++) {
      if (list.scores[x] <= 0) break;
      pos++;
      if (list.items[x] === c.item) return pos;
      this.mark[list.items[x]] = stamp;
    }
    for (let k = ds.userStart[c.user]; k < ds.userStart[c.user + 1]; k++) {
      if (this.exclude === 'history' || ds.evType[k] === 3) this.mark[ds.evItem[k]] = stamp;
    }
    for (let x = 0; x < ds.nItems && pos < K_MAX; x++) {
      const it = this.byId[x];
      if (this.mark[it] === stamp) continue;
      pos++;
      if (it === c.item) return pos;
    }
    return 0;
  }

  add(c: TestCase, list: RankedList): number {
    return this.addRank(this.rankOf(c, list));
  }

  /** Adds one case by its rank from rankOf (computed here or on a worker). */
  addRank(r: number): number {
    const a = hitAndNdcg(r, 10);
    const b = hitAndNdcg(r, 20);
    this.sums.hr10 += a.hr;
    this.sums.ndcg10 += a.ndcg;
    this.sums.hr20 += b.hr;
    this.sums.ndcg20 += b.ndcg;
    this.sums.n++;
    this.ranks.push(r);
    return r;
  }

  result(): CaseMetrics {
    const n = Math.max(1, this.sums.n);
    return {
      hr10: this.sums.hr10 / n,
      ndcg10: this.sums.ndcg10 / n,
      hr20: this.sums.hr20 / n,
      ndcg20: this.sums.ndcg20 / n,
      ranks: Int32Array.from(this.ranks),
    };
  }
}
