/**
 * The per-user value a version stores in the cache: compact binary, item indices into the
 * version's item dictionary (see versionMeta.ts), quantized scores, packed source codes.
 *
 * Layout, format 4 (little endian; "var" = unsigned LEB128 varint):
 *   u8 format (4) | u8 segment code | u8 index width W (2, 3 or 4 bytes) | f32 maxScore
 *   features: u32 lastSeen (epoch s) | var (lastSeen - firstSeen) s, zigzag | var distinctItems
 *             | var purchases | f32 monetary | u8 rfm (0..254 = 0..1, 255 = not a purchaser)
 *   profile:  u8 price band (0 unknown, 1 + PRICE_BANDS index) + 4 x dominant event type code
 *             | var purchase cadence in tenths of a day + 1 (0 = fewer than two purchases)
 *   var nCategories | nCategories x uW category index (favourite first)
 *   var nRefind     | nRefind x uW item index (touched, not bought; most recent first)
 *   var nBought     | nBought x var item index, ascending, delta from the previous (a set)
 *   var nItems      | nItems x uW item index | nItems x u8 score | ceil(nItems / 2) x u8 source pairs
 *     score byte q: score = (q / 255)^2 * maxScore (square-root scale: finer at the low end); equal
 *     bytes of neighbouring ranks decode to strictly decreasing scores, so the stored rank order
 *     survives quantization. Sources: 4 bits each, low nibble first.
 * 50 items, 3 categories, a few refind/bought items: about 200 bytes for a 20k-item catalogue, which
 * keeps Redis's allocation per user (hash field + value) under 400 bytes.
 *
 * Format 3 (format 4 without the profile) and format 2 (u32 indices, u16 scores, u8 sources) are
 * still decoded, so a version published before an upgrade keeps serving.
 */
import { EVENT_TYPES, PRICE_BANDS, SEGMENTS, type EventType, type PriceBand, type Segment } from '../domain/types';

export const PACKED_FORMAT = 4;
/** Format 4 without the profile: still decoded. */
export const PACKED_FORMAT_V3 = 3;
/** The previous layout: still decoded (versions published before an upgrade). */
export const PACKED_FORMAT_V2 = 2;
const MAX_U16 = 65535;
const FEATURES_BYTES = 4 + 4 + 2 + 2 + 4 + 1;

/** The facts behind a user's segment at training time (shown by /debug/users/:id). */
export interface UserFeatureSnapshot {
  /** Epoch ms (second precision). */
  firstSeen: number;
  lastSeen: number;
  distinctItems: number;
  purchases: number;
  monetary: number;
  /** RFM score among purchasers, 0..1; null for users who never bought. */
  rfm: number | null;
}

/** The playbook's portrait of a shopper at training time (favourite categories travel beside it). */
export interface UserProfileSnapshot {
  priceBand: PriceBand | null;
  /** Median days between purchases (tenth-of-a-day precision); null with fewer than two. */
  purchaseCadenceDays: number | null;
  dominantEventType: EventType;
}

export interface UserRecommendations {
  segment: Segment;
  features?: UserFeatureSnapshot;
  profile?: UserProfileSnapshot;
  /** Favourite category indices, best first. */
  categories: number[];
  /** Items the user viewed, favourited or carted and did not buy, most recent first. */
  refind: number[];
  /** Items never shown to the user again: bought ones, or with `excludeInteracted: all` every past item. */
  bought: number[];
  /** Ranked personal list: item indices, best first. */
  items: Int32Array;
  scores: Float32Array;
  /** Source codes (see sources.ts). */
  sources: Uint8Array;
}

export function segmentCode(segment: Segment): number {
  return SEGMENTS.indexOf(segment);
}

