/**
 * THE per-user ranking, used both to publish lists and to evaluate them (one code path, so the
 * offline numbers describe what is served).
 *
 * Candidates only (never every item):
 *  - itemcf: neighbours of the user's `historySeeds` most recent distinct items; a seed weighs
 *    seedDecay^position (what the user did last says most about what they do next) times the
 *    policy weight of its strongest event; score = sum(similarity x seed weight);
 *  - refind: items the user viewed, favourited or carted and did not buy; score = sum over those
 *    events of policy weight x 0.5^(age before the user's last event / refindHalfLife);
 *  - the two are blended on per-user normalised scales, then the list is filled from the user's
 *    segment fallback chain and finally global popularity.
 * Bought items, unavailable items and the caller's exclusions never appear.
 */
import type { Policy } from '../src/config/policy';
import { Segment, SEGMENTS } from '../src/domain/types';
import type { Csr } from '../src/model/versionMeta';
import { sourceCode } from '../src/model/sources';
import { Dataset, TYPE_PURCHASE } from './dataset';
import type { FallbackLists, Popularity } from './popularity';
import { TopK } from './topk';

export interface RankParams {
  /** Weight multiplier per step back in the user's distinct-item history (1 = no recency). */
  seedDecay: number;
  /** Weight of the (normalised) refind score against the (normalised) itemcf score. */
  refindWeight: number;
  /** Half-life of a touched item's refind score, in hours before the user's last event. */
  refindHalfLifeHours: number;
  /** Weight of the (normalised) global popularity added to each candidate. */
  popularityWeight: number;
}

/** Chosen on validation splits carved from training data (see itemcf.ts). */
export const DEFAULT_RANK: RankParams = {
  seedDecay: 0.7,
  refindWeight: 2,
  refindHalfLifeHours: 24,
  popularityWeight: 0,
};

export interface RankModel {
  /** Training data: histories, categories, availability and the id tie order come from here. */
  ds: Dataset;
  policy: Policy;
  params: RankParams;
  similar: Csr;
  popularity: Popularity;
  fallback: FallbackLists;
  /** Segment code per user (index into SEGMENTS). */
  segments: Uint8Array;
  /** Favourite categories per user (rows). */
  favourites: { indptr: Int32Array; indices: Int32Array };
}

export interface RankedList {
  items: Int32Array;
  scores: Float32Array;
  sources: Uint8Array;
}

/** What the caller filters besides unavailable items: only bought items, or the whole history (loo). */
export type ExcludeMode = 'bought' | 'history';

const SRC_ITEMCF = sourceCode('itemcf');
const SRC_REFIND = sourceCode('refind');
const SRC_POPULAR = sourceCode('popular');
const SRC_CATEGORY = sourceCode('category_popular');
const HOUR_MS = 3600 * 1000;

/** Reusable ranker: scratch arrays are sized once per model, so ranking a user allocates little. */
export class Ranker {
  private readonly cf: Float64Array;
  private readonly refind: Float64Array;
  private readonly mark: Int32Array;
  private readonly excluded: Int32Array;
  private readonly candidates: Int32Array;
  private readonly seedMark: Int32Array;
  private readonly strongest: Float64Array;
  private readonly typeWeight: number[];
  private stamp = 0;

  constructor(readonly model: RankModel) {
    const n = model.ds.nItems;
    this.cf = new Float64Array(n);
    this.refind = new Float64Array(n);
    this.mark = new Int32Array(n);
    this.excluded = new Int32Array(n);
    this.candidates = new Int32Array(n);
    this.seedMark = new Int32Array(n);
    this.strongest = new Float64Array(n);
    const w = model.policy.eventWeights;
    this.typeWeight = [w.view, w.fav, w.cart, w.purchase];
  }

