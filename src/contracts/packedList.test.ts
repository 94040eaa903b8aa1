import fc from 'fast-check';
import {
  decodeUserRecommendations,
  encodeUserRecommendations,
  encodeUserRecommendationsV2,
  PACKED_FORMAT,
  type UserRecommendations,
} from './packedList';
import { decodeVersionMeta, encodeVersionMeta, csrRow, type VersionMeta } from './versionMeta';

describe('packed user list', () => {
  const rec: UserRecommendations = {
    segment: 'high_value',
    features: { firstSeen: 1_600_000_000_000, lastSeen: 1_700_000_000_000, distinctItems: 42, purchases: 3, monetary: 129.5, rfm: 0.5 },
    profile: { priceBand: 'high', purchaseCadenceDays: 12.3, dominantEventType: 'cart' },
    categories: [3, 0, 70000],
    refind: [5, 9],
    bought: [3, 1, 2],
    items: Int32Array.from([10, 11, 12, 4_000_000]),
    scores: Float32Array.from([2, 1.5, 0.25, 0]),
    sources: Uint8Array.from([0, 2, 4, 3]),
  };

  it('writes format 4 and round-trips every field (scores on a 255-step square-root scale)', () => {
    const buf = encodeUserRecommendations(rec);
    expect(buf[0]).toBe(PACKED_FORMAT);
    expect(PACKED_FORMAT).toBe(4);
    const back = decodeUserRecommendations(buf);
    expect(back.segment).toBe('high_value');
    expect(back.categories).toEqual([3, 0, 70000]);
    expect(back.refind).toEqual([5, 9]);
    // The bought list is a set: it comes back ascending.
    expect(back.bought).toEqual([1, 2, 3]);
    expect(Array.from(back.items)).toEqual([10, 11, 12, 4_000_000]);
    expect(Array.from(back.sources)).toEqual([0, 2, 4, 3]);
    back.scores.forEach((s, i) => expect(Math.abs(s - rec.scores[i])).toBeLessThan((2 * 2) / 255));
    expect(back.scores[0]).toBeCloseTo(2, 5);
    expect(back.features).toEqual({ ...rec.features, rfm: Math.round(0.5 * 254) / 254, monetary: 129.5 });
    expect(back.profile).toEqual({ priceBand: 'high', purchaseCadenceDays: 12.3, dominantEventType: 'cart' });
    const none = decodeUserRecommendations(
      encodeUserRecommendations({ ...rec, profile: { priceBand: null, purchaseCadenceDays: null, dominantEventType: 'view' } }),
    );
    expect(none.profile).toEqual({ priceBand: null, purchaseCadenceDays: null, dominantEventType: 'view' });
  });

  it('still decodes format 3 values (no profile)', () => {
    const v4 = encodeUserRecommendations({ ...rec, profile: { priceBand: null, purchaseCadenceDays: null, dominantEventType: 'view' } });
    // The profile's two bytes follow the features: 7 header + u32 lastSeen + 4-byte gap + 1 + 1 varints + 5.
    const at = 7 + 4 + 4 + 1 + 1 + 5;
    const v3 = Buffer.concat([v4.subarray(0, at), v4.subarray(at + 2)]);
    v3[0] = 3;
    const back = decodeUserRecommendations(v3);
    expect(back.profile).toBeUndefined();
    expect(back.categories).toEqual([3, 0, 70000]);
    expect(Array.from(back.items)).toEqual([10, 11, 12, 4_000_000]);
  });

  it('keeps the rank order of scores that quantize to the same byte', () => {
    const n = 100;
    const scores = Float32Array.from({ length: n }, (_, i) => 1 - i * 1e-4);
    const items = Int32Array.from({ length: n }, (_, i) => n - i);
    const back = decodeUserRecommendations(encodeUserRecommendations({ ...rec, items, scores, sources: new Uint8Array(n) }));
    for (let i = 1; i < n; i++) expect(back.scores[i]).toBeLessThan(back.scores[i - 1]);
    for (let i = 0; i < n; i++) expect(Math.abs(back.scores[i] - scores[i])).toBeLessThan(0.01);
  });

  it('round-trips random lists of every index width, odd lengths and all source codes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 120 }),
        fc.constantFrom(200, 70_000, 20_000_000, 2 ** 31 - 1),
        fc.integer({ min: 0, max: 1000 }),
        (n, maxIndex, seed) => {
          const rnd = (k: number) => (Math.imul(seed + 1, 2654435761) ^ Math.imul(k + 7, 40503)) >>> 0;
          const items = Int32Array.from({ length: n }, (_, k) => rnd(k) % maxIndex);
          const scores = Float32Array.from({ length: n }, (_, k) => (n - k) / n);
          const sources = Uint8Array.from({ length: n }, (_, k) => k % 10);
          const bought = Array.from({ length: rnd(999) % 300 }, (_, k) => rnd(k + 1000) % maxIndex);
          const r: UserRecommendations = { ...rec, items, scores, sources, bought, refind: [maxIndex - 1, 0], categories: [] };
          const back = decodeUserRecommendations(encodeUserRecommendations(r));
          expect(Array.from(back.items)).toEqual(Array.from(items));
          expect(Array.from(back.sources)).toEqual(Array.from(sources));
          expect(back.bought).toEqual([...bought].sort((a, b) => a - b));
          expect(back.refind).toEqual([maxIndex - 1, 0]);
          for (let k = 1; k < n; k++) expect(back.scores[k]).toBeLessThan(back.scores[k - 1]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fits 50 recommendations of a 20k-item catalogue in one 256-byte allocation (with the sds header)', () => {
    const n = 50;
    const buf = encodeUserRecommendations({
      ...rec,
      categories: [3, 17, 40],
      refind: Array.from({ length: 8 }, (_, i) => 19_000 - i * 301),
      bought: Array.from({ length: 10 }, (_, i) => 100 + i * 1900),
      items: Int32Array.from({ length: n }, (_, i) => (i * 7919) % 20_000),
      scores: Float32Array.from({ length: n }, (_, i) => 5 / (i + 1)),
      sources: Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0)),
    });
    // 7 header + 15 features + 2 profile + 7 categories + 17 refind + 20 bought + 101 items + 50 scores + 25 sources.
    expect(buf.length).toBe(244);
    expect(buf.length + 4).toBeLessThanOrEqual(256);
  });

  it('marks non-purchasers with rfm null and survives missing features', () => {
    const back = decodeUserRecommendations(encodeUserRecommendations({ ...rec, features: undefined }));
    expect(back.features?.rfm).toBeNull();
    expect(back.features?.purchases).toBe(0);
  });

  it('still decodes format 2 values (versions published before the upgrade)', () => {
    const buf = encodeUserRecommendationsV2(rec);
    expect(buf[0]).toBe(2);
    const back = decodeUserRecommendations(buf);
    expect(back.bought).toEqual([3, 1, 2]);
    expect(Array.from(back.items)).toEqual([10, 11, 12, 4_000_000]);
    back.scores.forEach((s, i) => expect(Math.abs(s - rec.scores[i])).toBeLessThan(2 / 65535));
  });

  it('refuses an unknown format and truncated values', () => {
    const buf = encodeUserRecommendations(rec);
    const bad = Buffer.from(buf);
    bad[0] = 99;
    expect(() => decodeUserRecommendations(bad)).toThrow('unsupported packed list format 99');
    expect(() => decodeUserRecommendations(buf.subarray(0, buf.length - 3))).toThrow(/truncated/);
  });

  it('refuses source codes that do not fit in four bits', () => {
    expect(() => encodeUserRecommendations({ ...rec, sources: Uint8Array.from([0, 16, 0, 0]) })).toThrow(/source code/);
  });
});

