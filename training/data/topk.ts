/**
 * Bounded top-K selection on typed arrays (min-heap on score), so selecting K of M candidates
 * costs O(M log K) and allocates nothing per call. Ties are broken by a caller-given rank
 * (smaller rank wins), which keeps every list deterministic.
 */
export class TopK {
  private readonly ids: Int32Array;
  private readonly scores: Float64Array;
  private size = 0;

  constructor(
    readonly capacity: number,
    /** Tie-break rank per id: with equal scores the smaller rank is better. */
    private readonly tieRank: ArrayLike<number>,
  ) {
    this.ids = new Int32Array(Math.max(1, capacity));
    this.scores = new Float64Array(Math.max(1, capacity));
  }

  reset(): void {
    this.size = 0;
  }

  get length(): number {
    return this.size;
  }

  /** a is worse than b. */
  private worse(sa: number, ia: number, sb: number, ib: number): boolean {
    return sa < sb || (sa === sb && this.tieRank[ia] > this.tieRank[ib]);
  }

  push(id: number, score: number): void {
    if (this.capacity <= 0) return;
    if (this.size < this.capacity) {
      let i = this.size++;
      this.ids[i] = id;
      this.scores[i] = score;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.worse(this.scores[i], this.ids[i], this.scores[p], this.ids[p])) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    if (!this.worse(this.scores[0], this.ids[0], score, id)) return;
    this.ids[0] = id;
    this.scores[0] = score;
    this.siftDown(0);
  }

  private swap(a: number, b: number): void {
    const ti = this.ids[a];
    this.ids[a] = this.ids[b];
    this.ids[b] = ti;
    const ts = this.scores[a];
    this.scores[a] = this.scores[b];
    this.scores[b] = ts;
  }

  private siftDown(i: number): void {
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.worse(this.scores[l], this.ids[l], this.scores[m], this.ids[m])) m = l;
      if (r < n && this.worse(this.scores[r], this.ids[r], this.scores[m], this.ids[m])) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  /** Best first; empties the heap. */
  drain(): { ids: Int32Array; scores: Float64Array } {
    const n = this.size;
    const ids = new Int32Array(n);
    const scores = new Float64Array(n);
    for (let k = n - 1; k >= 0; k--) {
      ids[k] = this.ids[0];
      scores[k] = this.scores[0];
      this.size--;
      if (this.size > 0) {
        this.ids[0] = this.ids[this.size];
        this.scores[0] = this.scores[this.size];
        this.siftDown(0);
      }
    }
    return { ids, scores };
  }
}
