/**
 * The per-user value a version stores in the cache: compact binary, item indices into the
 * version's item dictionary (see versionMeta.ts), quantized scores, one-byte source codes.
 *
 * Layout (little endian), format 2:
 *   u8 format | u8 segment code | f32 maxScore
 *   features: u32 firstSeen (epoch s) | u32 lastSeen (epoch s) | u16 distinctItems | u16 purchases
 *             | f32 monetary | u8 rfm (0..254 = 0..1, 255 = not a purchaser)
 *   u8 nCategories | nCategories x u32 category index (favourite first)
 *   u16 nRefind    | nRefind x u32 item index (touched, not bought; most recent first)
 *   u16 nBought    | nBought x u32 item index (bought before the version's "now")
 *   u16 nItems     | nItems x u32 item index | nItems x u16 score (score / maxScore * 65535) | nItems x u8 source
 */
import { SEGMENTS, Segment } from '../domain/types';

export const PACKED_FORMAT = 2;
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

export interface UserRecommendations {
  segment: Segment;
  features?: UserFeatureSnapshot;
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

export function encodeUserRecommendations(rec: UserRecommendations): Buffer {
  const nCats = Math.min(rec.categories.length, 255);
  const nRefind = Math.min(rec.refind.length, MAX_U16);
  const nBought = Math.min(rec.bought.length, MAX_U16);
  const nItems = Math.min(rec.items.length, MAX_U16);
  const size = 1 + 1 + 4 + FEATURES_BYTES + 1 + 4 * nCats + 2 + 4 * nRefind + 2 + 4 * nBought + 2 + nItems * (4 + 2 + 1);
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  let maxScore = 0;
  for (let i = 0; i < nItems; i++) if (rec.scores[i] > maxScore) maxScore = rec.scores[i];
  o = buf.writeUInt8(PACKED_FORMAT, o);
  o = buf.writeUInt8(segmentCode(rec.segment), o);
  o = buf.writeFloatLE(maxScore, o);
  const f = rec.features;
  const secs = (ms: number | undefined) => (ms !== undefined && Number.isFinite(ms) ? Math.max(0, Math.min(0xffffffff, Math.round(ms / 1000))) : 0);
  o = buf.writeUInt32LE(secs(f?.firstSeen), o);
  o = buf.writeUInt32LE(secs(f?.lastSeen), o);
  o = buf.writeUInt16LE(Math.min(MAX_U16, f?.distinctItems ?? 0), o);
  o = buf.writeUInt16LE(Math.min(MAX_U16, f?.purchases ?? 0), o);
  o = buf.writeFloatLE(f?.monetary ?? 0, o);
  o = buf.writeUInt8(f?.rfm === null || f?.rfm === undefined || !Number.isFinite(f.rfm) ? 255 : Math.round(Math.min(1, Math.max(0, f.rfm)) * 254), o);
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

export function decodeUserRecommendations(buf: Buffer): UserRecommendations {
  let o = 0;
  const format = buf.readUInt8(o);
  o += 1;
  if (format !== PACKED_FORMAT) throw new Error(`unsupported packed list format ${format}`);
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