/** Format 2 encoder: kept to test that values of older versions still decode. */
export function encodeUserRecommendationsV2(rec: UserRecommendations): Buffer {
  const nCats = Math.min(rec.categories.length, 255);
  const nRefind = Math.min(rec.refind.length, MAX_U16);
  const nBought = Math.min(rec.bought.length, MAX_U16);
  const nItems = Math.min(rec.items.length, MAX_U16);
  const size = 1 + 1 + 4 + FEATURES_BYTES + 1 + 4 * nCats + 2 + 4 * nRefind + 2 + 4 * nBought + 2 + nItems * (4 + 2 + 1);
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  let maxScore = 0;
  for (let i = 0; i < nItems; i++) if (rec.scores[i] > maxScore) maxScore = rec.scores[i];
  o = buf.writeUInt8(PACKED_FORMAT_V2, o);
  o = buf.writeUInt8(segmentCode(rec.segment), o);
  o = buf.writeFloatLE(maxScore, o);
  const f = rec.features;
  const secs = (ms: number | undefined) =>
    ms !== undefined && Number.isFinite(ms) ? Math.max(0, Math.min(0xffffffff, Math.round(ms / 1000))) : 0;
  o = buf.writeUInt32LE(secs(f?.firstSeen), o);
  o = buf.writeUInt32LE(secs(f?.lastSeen), o);
  o = buf.writeUInt16LE(Math.min(MAX_U16, f?.distinctItems ?? 0), o);
  o = buf.writeUInt16LE(Math.min(MAX_U16, f?.purchases ?? 0), o);
  o = buf.writeFloatLE(f?.monetary ?? 0, o);
  o = buf.writeUInt8(
    f?.rfm === null || f?.rfm === undefined || !Number.isFinite(f.rfm) ? 255 : Math.round(Math.min(1, Math.max(0, f.rfm)) * 254),
    o,
  );
  o = buf.writeUInt8(nCats, o);
  for (let i = 0; i < nCats; i++) o = buf.writeUInt32LE(rec.categories[i], o);
  o = buf.writeUInt16LE(nRefind, o);
  for (let i = 0; i < nRefind; i++) o = buf.writeUInt32LE(rec.refind[i], o);
  o = buf.writeUInt16LE(nBought, o);
  for (let i = 0; i < nBought; i++) o = buf.writeUInt32LE(rec.bought[i], o);
  o = buf.writeUInt16LE(nItems, o);
  for (let i = 0; i < nItems; i++) o = buf.writeUInt32LE(rec.items[i], o);
  for (let i = 0; i < nItems; i++) {
    const q = maxScore > 0 ? Math.round((Math.max(rec.scores[i], 0) / maxScore) * MAX_U16) : 0;
    o = buf.writeUInt16LE(q, o);
  }
  for (let i = 0; i < nItems; i++) o = buf.writeUInt8(rec.sources[i], o);
  return buf;
}

function decodeV2(buf: Buffer): UserRecommendations {
  let o = 1;
  const segment = SEGMENTS[buf.readUInt8(o)];
  o += 1;
  if (!segment) throw new Error('packed list has an unknown segment code');
  const maxScore = buf.readFloatLE(o);
  o += 4;
  const rfmByte = buf.readUInt8(o + 16);
  const features: UserFeatureSnapshot = {
    firstSeen: buf.readUInt32LE(o) * 1000,
    lastSeen: buf.readUInt32LE(o + 4) * 1000,
    distinctItems: buf.readUInt16LE(o + 8),
    purchases: buf.readUInt16LE(o + 10),
    monetary: buf.readFloatLE(o + 12),
    rfm: rfmByte === 255 ? null : rfmByte / 254,
  };
  o += FEATURES_BYTES;
  const readIndices = (n: number) => {
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++, o += 4) out[i] = buf.readUInt32LE(o);
    return out;
  };
  const nCats = buf.readUInt8(o);
  o += 1;
  const categories = readIndices(nCats);
  const nRefind = buf.readUInt16LE(o);
  o += 2;
  const refind = readIndices(nRefind);
  const nBought = buf.readUInt16LE(o);
  o += 2;
  const bought = readIndices(nBought);
  const nItems = buf.readUInt16LE(o);
  o += 2;
  const items = new Int32Array(nItems);
  const scores = new Float32Array(nItems);
  const sources = new Uint8Array(nItems);
  for (let i = 0; i < nItems; i++, o += 4) items[i] = buf.readUInt32LE(o);
  for (let i = 0; i < nItems; i++, o += 2) scores[i] = (buf.readUInt16LE(o) / MAX_U16) * maxScore;
  for (let i = 0; i < nItems; i++, o += 1) sources[i] = buf.readUInt8(o);
  return { segment, features, categories, refind, bought, items, scores, sources };
}

const MAX_SOURCE_CODE = 15;
const MAX_COUNT = 0xffff;
/** Upper bound of a varint's length (a u32 needs at most 5 bytes). */
const VAR_MAX = 5;

function indexWidth(max: number): number {
  return max < 0x10000 ? 2 : max < 0x1000000 ? 3 : 4;
}

function checkIndex(i: number, what: string): number {
  if (!Number.isInteger(i) || i < 0 || i > 0xffffffff) throw new Error(`packed list: invalid ${what} index ${i}`);
  return i;
}

/** Secs of an epoch-ms time, clamped to u32 (0 for missing). */
function secs(ms: number | undefined): number {
  return ms !== undefined && Number.isFinite(ms) ? Math.max(0, Math.min(0xffffffff, Math.round(ms / 1000))) : 0;
}

