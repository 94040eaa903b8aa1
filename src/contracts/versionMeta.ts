/**
 * Everything the service needs about one model version besides per-user lists: the item
 * dictionary, catalogue facts frozen at training time, item neighbours and the fallback lists.
 * Loaded once per version switch, never per request.
 *
 * Binary form: u32 header length | JSON header | 8-byte aligned typed-array payloads.
 */
import type { Segment } from '../domain/types';

/** Compressed sparse rows: row r spans indices[indptr[r] .. indptr[r+1]). */
export interface Csr {
  indptr: Int32Array;
  indices: Int32Array;
  scores: Float32Array;
}

export interface VersionMeta {
  version: string;
  /** Epoch ms when the version was trained. */
  createdAt: number;
  /** Epoch ms used as "now" for segments and decay (newest event, or --now). */
  now: number;
  /** Users with a stored list, and how they are spread over hash buckets. */
  users: number;
  bucketCount: number;
  itemIds: string[];
  categories: string[];
  /** Category index per item, -1 when unknown. */
  itemCategory: Int32Array;
  /** 1 when the item was available at training time. */
  itemAvailable: Uint8Array;
  /** 1 when the item is a new arrival (created, or first seen, within training.newArrivalDays of now). */
  itemNew: Uint8Array;
  /** Item-item neighbours per item index, best first. */
  similar: Csr;
  /** Neighbours in the embedding space (cosine), when the embedding is part of the version. */
  similarEmbedding?: Csr;
  /** The product page's neighbours per item, best first, its category continuation and popularity order (pageRanking.ts). */
  pageNeighbours?: Csr;
  pageCategoryItems?: Csr;
  pagePopular?: Int32Array;
  /** Items bought together with (or shortly after) each item, best first: the cart's complements. */
  complements?: Csr;
  /** Global fallback lists by name: `popular`, `trending`, `best_converting`, `new_arrivals`. */
  lists: Record<string, Int32Array>;
  /**
   * Per-category fallback lists (rows indexed by category index) by name: `category_popular`
   * (everyone) and `segment:<segment>` (popular among that segment's users).
   */
  categoryLists: Record<string, Csr>;
  /** Global list per segment: popular among that segment's users. */
  segmentLists: Partial<Record<Segment, Int32Array>>;
  segmentSizes: Record<Segment, number>;
  /** Free-form facts for operators (metrics, timings, model names). */
  info: Record<string, unknown>;
}

type Typed = Int32Array | Float32Array | Uint8Array;
const KINDS = { i32: Int32Array, f32: Float32Array, u8: Uint8Array } as const;
type Kind = keyof typeof KINDS;

function kindOf(a: Typed): Kind {
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Float32Array) return 'f32';
  return 'u8';
}

/** Replaces typed arrays inside `value` by references to an appended binary payload. */
export function encodeBundle(value: unknown): Buffer {
  const chunks: Buffer[] = [];
  let offset = 0;
  const walk = (v: unknown): unknown => {
    if (v instanceof Int32Array || v instanceof Float32Array || v instanceof Uint8Array) {
      const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      const ref = { $t: kindOf(v), o: offset, n: v.length };
      chunks.push(bytes);
      const pad = (8 - (bytes.length % 8)) % 8;
      if (pad) chunks.push(Buffer.alloc(pad));
      offset += bytes.length + pad;
      return ref;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  const header = Buffer.from(JSON.stringify(walk(value)), 'utf8');
  const headPad = (8 - ((4 + header.length) % 8)) % 8;
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length + headPad, 0);
  return Buffer.concat([len, header, Buffer.alloc(headPad, 0x20), ...chunks]);
}

export function decodeBundle<T>(buf: Buffer): T {
  const headLen = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + headLen).toString('utf8'));
  const base = 4 + headLen;
  // Copy the payload once into an aligned ArrayBuffer so typed arrays can view it directly.
  const payload = new Uint8Array(buf.length - base);
  payload.set(buf.subarray(base));
  const walk = (v: unknown): unknown => {
    if (v && typeof v === 'object' && !Array.isArray(v) && '$t' in (v as object)) {
      const r = v as { $t: Kind; o: number; n: number };
      const Ctor = KINDS[r.$t];
      return new Ctor(payload.buffer, r.o, r.n);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(header) as T;
}

export const encodeVersionMeta = (meta: VersionMeta): Buffer => encodeBundle(meta);
export const decodeVersionMeta = (buf: Buffer): VersionMeta => decodeBundle<VersionMeta>(buf);

export function csrRow(csr: Csr, row: number): { indices: Int32Array; scores: Float32Array } {
  if (row < 0 || row + 1 >= csr.indptr.length) return { indices: new Int32Array(0), scores: new Float32Array(0) };
  const a = csr.indptr[row];
  const b = csr.indptr[row + 1];
  return { indices: csr.indices.subarray(a, b), scores: csr.scores.subarray(a, b) };
}
