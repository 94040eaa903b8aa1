import { decodeUserRecommendations, encodeUserRecommendations, UserRecommendations } from './packedList';
import { decodeVersionMeta, encodeVersionMeta, csrRow, VersionMeta } from './versionMeta';

describe('packed user list', () => {
  const rec: UserRecommendations = {
    segment: 'high_value',
    features: { firstSeen: 1_600_000_000_000, lastSeen: 1_700_000_000_000, distinctItems: 42, purchases: 3, monetary: 129.5, rfm: 0.5 },
    categories: [3, 0, 70000],
    refind: [5, 9],
    bought: [1, 2, 3],
    items: Int32Array.from([10, 11, 12, 4_000_000]),
    scores: Float32Array.from([2, 1.5, 0.25, 0]),
    sources: Uint8Array.from([0, 2, 4, 3]),
  };

  it('round-trips every field (scores quantized to 1/65535 of the best)', () => {
    const back = decodeUserRecommendations(encodeUserRecommendations(rec));
    expect(back.segment).toBe('high_value');
    expect(back.categories).toEqual([3, 0, 70000]);
    expect(back.refind).toEqual([5, 9]);
    expect(back.bought).toEqual([1, 2, 3]);
    expect(Array.from(back.items)).toEqual([10, 11, 12, 4_000_000]);
    expect(Array.from(back.sources)).toEqual([0, 2, 4, 3]);
    back.scores.forEach((s, i) => expect(Math.abs(s - rec.scores[i])).toBeLessThan(2 / 65535));
    expect(back.features).toEqual({ ...rec.features, rfm: Math.round(0.5 * 254) / 254, monetary: 129.5 });
  });

  it('marks non-purchasers with rfm null and survives missing features', () => {
    const back = decodeUserRecommendations(encodeUserRecommendations({ ...rec, features: undefined }));
    expect(back.features?.rfm).toBeNull();
    expect(back.features?.purchases).toBe(0);
  });

  it('refuses an unknown format', () => {
    const buf = encodeUserRecommendations(rec);
    buf[0] = 99;
    expect(() => decodeUserRecommendations(buf)).toThrow('unsupported packed list format 99');
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
      categoryLists: { category_popular: { indptr: Int32Array.from([0, 2]), indices: Int32Array.from([0, 2]), scores: Float32Array.from([1, 1]) } },
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