export function encodeUserRecommendations(rec: UserRecommendations): Buffer {
  const nCats = Math.min(rec.categories.length, 255);
  const nRefind = Math.min(rec.refind.length, MAX_COUNT);
  const nItems = Math.min(rec.items.length, MAX_COUNT);
  // The bought list is a set: ascending deltas are small varints, so it needs no tight cap.
  const bought = Uint32Array.from(rec.bought.slice(0, MAX_COUNT), (i) => checkIndex(i, 'bought')).sort();
  const nBought = bought.length;
  let maxIndex = 0;
  for (let i = 0; i < nCats; i++) maxIndex = Math.max(maxIndex, checkIndex(rec.categories[i], 'category'));
  for (let i = 0; i < nRefind; i++) maxIndex = Math.max(maxIndex, checkIndex(rec.refind[i], 'refind'));
  for (let i = 0; i < nItems; i++) maxIndex = Math.max(maxIndex, checkIndex(rec.items[i], 'item'));
  const w = indexWidth(maxIndex);
  let maxScore = 0;
  for (let i = 0; i < nItems; i++) if (rec.scores[i] > maxScore) maxScore = rec.scores[i];

  const size =
    4 +
    4 +
    (4 + VAR_MAX * 3 + 4 + 1) +
    (1 + VAR_MAX) +
    VAR_MAX * 4 +
    w * (nCats + nRefind + nItems) +
    VAR_MAX * nBought +
    nItems +
    Math.ceil(nItems / 2);
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  const varint = (v: number) => {
    while (v >= 0x80) {
      buf[o++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[o++] = v;
  };
  const index = (v: number) => {
    buf.writeUIntLE(v, o, w);
    o += w;
  };
  buf[o++] = PACKED_FORMAT;
  buf[o++] = segmentCode(rec.segment);
  buf[o++] = w;
  o = buf.writeFloatLE(maxScore, o);
  const f = rec.features;
  const last = secs(f?.lastSeen);
  const first = secs(f?.firstSeen);
  const gap = last - first;
  o = buf.writeUInt32LE(last, o);
  varint(gap >= 0 ? gap * 2 : -gap * 2 - 1);
  varint(Math.min(0xffffffff, Math.max(0, Math.round(f?.distinctItems ?? 0))));
  varint(Math.min(0xffffffff, Math.max(0, Math.round(f?.purchases ?? 0))));
  o = buf.writeFloatLE(f?.monetary ?? 0, o);
  buf[o++] = f?.rfm === null || f?.rfm === undefined || !Number.isFinite(f.rfm) ? 255 : Math.round(Math.min(1, Math.max(0, f.rfm)) * 254);
  const p = rec.profile;
  buf[o++] =
    (p?.priceBand ? PRICE_BANDS.indexOf(p.priceBand) + 1 : 0) + 4 * Math.max(0, EVENT_TYPES.indexOf(p?.dominantEventType ?? 'view'));
  const cadence = p?.purchaseCadenceDays;
  varint(
    cadence === null || cadence === undefined || !Number.isFinite(cadence)
      ? 0
      : Math.min(0xffffffff, Math.round(Math.max(0, cadence) * 10) + 1),
  );
  varint(nCats);
  for (let i = 0; i < nCats; i++) index(rec.categories[i]);
  varint(nRefind);
  for (let i = 0; i < nRefind; i++) index(rec.refind[i]);
  varint(nBought);
  for (let i = 0, prev = 0; i < nBought; i++) {
    varint(bought[i] - prev);
    prev = bought[i];
  }
  varint(nItems);
  for (let i = 0; i < nItems; i++) index(rec.items[i]);
  for (let i = 0; i < nItems; i++) {
    const r = maxScore > 0 ? Math.max(rec.scores[i], 0) / maxScore : 0;
    buf[o++] = Math.round(Math.sqrt(Math.min(1, r)) * 255);
  }
  for (let i = 0; i < nItems; i += 2) {
    const a = rec.sources[i];
    const b = i + 1 < nItems ? rec.sources[i + 1] : 0;
    if (a > MAX_SOURCE_CODE || b > MAX_SOURCE_CODE) throw new Error(`packed list: source code above ${MAX_SOURCE_CODE}`);
    buf[o++] = a | (b << 4);
  }
  return buf.subarray(0, o);
}

/** Decodes a packed list (format 3, or the older format 2). */
export function decodeUserRecommendations(buf: Buffer): UserRecommendations {
  const format = buf[0];
  if (format === PACKED_FORMAT || format === PACKED_FORMAT_V3) return decodeV3(buf);
  if (format === PACKED_FORMAT_V2) return decodeV2(buf);
  throw new Error(`unsupported packed list format ${format}`);
}

/** Relative step that keeps equal score bytes of neighbouring ranks in rank order. */
const TIE_STEP = 4e-7;

/**
 * Read position over a packed list. Decoding is synchronous, so one module-level cursor serves every
 * call (the request path decodes a list per answer; closures per call showed in its profile).
 */
class Cursor {
  static readonly EMPTY = Buffer.alloc(0);
  buf: Buffer = Cursor.EMPTY;
  o = 0;
  /** Index width in bytes (2, 3 or 4). */
  w = 2;

  reset(buf: Buffer, o: number, w: number): void {
    this.buf = buf;
    this.o = o;
    this.w = w;
  }

  need(n: number): void {
    if (this.o + n > this.buf.length) throw new Error('packed list is truncated');
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (this.o >= this.buf.length) throw new Error('packed list is truncated');
      const b = this.buf[this.o++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 35) throw new Error('packed list has an overlong varint');
    }
  }

  /** `n` little-endian indices of the list's width into `out` (an array or a typed array). */
  indicesInto(n: number, out: { [i: number]: number }): void {
    const { buf, w } = this;
    this.need(n * w);
    let o = this.o;
    if (w === 2) for (let i = 0; i < n; i++, o += 2) out[i] = buf[o] | (buf[o + 1] << 8);
    else for (let i = 0; i < n; i++, o += w) out[i] = buf.readUIntLE(o, w);
    this.o = o;
  }

  indices(n: number): number[] {
    const out = new Array<number>(n);
    this.indicesInto(n, out);
    return out;
  }
}

const cursor = new Cursor();

function decodeV3(buf: Buffer): UserRecommendations {
  const segment = SEGMENTS[buf[1]];
  if (!segment) throw new Error('packed list has an unknown segment code');
  const w = buf[2];
  if (w !== 2 && w !== 3 && w !== 4) throw new Error(`packed list has an invalid index width ${w}`);
  const maxScore = buf.readFloatLE(3);
  const c = cursor;
  c.reset(buf, 7, w);
  c.need(4);
  const lastSeen = buf.readUInt32LE(c.o);
  c.o += 4;
  const gapZ = c.varint();
  const gap = gapZ % 2 === 0 ? gapZ / 2 : -(gapZ + 1) / 2;
  const distinctItems = c.varint();
  const purchases = c.varint();
  c.need(5);
  const monetary = buf.readFloatLE(c.o);
  const rfmByte = buf[c.o + 4];
  c.o += 5;
  const features: UserFeatureSnapshot = {
    firstSeen: (lastSeen - gap) * 1000,
    lastSeen: lastSeen * 1000,
    distinctItems,
    purchases,
    monetary,
    rfm: rfmByte === 255 ? null : rfmByte / 254,
  };
  let profile: UserProfileSnapshot | undefined;
  if (buf[0] === PACKED_FORMAT) {
    c.need(1);
    const bits = buf[c.o++];
    const cadence = c.varint();
    profile = {
      priceBand: bits % 4 ? (PRICE_BANDS[(bits % 4) - 1] ?? null) : null,
      purchaseCadenceDays: cadence ? (cadence - 1) / 10 : null,
      dominantEventType: EVENT_TYPES[bits >> 2] ?? 'view',
    };
  }
  const categories = c.indices(c.varint());
  const refind = c.indices(c.varint());
  const nBought = c.varint();
  const bought = new Array<number>(nBought);
  for (let i = 0, prev = 0; i < nBought; i++) bought[i] = prev += c.varint();
  const nItems = c.varint();
  c.need(nItems * w + nItems + Math.ceil(nItems / 2));
  // One allocation for the three arrays (a typed array's own buffer costs more than a view of one).
  const block = new ArrayBuffer(nItems * 9);
  const items = new Int32Array(block, 0, nItems);
  const scores = new Float32Array(block, nItems * 4, nItems);
  const sources = new Uint8Array(block, nItems * 8, nItems);
  c.indicesInto(nItems, items);
  let o = c.o;
  let prevQ = -1;
  let prevScore = 0;
  for (let i = 0; i < nItems; i++, o++) {
    const q = buf[o];
    const r = q / 255;
    let score = r * r * maxScore;
    if (q === prevQ && score > 0) score = prevScore * (1 - TIE_STEP);
    scores[i] = score;
    prevQ = q;
    prevScore = scores[i];
  }
  for (let i = 0; i < nItems; i += 2, o++) {
    const b = buf[o];
    sources[i] = b & 0x0f;
    if (i + 1 < nItems) sources[i + 1] = b >> 4;
  }
  c.reset(Cursor.EMPTY, 0, w); // do not hold the request's buffer until the next decode
  return { segment, features, ...(profile ? { profile } : {}), categories, refind, bought, items, scores, sources };
}
