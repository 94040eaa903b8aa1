/**
 * Events -> integer-indexed, typed-array dataset. Users and items are interned into dense indices
 * as batches stream in, so the trainer never holds the events as objects; every model below works
 * on these arrays and on CSR matrices built from them.
 */
import { EVENT_TYPES, type EventType, type Item, type StoreEvent } from '../../src/domain/types';
import type { Policy } from '../../src/config/policy';

export const DAY_MS = 24 * 3600 * 1000;

/** Event type codes stored per event: index into EVENT_TYPES (view 0, fav 1, cart 2, purchase 3). */
export const TYPE_VIEW = 0;
export const TYPE_FAV = 1;
export const TYPE_CART = 2;
export const TYPE_PURCHASE = 3;

export function typeCode(type: EventType): number {
  const c = EVENT_TYPES.indexOf(type);
  if (c < 0) throw new Error(`unknown event type ${String(type)}`);
  return c;
}

const NUMERIC_ID = /^-?\d+(\.\d+)?$/;

/**
 * Item id order used for every tie (SPEC: "ties go to the smaller item id"): numeric when both ids
 * are numeric strings, otherwise plain string order.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  if (NUMERIC_ID.test(a) && NUMERIC_ID.test(b)) {
    const d = Number(a) - Number(b);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a < b ? -1 : 1;
}

export interface Dataset {
  userIds: string[];
  itemIds: string[];
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
  nUsers: number;
  nItems: number;
  nEvents: number;
  /** Per event, grouped by user and sorted by (ts, arrival order) within a user. */
  evUser: Int32Array;
  evItem: Int32Array;
  evType: Uint8Array;
  evTs: Float64Array;
  /** Events of user u are [userStart[u], userStart[u + 1]). */
  userStart: Int32Array;
  categories: string[];
  /** Category index per item, -1 when unknown. */
  itemCategory: Int32Array;
  /** 1 when available (items known only from events are available). */
  itemAvailable: Uint8Array;
  /** Price per item, NaN when unknown. */
  itemPrice: Float64Array;
  /** Catalogue createdAt per item (epoch ms), NaN when unknown. */
  itemCreatedAt: Float64Array;
  /** First event timestamp per item, NaN when never seen in events. */
  itemFirstSeen: Float64Array;
  /** Position of each item in id order (compareIds); smaller wins ties. */
  itemOrder: Int32Array;
  /** "Now" for decay and segments: newest event ts unless overridden. */
  now: number;
}

/** A users x items (or items x users) sparse matrix; rows sorted by column index. */
export interface WeightedCsr {
  nRows: number;
  nCols: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
}

function growI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
function growF64(a: Float64Array, n: number, fill?: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  if (fill !== undefined) b.fill(fill, a.length);
  b.set(a);
  return b;
}

export class DatasetBuilder {
  private readonly userIndex = new Map<string, number>();
  private readonly userIds: string[] = [];
  private readonly itemIndex = new Map<string, number>();
  private readonly itemIds: string[] = [];
  private readonly categoryIndex = new Map<string, number>();
  private readonly categories: string[] = [];

  private n = 0;
  private evUser = new Int32Array(1024);
  private evItem = new Int32Array(1024);
  private evType = new Uint8Array(1024);
  private evTs = new Float64Array(1024);

  private itemCategory = new Int32Array(256).fill(-1);
  private itemAvailable = new Uint8Array(256).fill(1);
  private itemPrice = new Float64Array(256).fill(NaN);
  private itemCreatedAt = new Float64Array(256).fill(NaN);

  private internUser(id: string): number {
    let u = this.userIndex.get(id);
    if (u === undefined) {
      u = this.userIds.length;
      this.userIndex.set(id, u);
      this.userIds.push(id);
    }
    return u;
  }

