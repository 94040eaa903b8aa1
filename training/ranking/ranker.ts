/**
 * THE per-user ranking, used both to publish lists and to evaluate them (one code path, so the
 * offline numbers describe what is served).
 *
 * Candidates only (never every item):
 *  - itemcf: neighbours of the user's `historySeeds` most recent distinct items; a seed weighs
 *    seedDecay^position (what the user did last says most about what they do next) times the
 *    policy weight of its strongest event; score = sum(similarity x seed weight);
 *  - refind: items the user viewed, favourited or carted and did not buy; score = sum over those
 *    events of policy weight x 0.5^(age before the user's last event / refindHalfLife), plus how
 *    long the shopper stayed on each (dwell);
 *  - the two are blended on per-user normalised scales, then the list is filled from the user's
 *    segment fallback chain and finally global popularity.
 * Bought items, unavailable items and the caller's exclusions never appear.
 */
import type { Policy } from '../../src/config/policy';
import { type Segment, SEGMENTS } from '../../src/domain/types';
import type { Csr } from '../../src/contracts/versionMeta';
import { isPackedSource, sourceCode } from '../../src/contracts/sources';
import { stepLists } from '../../src/contracts/fallbackChain';
import { type Dataset, TYPE_CART, TYPE_FAV, TYPE_PURCHASE } from '../data/dataset';
import type { FallbackLists, Popularity } from '../models/popularity';
import { TopK } from '../data/topk';
import type { RankParams } from './params';
import type { CandidateSource } from './candidateSource';
import { type EmbeddingCandidates, embeddingSource } from './embeddingSource';

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
  /** The embedding as a candidate source of the blend (plain data: workers rank with it too). */
  embedding?: EmbeddingCandidates;
  /** Further candidate sources (closures: the main thread ranks alone when there are any). */
  sources?: CandidateSource[];
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
  private readonly position: Float64Array;
  private readonly category: Float64Array;
  private readonly extra: Float64Array[];
  private readonly extraMax: Float64Array;
  private readonly mark: Int32Array;
  private readonly excluded: Int32Array;
  private readonly candidates: Int32Array;
  private readonly seedMark: Int32Array;
  private readonly strongest: Float64Array;
  private readonly intent: Float64Array;
  private readonly catMark: Int32Array;
  private readonly focus: Float64Array;
  private readonly dwell: Float64Array;
  private readonly catStamp: Int32Array;
  private readonly catCount: Float64Array;
  private readonly typeWeight: number[];
  private readonly refindTypeWeight: number[];
  private readonly extraSources: CandidateSource[];
  private stamp = 0;

  constructor(readonly model: RankModel) {
    const n = model.ds.nItems;
    this.cf = new Float64Array(n);
    this.refind = new Float64Array(n);
    this.position = new Float64Array(n);
    this.category = new Float64Array(n);
    this.mark = new Int32Array(n);
    this.excluded = new Int32Array(n);
    this.candidates = new Int32Array(n);
    this.seedMark = new Int32Array(n);
    this.strongest = new Float64Array(n);
    this.intent = new Float64Array(n);
    this.catMark = new Int32Array(Math.max(1, model.ds.categories.length));
    this.focus = new Float64Array(n);
    this.dwell = new Float64Array(n);
    const nCat = Math.max(1, model.ds.categories.length);
    this.catStamp = new Int32Array(nCat);
    this.catCount = new Float64Array(nCat);
    const w = model.policy.eventWeights;
    this.typeWeight = [w.view, w.fav, w.cart, w.purchase];
    const p = model.params;
    const view = w.view > 0 ? w.view : 1;
    this.refindTypeWeight = [
      1,
      Number.isFinite(p.refindFav) ? p.refindFav : w.fav / view,
      Number.isFinite(p.refindCart) ? p.refindCart : w.cart / view,
      0,
    ];
    this.extraSources = [...(model.embedding ? [embeddingSource(model.embedding, model.ds)] : []), ...(model.sources ?? [])];
    this.extra = this.extraSources.map(() => new Float64Array(n));
    this.extraMax = new Float64Array(this.extraSources.length);
  }

  /** Registers `it` as a candidate of the current user (scores reset) unless already one. */
  private touch(it: number, stamp: number, nc: number): number {
    if (this.mark[it] === stamp) return nc;
    this.mark[it] = stamp;
    this.cf[it] = 0;
    this.refind[it] = 0;
    this.position[it] = 0;
    this.intent[it] = 0;
    this.category[it] = 0;
    this.focus[it] = 0;
    this.dwell[it] = 0;
    for (const e of this.extra) e[it] = 0;
    this.candidates[nc] = it;
    return nc + 1;
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

    // Exclusions, then refind scores and session positions (newest first) in one backward pass.
    const lastTs = b > a ? ds.evTs[b - 1] : 0;
    const halfLife = params.refindHalfLifeHours * HOUR_MS;
    for (let k = a; k < b; k++) {
      const it = ds.evItem[k];
      if (exclude === 'history' || ds.evType[k] === TYPE_PURCHASE) this.excluded[it] = stamp;
    }
    const usePosition = params.refindPositionWeight > 0;
    const useIntent = params.intentWeight > 0;
    const intentHalfLife = params.intentHalfLifeHours * HOUR_MS;
    const power = params.refindAlpha > 0;
    const tau = params.refindTauHours * HOUR_MS;
    const cartAlpha = Number.isFinite(params.refindCartAlpha) ? params.refindCartAlpha : params.refindAlpha;
    const useDwell = params.dwellWeight > 0;
    const dwellCap = params.dwellCapMinutes * 60000;
    const dwellHalfLife = params.dwellHalfLifeHours * HOUR_MS;
    let maxDwell = 0;
    let distinct = 0;
    // A visit is a run of consecutive events on one item; its dwell lasts until the next item's event.
    let leaveTs = -1;
    for (let k = b - 1; k >= a; k--) {
      const it = ds.evItem[k];
      if (k + 1 < b && ds.evItem[k + 1] !== it) leaveTs = ds.evTs[k + 1];
      if (this.excluded[it] === stamp || !ds.itemAvailable[it]) continue;
      const first = this.mark[it] !== stamp;
      nc = this.touch(it, stamp, nc);
      const age = lastTs - ds.evTs[k];
      const type = ds.evType[k];
      const decay = power ? Math.pow(1 + age / tau, -(type === TYPE_CART ? cartAlpha : params.refindAlpha)) : Math.pow(0.5, age / halfLife);
      this.refind[it] += this.refindTypeWeight[type] * decay;
      if (first && usePosition) this.position[it] = params.refindPositionWeight * Math.pow(params.refindPositionDecay, distinct);
      if (first) distinct++;
      if (useIntent && (type === TYPE_CART || type === TYPE_FAV)) {
        const v = params.intentWeight * (type === TYPE_CART ? 1 : params.intentFav) * Math.pow(0.5, age / intentHalfLife);
        if (v > this.intent[it]) this.intent[it] = v;
      }
      if (useDwell && leaveTs >= 0 && (k === a || ds.evItem[k - 1] !== it)) {
        const gap = leaveTs - ds.evTs[k];
        if (gap > 0 && gap <= dwellCap) {
          this.dwell[it] += Math.log1p(gap / 60000) * (dwellHalfLife > 0 ? Math.pow(0.5, age / dwellHalfLife) : 1);
          if (this.dwell[it] > maxDwell) maxDwell = this.dwell[it];
        }
      }
    }
    if (maxDwell > 0) {
      const scale = params.dwellWeight / maxDwell;
      for (let c = 0; c < nc; c++) this.dwell[this.candidates[c]] *= scale;
    }

    if (b > a) this.categoryFocus(a, b, stamp, nc);

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
        nc = this.touch(j, stamp, nc);
        this.cf[j] += w * similar.scores[p];
      }
    }

    if (params.categoryWeight > 0 && b > a) nc = this.categoryCandidates(a, b, stamp, nc);

    // Extra sources (extension point), each normalised by its best score for this user.
    for (let x = 0; x < this.extraSources.length; x++) {
      const arr = this.extra[x];
      let max = 0;
      this.extraSources[x].scores(u, (it, score) => {
        if (!(score > 0) || it < 0 || it >= ds.nItems || this.excluded[it] === stamp || !ds.itemAvailable[it]) return;
        nc = this.touch(it, stamp, nc);
        arr[it] += score;
        if (arr[it] > max) max = arr[it];
      });
      this.extraMax[x] = max;
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
    const cfScale = maxCf > 0 ? 1 / maxCf : 0;
    const reScale = maxRe > 0 ? params.refindWeight / maxRe : 0;
    const popScale = maxPop > 0 ? params.popularityWeight / maxPop : 0;
    for (let c = 0; c < nc; c++) {
      const it = this.candidates[c];
      let score =
        this.cf[it] * cfScale +
        this.refind[it] * reScale +
        this.position[it] +
        this.intent[it] +
        popularity.score[it] * popScale +
        this.category[it] +
        this.focus[it] +
        this.dwell[it];
      for (let x = 0; x < this.extra.length; x++) {
        if (this.extraMax[x] > 0) score += (this.extraSources[x].weight * this.extra[x][it]) / this.extraMax[x];
      }
      heap.push(it, score);
    }
    const top = heap.drain();
    const items: number[] = Array.from(top.ids);
    const scores: number[] = Array.from(top.scores);
    const sources: number[] = items.map((it) => {
      // Provenance: the component contributing most.
      let best = this.cf[it] * cfScale;
      let src = SRC_ITEMCF;
      const re = this.refind[it] * reScale + this.position[it] + this.intent[it] + this.focus[it] + this.dwell[it];
      if (re > best) {
        best = re;
        src = SRC_REFIND;
      }
      if (this.category[it] > best) {
        best = this.category[it];
        src = SRC_CATEGORY;
      }
      for (let x = 0; x < this.extra.length; x++) {
        const v = this.extraMax[x] > 0 ? (this.extraSources[x].weight * this.extra[x][it]) / this.extraMax[x] : 0;
        if (v > best) {
          best = v;
          src = sourceCode(this.extraSources[x].source);
        }
      }
      return src;
    });
    for (const it of items) this.mark[it] = -stamp; // now "taken": fills skip them

    if (fill && items.length < n) this.fill(u, n, stamp, items, scores, sources);
    return { items: Int32Array.from(items), scores: Float32Array.from(scores), sources: Uint8Array.from(sources) };
  }

  /**
   * Category focus of the touched candidates (candidates[0, nTouched)): the share of the last
   * focusEvents events in each one's category.
   */
  private categoryFocus(a: number, b: number, stamp: number, nTouched: number): void {
    const { ds, params } = this.model;
    if (!(params.focusWeight > 0) || ds.categories.length === 0) return;
    const want = Math.max(1, Math.round(params.focusEvents));
    let seen = 0;
    for (let k = b - 1; k >= a && seen < want; k--, seen++) {
      const c = ds.itemCategory[ds.evItem[k]];
      if (c < 0) continue;
      if (this.catStamp[c] !== stamp) {
        this.catStamp[c] = stamp;
        this.catCount[c] = 0;
      }
      this.catCount[c]++;
    }
    for (let x = 0; x < nTouched; x++) {
      const it = this.candidates[x];
      const c = ds.itemCategory[it];
      if (c >= 0 && this.catStamp[c] === stamp) this.focus[it] += (params.focusWeight * this.catCount[c]) / seen;
    }
  }

  /**
   * Popular items of the categories of the user's most recent distinct items: category weight
   * seedDecay^(distinct-category position), item score categoryWeight x category weight x
   * popularity / the category's best.
   */
  private categoryCandidates(a: number, b: number, stamp: number, nc: number): number {
    const { ds, params, fallback } = this.model;
    const rows = fallback.categoryLists.category_popular;
    if (!rows) return nc;
    let w = 1;
    let used = 0;
    const maxCategories = 3;
    for (let k = b - 1; k >= a && used < maxCategories; k--) {
      const c = ds.itemCategory[ds.evItem[k]];
      if (c < 0 || this.catMark[c] === stamp) continue;
      this.catMark[c] = stamp;
      used++;
      const from = rows.indptr[c];
      const to = Math.min(rows.indptr[c + 1], from + params.categoryCandidates);
      const best = to > from ? rows.scores[from] : 0;
      if (best > 0) {
        for (let p = from; p < to; p++) {
          const it = rows.indices[p];
          if (this.excluded[it] === stamp || !ds.itemAvailable[it]) continue;
          nc = this.touch(it, stamp, nc);
          this.category[it] += (params.categoryWeight * w * rows.scores[p]) / best;
        }
      }
      w *= params.seedDecay;
    }
    return nc;
  }

  /**
   * Appends along the user's segment chain (the shared resolver; touched items are candidates
   * already, so `refind` adds nothing here), then the full popularity order, with decreasing scores.
   */
  private fill(u: number, n: number, stamp: number, items: number[], scores: number[], sources: number[]): void {
    const { ds, fallback, popularity, policy, favourites } = this.model;
    const segment: Segment = u >= 0 ? SEGMENTS[this.model.segments[u]] : 'new';
    let score = scores.length > 0 ? Math.min(scores[scores.length - 1], 1) : 1;
    const take = (list: ArrayLike<number>, src: number): boolean => {
      for (let x = 0; x < list.length && items.length < n; x++) {
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
    const ctx = {
      segment,
      categories: () => (u >= 0 ? favourites.indices.subarray(favourites.indptr[u], favourites.indptr[u + 1]) : new Int32Array(0)),
      refind: () => [],
    };
    // Quotas (`max` per step) are the service's business at answer time; evaluation fills plainly.
    for (const { step } of policy.fallbacks[segment]) {
      const { source, lists } = stepLists(fallback, step, ctx);
      const src = isPackedSource(source) ? sourceCode(source) : SRC_POPULAR; // segment:<name> packs as popular
      for (const list of lists) if (take(list, src)) return;
    }
    // Past the stored list length: the full popularity order, so a list is never short while
    // the catalogue has available items someone interacted with.
    take(popularity.order, SRC_POPULAR);
  }
}