describe('version meta bundle', () => {
  it('round-trips typed arrays, nested records and strings', () => {
    const meta: VersionMeta = {
      version: 'v1',
      createdAt: 1,
      now: 2,
      users: 3,
      bucketCount: 1,
      itemIds: ['a', 'b', 'c,"weird"\n'],
      categories: ['x'],
      itemCategory: Int32Array.from([0, -1, 0]),
      itemAvailable: Uint8Array.from([1, 0, 1]),
      itemNew: Uint8Array.from([0, 0, 1]),
      similar: { indptr: Int32Array.from([0, 1, 2, 2]), indices: Int32Array.from([1, 0]), scores: Float32Array.from([0.5, 0.25]) },
      lists: { popular: Int32Array.from([2, 0]) },
      categoryLists: {
        category_popular: { indptr: Int32Array.from([0, 2]), indices: Int32Array.from([0, 2]), scores: Float32Array.from([1, 1]) },
      },
      segmentLists: { paying: Int32Array.from([2]) },
      segmentSizes: { new: 1, churned: 0, at_risk: 0, high_value: 0, paying: 1, active: 1 },
      info: { note: 'ok' },
    };
    const back = decodeVersionMeta(encodeVersionMeta(meta));
    expect(back.itemIds).toEqual(meta.itemIds);
    expect(Array.from(back.itemAvailable)).toEqual([1, 0, 1]);
    expect(Array.from(back.lists.popular)).toEqual([2, 0]);
    expect(Array.from(csrRow(back.similar, 1).indices)).toEqual([0]);
    expect(Array.from(csrRow(back.similar, 2).indices)).toEqual([]);
    expect(Array.from(csrRow(back.similar, 7).indices)).toEqual([]);
    expect(Array.from(back.similar.scores)).toEqual([0.5, 0.25]);
    expect(Array.from(back.segmentLists.paying!)).toEqual([2]);
    expect(back.info).toEqual({ note: 'ok' });
  });
});