  /**
   * Top `n` for user index `u` of the model's dataset (u = -1: an unknown user, fallbacks only).
   * `fill` = false returns the scored candidates only (the bare itemcf model in evaluation).
   */
  rank(u: number, n: number, exclude: ExcludeMode = 'bought', fill = true): RankedList {
    const { ds, params, similar, popularity } = this.model;
    const stamp = ++this.stamp;
    const a = u >= 0 ? ds.userStart[u] : 0;
    const b = u >= 0 ? ds.userStart[u + 1] : 0;
    let nc = 0;

    // Exclusions and refind scores in one pass over the user's history.
    const lastTs = b > a ? ds.evTs[b - 1] : 0;
    const halfLife = params.refindHalfLifeHours * HOUR_MS;
    for (let k = a; k < b; k++) {
      const it = ds.evItem[k];
      if (exclude === 'history' || ds.evType[k] === TYPE_PURCHASE) this.excluded[it] = stamp;
    }
    for (let k = a; k < b; k++) {
      const it = ds.evItem[k];
      if (this.excluded[it] === stamp || !ds.itemAvailable[it]) continue;
      if (this.mark[it] !== stamp) {
        this.mark[it] = stamp;
        this.cf[it] = 0;
        this.refind[it] = 0;
        this.candidates[nc++] = it;
      }
      this.refind[it] += this.typeWeight[ds.evType[k]] * Math.pow(0.5, (lastTs - ds.evTs[k]) / halfLife);
    }

    // Strongest event type per touched item (seed weight), then itemcf from the most recent
    // distinct items, newest first. Both passes are linear in the history.
    for (let k = a; k < b; k++) {
      const it = ds.evItem[k];
      const w = this.typeWeight[ds.evType[k]];
      if (this.seedMark[it] !== stamp) {
        this.seedMark[it] = stamp;
        this.strongest[it] = w;
      } else if (w > this.strongest[it]) this.strongest[it] = w;
    }
    let seeds = 0;
    let seedW = 1;
    const maxSeeds = this.model.policy.training.historySeeds;
    for (let k = b - 1; k >= a && seeds < maxSeeds; k--) {
      const s = ds.evItem[k];
      if (this.seedMark[s] !== stamp) continue; // already used as a seed
      this.seedMark[s] = -stamp;
      const w = seedW * this.strongest[s];
      seedW *= params.seedDecay;
      seeds++;
      for (let p = similar.indptr[s]; p < similar.indptr[s + 1]; p++) {
        const j = similar.indices[p];
        if (this.excluded[j] === stamp || !ds.itemAvailable[j]) continue;
        if (this.mark[j] !== stamp) {
          this.mark[j] = stamp;
          this.cf[j] = 0;
          this.refind[j] = 0;
          this.candidates[nc++] = j;
        }
        this.cf[j] += w * similar.scores[p];
      }
    }

    // Blend on per-user normalised scales so the weights mean the same for every user.
    let maxCf = 0;
    let maxRe = 0;
    for (let c = 0; c < nc; c++) {
      const it = this.candidates[c];
      if (this.cf[it] > maxCf) maxCf = this.cf[it];
      if (this.refind[it] > maxRe) maxRe = this.refind[it];
    }
    const maxPop = popularity.order.length > 0 ? popularity.score[popularity.order[0]] : 0;
    const heap = new TopK(n, ds.itemOrder);
    for (let c = 0; c < nc; c++) {
      const it = this.candidates[c];
      const cf = maxCf > 0 ? this.cf[it] / maxCf : 0;
      const re = maxRe > 0 ? (params.refindWeight * this.refind[it]) / maxRe : 0;
      const pop = maxPop > 0 ? (params.popularityWeight * popularity.score[it]) / maxPop : 0;
      heap.push(it, cf + re + pop);
    }
    const top = heap.drain();
    const items: number[] = Array.from(top.ids);
    const scores: number[] = Array.from(top.scores);
    const sources: number[] = items.map((it) => {
      const cf = maxCf > 0 ? this.cf[it] / maxCf : 0;
      const re = maxRe > 0 ? (params.refindWeight * this.refind[it]) / maxRe : 0;
      return re > cf ? SRC_REFIND : SRC_ITEMCF;
    });
    for (const it of items) this.mark[it] = -stamp; // now "taken": fills skip them

    if (fill && items.length < n) this.fill(u, n, stamp, items, scores, sources);
    return { items: Int32Array.from(items), scores: Float32Array.from(scores), sources: Uint8Array.from(sources) };
  }

  /** Appends from the user's segment chain, then global popularity, with decreasing scores. */
  private fill(u: number, n: number, stamp: number, items: number[], scores: number[], sources: number[]): void {
    const { ds, fallback, popularity, policy } = this.model;
    const segment: Segment = u >= 0 ? SEGMENTS[this.model.segments[u]] : 'new';
    let score = scores.length > 0 ? Math.min(scores[scores.length - 1], 1) : 1;
    const take = (list: ArrayLike<number>, src: number, from = 0, to = list.length): boolean => {
      for (let x = from; x < to && items.length < n; x++) {
        const it = list[x];
        if (this.mark[it] === -stamp || this.excluded[it] === stamp || !ds.itemAvailable[it]) continue;
        this.mark[it] = -stamp;
        score *= 0.999;
        items.push(it);
        scores.push(score);
        sources.push(src);
      }
      return items.length >= n;
    };
    const favA = u >= 0 ? this.model.favourites.indptr[u] : 0;
    const favB = u >= 0 ? this.model.favourites.indptr[u + 1] : 0;
    const categoryRows = (csr: Csr | undefined, src: number): boolean => {
      if (!csr) return false;
      for (let f = favA; f < favB; f++) {
        const c = this.model.favourites.indices[f];
        if (take(csr.indices, src, csr.indptr[c], csr.indptr[c + 1])) return true;
      }
      return false;
    };
    for (const step of policy.fallbacks[segment]) {
      let done = false;
      switch (step) {
        case 'refind': // already a candidate source above
          break;
        case 'trending':
        case 'best_converting':
        case 'new_arrivals':
        case 'popular':
          done = take(fallback.lists[step] ?? [], sourceCode(step));
          break;
        case 'category_popular':
          done = categoryRows(fallback.categoryLists.category_popular, SRC_CATEGORY);
          break;
        case 'segment_popular':
          done =
            categoryRows(fallback.categoryLists[`segment:${segment}`], SRC_CATEGORY) ||
            take(fallback.segmentLists[segment] ?? [], SRC_POPULAR);
          break;
      }
      if (done) return;
    }
    // Past the stored list length: the full popularity order, so a list is never short while
    // the catalogue has available items someone interacted with.
    take(popularity.order, SRC_POPULAR);
  }
}
