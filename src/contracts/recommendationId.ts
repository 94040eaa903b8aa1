/**
 * Self-describing recommendation ids: everything feedback attribution needs (when, which variant,
 * which segment, whose list) travels inside the id, so answering a request writes nothing.
 *
 * `r` + base64url(18 bytes): u8 format | u32 issued (epoch s) | u16 experiment tag | u8 variant
 * index (255 = none) | u8 segment code + 16 x placement code | u32 user key | 2 bytes random per
 * process | u24 counter. Format 1 ids (no placement) read as `home`.
 * (A per-process counter behind a random process tag keeps ids distinct without drawing random
 * bytes for every answer.)
 */
import { randomBytes } from 'crypto';
import { PLACEMENTS, SEGMENTS, type Placement, type Segment } from '../domain/types';
import { experimentTag, fnv1a32 } from '../util/hash';
import { segmentCode } from './packedList';

const FORMAT = 2;
const BYTES = 18;
const NO_VARIANT = 255;
const PROCESS_TAG = randomBytes(2).readUInt16BE(0);
let counter = randomBytes(3).readUIntBE(0, 3);

export interface RecommendationRef {
  issuedAt: number;
  experimentTag: number;
  variantIndex: number;
  segment: Segment;
  placement: Placement;
  /** Hex of a 32-bit hash of the user id: links a click to the user's later purchase event. */
  userKey: string;
}

export function userKeyOf(userId: string): string {
  return fnv1a32(userId).toString(16).padStart(8, '0');
}

/** Scratch for encodeRecommendationId (synchronous, so one buffer serves every answer). */
const idBytes = Buffer.allocUnsafeSlow(BYTES);

export function encodeRecommendationId(ref: {
  issuedAt: number;
  experiment: string | null;
  variantIndex: number;
  segment: Segment;
  placement?: Placement;
  userId: string;
}): string {
  idBytes.writeUInt8(FORMAT, 0);
  idBytes.writeUInt32BE(Math.floor(ref.issuedAt / 1000) >>> 0, 1);
  idBytes.writeUInt16BE(experimentTag(ref.experiment), 5);
  idBytes.writeUInt8(ref.variantIndex < 0 ? NO_VARIANT : ref.variantIndex, 7);
  idBytes.writeUInt8(segmentCode(ref.segment) | (PLACEMENTS.indexOf(ref.placement ?? 'home') << 4), 8);
  idBytes.writeUInt32BE(fnv1a32(ref.userId), 9);
  idBytes.writeUInt16BE(PROCESS_TAG, 13);
  counter = (counter + 1) & 0xffffff;
  idBytes.writeUIntBE(counter, 15, 3);
  return `r${idBytes.toString('base64url')}`;
}

/** Null when the id is not one this service issued (wrong shape or format). */
export function decodeRecommendationId(id: string): RecommendationRef | null {
  if (typeof id !== 'string' || id.length !== 25 || id[0] !== 'r' || !/^[A-Za-z0-9_-]+$/.test(id.slice(1))) return null;
  const b = Buffer.from(id.slice(1), 'base64url');
  const format = b.length === BYTES ? b.readUInt8(0) : 0;
  if (format !== 1 && format !== FORMAT) return null;
  const segment = SEGMENTS[b.readUInt8(8) & 0x0f];
  const placement = format === 1 ? 'home' : PLACEMENTS[b.readUInt8(8) >> 4];
  if (!segment || !placement || (format === 1 && b.readUInt8(8) > 0x0f)) return null;
  const v = b.readUInt8(7);
  return {
    issuedAt: b.readUInt32BE(1) * 1000,
    experimentTag: b.readUInt16BE(5),
    variantIndex: v === NO_VARIANT ? -1 : v,
    segment,
    placement,
    userKey: b.readUInt32BE(9).toString(16).padStart(8, '0'),
  };
}