  private internItem(id: string): number {
    let i = this.itemIndex.get(id);
    if (i === undefined) {
      i = this.itemIds.length;
      this.itemIndex.set(id, i);
      this.itemIds.push(id);
      if (i >= this.itemCategory.length) {
        const cap = this.itemCategory.length * 2;
        const cat = new Int32Array(cap).fill(-1);
        cat.set(this.itemCategory);
        this.itemCategory = cat;
        const av = new Uint8Array(cap).fill(1);
        av.set(this.itemAvailable);
        this.itemAvailable = av;
        this.itemPrice = growF64(this.itemPrice, cap, NaN);
        this.itemCreatedAt = growF64(this.itemCreatedAt, cap, NaN);
      }
    }
    return i;
  }

  private internCategory(name: string): number {
    let c = this.categoryIndex.get(name);
    if (c === undefined) {
      c = this.categories.length;
      this.categoryIndex.set(name, c);
      this.categories.push(name);
    }
    return c;
  }

  /** Appends a batch of events; the batch objects are not retained. */
  add(events: StoreEvent[]): void {
    const need = this.n + events.length;
    if (need > this.evUser.length) this.grow(need);
    for (const e of events) {
      const k = this.n++;
      this.evUser[k] = this.internUser(e.userId);
      this.evItem[k] = this.internItem(e.itemId);
      this.evType[k] = typeCode(e.type);
      this.evTs[k] = e.ts;
    }
  }

  /**
   * Appends one event given field by field (type = index into EVENT_TYPES): the bulk loader's path,
   * decoding database rows straight into the typed arrays without event objects.
   */
  addEvent(userId: string, itemId: string, type: number, ts: number): void {
    if (this.n === this.evUser.length) this.grow(this.n + 1);
    if (!(type >= 0 && type < EVENT_TYPES.length)) throw new Error(`unknown event type code ${type}`);
    const k = this.n++;
    this.evUser[k] = this.internUser(userId);
    this.evItem[k] = this.internItem(itemId);
    this.evType[k] = type;
    this.evTs[k] = ts;
  }

  private grow(need: number): void {
    let cap = this.evUser.length;
    while (cap < need) cap *= 2;
    this.evUser = growI32(this.evUser, cap);
    this.evItem = growI32(this.evItem, cap);
    const t = new Uint8Array(cap);
    t.set(this.evType);
    this.evType = t;
    this.evTs = growF64(this.evTs, cap);
  }

  /** Catalogue facts; items listed here are part of the item space even without events. */
  addItems(items: Item[]): void {
    for (const it of items) {
      const i = this.internItem(it.itemId);
      this.itemCategory[i] = it.category == null || it.category === '' ? -1 : this.internCategory(it.category);
      this.itemAvailable[i] = it.available ? 1 : 0;
      this.itemPrice[i] = it.price == null ? NaN : it.price;
      this.itemCreatedAt[i] = it.createdAt == null ? NaN : it.createdAt;
    }
  }

  get eventCount(): number {
    return this.n;
  }

  build(opts: { now?: number } = {}): Dataset {
    const nUsers = this.userIds.length;
    const nItems = this.itemIds.length;
    const n = this.n;
    // Group by user (counting sort keeps arrival order), then sort each user's range by ts.
    const userStart = new Int32Array(nUsers + 1);
    for (let k = 0; k < n; k++) userStart[this.evUser[k] + 1]++;
    for (let u = 0; u < nUsers; u++) userStart[u + 1] += userStart[u];
    const cursor = userStart.slice(0, nUsers);
    const perm = new Int32Array(n);
    for (let k = 0; k < n; k++) perm[cursor[this.evUser[k]]++] = k;
    const ts = this.evTs;
    for (let u = 0; u < nUsers; u++) {
      const a = userStart[u];
      const b = userStart[u + 1];
      let sorted = true;
      for (let k = a + 1; k < b && sorted; k++) if (ts[perm[k]] < ts[perm[k - 1]]) sorted = false;
      if (!sorted) perm.subarray(a, b).sort((x, y) => ts[x] - ts[y] || x - y);
    }
    const evUser = new Int32Array(n);
    const evItem = new Int32Array(n);
    const evType = new Uint8Array(n);
    const evTs = new Float64Array(n);
    let newest = -Infinity;
    const itemFirstSeen = new Float64Array(nItems).fill(NaN);
    for (let k = 0; k < n; k++) {
      const s = perm[k];
      evUser[k] = this.evUser[s];
      const it = (evItem[k] = this.evItem[s]);
      evType[k] = this.evType[s];
      const t = (evTs[k] = this.evTs[s]);
      if (t > newest) newest = t;
      if (!(itemFirstSeen[it] <= t)) itemFirstSeen[it] = t;
    }
    const order = Array.from({ length: nItems }, (_, i) => i).sort((a, b) => compareIds(this.itemIds[a], this.itemIds[b]));
    const itemOrder = new Int32Array(nItems);
    order.forEach((item, pos) => (itemOrder[item] = pos));
    return {
      userIds: this.userIds.slice(),
      itemIds: this.itemIds.slice(),
      userIndex: new Map(this.userIndex),
      itemIndex: new Map(this.itemIndex),
      nUsers,
      nItems,
      nEvents: n,
      evUser,
      evItem,
      evType,
      evTs,
      userStart,
      categories: this.categories.slice(),
      itemCategory: this.itemCategory.slice(0, nItems),
      itemAvailable: this.itemAvailable.slice(0, nItems),
      itemPrice: this.itemPrice.slice(0, nItems),
      itemCreatedAt: this.itemCreatedAt.slice(0, nItems),
      itemFirstSeen,
      itemOrder,
      now: opts.now ?? (n > 0 ? newest : 0),
    };
  }
}

/**
 * The same dataset restricted to events with keep[k] = 1 (k in dataset event order). Dictionaries
 * and item facts are shared, so indices stay comparable with the full dataset (holdout scoring).
 */
export function filterDataset(ds: Dataset, keep: Uint8Array, opts: { now?: number } = {}): Dataset {
  let m = 0;
  for (let k = 0; k < ds.nEvents; k++) if (keep[k]) m++;
  const evUser = new Int32Array(m);
  const evItem = new Int32Array(m);
  const evType = new Uint8Array(m);
  const evTs = new Float64Array(m);
  const userStart = new Int32Array(ds.nUsers + 1);
  const itemFirstSeen = new Float64Array(ds.nItems).fill(NaN);
  let newest = -Infinity;
  let j = 0;
  for (let u = 0; u < ds.nUsers; u++) {
    userStart[u] = j;
    for (let k = ds.userStart[u]; k < ds.userStart[u + 1]; k++) {
      if (!keep[k]) continue;
      evUser[j] = u;
      const it = (evItem[j] = ds.evItem[k]);
      evType[j] = ds.evType[k];
      const t = (evTs[j] = ds.evTs[k]);
      if (t > newest) newest = t;
      if (!(itemFirstSeen[it] <= t)) itemFirstSeen[it] = t;
      j++;
    }
  }
  userStart[ds.nUsers] = j;
  return { ...ds, nEvents: m, evUser, evItem, evType, evTs, userStart, itemFirstSeen, now: opts.now ?? (m > 0 ? newest : ds.now) };
}

/** Interaction weight of one event: policy weight of its type times exponential time decay. */
export function eventWeights(ds: Dataset, policy: Policy, decay = true): Float32Array {
  const w = policy.eventWeights;
  const byType = [w.view, w.fav, w.cart, w.purchase];
  const halfLife = policy.training.decayHalfLifeDays * DAY_MS;
  const out = new Float32Array(ds.nEvents);
  for (let k = 0; k < ds.nEvents; k++) {
    const age = Math.max(0, ds.now - ds.evTs[k]);
    out[k] = byType[ds.evType[k]] * (decay ? Math.pow(0.5, age / halfLife) : 1);
  }
  return out;
}

export interface MatrixOptions {
  /** How repeated (user, item) events combine: summed, or the strongest one. */
  combine?: 'sum' | 'max';
  /** Apply time decay (default true). */
  decay?: boolean;
  /** Event weights to use instead of eventWeights(ds, policy, decay). */
  weights?: Float32Array;
}

/** Weighted users x items matrix, one entry per distinct (user, item) pair. */
export function userItemMatrix(ds: Dataset, policy: Policy, opts: MatrixOptions = {}): WeightedCsr {
  const combine = opts.combine ?? 'max';
  const w = opts.weights ?? eventWeights(ds, policy, opts.decay ?? true);
  // Dense accumulator over items, reset through the touched list: O(events) plus row sorts.
  const acc = new Float32Array(ds.nItems);
  const seen = new Uint8Array(ds.nItems);
  const touched = new Int32Array(ds.nItems);
  const indptr = new Int32Array(ds.nUsers + 1);
  let cap = Math.max(16, ds.nEvents);
  let indices = new Int32Array(cap);
  let data = new Float32Array(cap);
  let nnz = 0;
  for (let u = 0; u < ds.nUsers; u++) {
    let nt = 0;
    for (let k = ds.userStart[u]; k < ds.userStart[u + 1]; k++) {
      const it = ds.evItem[k];
      if (!seen[it]) {
        seen[it] = 1;
        acc[it] = 0;
        touched[nt++] = it;
      }
      acc[it] = combine === 'sum' ? acc[it] + w[k] : Math.max(acc[it], w[k]);
    }
    const row = touched.subarray(0, nt).sort();
    if (nnz + nt > cap) {
      cap = Math.max(cap * 2, nnz + nt);
      indices = growI32(indices, cap);
      const d = new Float32Array(cap);
      d.set(data);
      data = d;
    }
    for (let r = 0; r < nt; r++) {
      const it = row[r];
      indices[nnz] = it;
      data[nnz++] = acc[it];
      seen[it] = 0;
    }
    indptr[u + 1] = nnz;
  }
  return { nRows: ds.nUsers, nCols: ds.nItems, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) };
}

/** Transpose in O(nnz); rows of the result come out sorted because source rows are scanned in order. */
export function transpose(m: WeightedCsr): WeightedCsr {
  const indptr = new Int32Array(m.nCols + 1);
  const nnz = m.indptr[m.nRows];
  for (let k = 0; k < nnz; k++) indptr[m.indices[k] + 1]++;
  for (let c = 0; c < m.nCols; c++) indptr[c + 1] += indptr[c];
  const cursor = indptr.slice(0, m.nCols);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      const p = cursor[m.indices[k]]++;
      indices[p] = r;
      data[p] = m.data[k];
    }
  }
  return { nRows: m.nCols, nCols: m.nRows, indptr, indices, data };
}

/**
 * Per matrix entry, the position of that item in its user's sequence of distinct items ordered by
 * latest interaction (0 = oldest). Lets item-item co-occurrence favour items used close together.
 */
export function entryPositions(ds: Dataset, ui: WeightedCsr): Float32Array {
  const out = new Float32Array(ui.indptr[ui.nRows]);
  const last = new Int32Array(ds.nItems).fill(-1);
  const pos = new Int32Array(ds.nItems);
  for (let u = 0; u < ui.nRows; u++) {
    const a = ds.userStart[u];
    const b = ds.userStart[u + 1];
    for (let k = a; k < b; k++) last[ds.evItem[k]] = k;
    // Walking events in order and counting each item at its last occurrence yields the ranks.
    let r = 0;
    for (let k = a; k < b; k++) if (last[ds.evItem[k]] === k) pos[ds.evItem[k]] = r++;
    for (let p = ui.indptr[u]; p < ui.indptr[u + 1]; p++) out[p] = pos[ui.indices[p]];
    for (let k = a; k < b; k++) last[ds.evItem[k]] = -1;
  }
  return out;
}
