import { buildPolicy } from '../../src/config/policy';
import { compareIds, DatasetBuilder, DAY_MS, entryPositions, filterDataset, transpose, userItemMatrix } from './dataset';
import { ev, item, T0 } from './testkit';

describe('DatasetBuilder', () => {
  const build = () => {
    const b = new DatasetBuilder();
    b.addItems([item('z', 'shoes', { price: 10 }), item('y', null, { available: false })]);
    // Two batches, out of time order within a user: the builder sorts per user by ts.
    b.add([ev('u1', 'a', 'view', 3), ev('u2', 'b', 'cart', 1), ev('u1', 'b', 'view', 1)]);
    b.add([ev('u1', 'a', 'purchase', 2), ev('u2', 'z', 'fav', 5)]);
    return b.build();
  };

  it('interns ids into dense indices and keeps catalogue facts', () => {
    const ds = build();
    expect(ds.itemIds).toEqual(['z', 'y', 'a', 'b']);
    expect(ds.userIds).toEqual(['u1', 'u2']);
    expect(ds.nEvents).toBe(5);
    expect(ds.categories).toEqual(['shoes']);
    expect(Array.from(ds.itemCategory)).toEqual([0, -1, -1, -1]);
    expect(Array.from(ds.itemAvailable)).toEqual([1, 0, 1, 1]);
    expect(ds.itemPrice[0]).toBe(10);
    expect(Number.isNaN(ds.itemPrice[2])).toBe(true);
    expect(ds.now).toBe(T0 + 5 * DAY_MS);
    expect(ds.itemFirstSeen[ds.itemIndex.get('b')!]).toBe(T0 + DAY_MS);
  });

  it('groups events per user sorted by time', () => {
    const ds = build();
    const u1 = ds.userIndex.get('u1')!;
    const range = Array.from({ length: ds.userStart[u1 + 1] - ds.userStart[u1] }, (_, x) => ds.userStart[u1] + x);
    expect(range.map((k) => ds.itemIds[ds.evItem[k]])).toEqual(['b', 'a', 'a']);
    expect(range.map((k) => ds.evType[k])).toEqual([0, 3, 0]);
    expect(range.every((k, x) => x === 0 || ds.evTs[k] >= ds.evTs[range[x - 1]])).toBe(true);
  });

  it('honours an explicit now', () => {
    const b = new DatasetBuilder();
    b.add([ev('u', 'i', 'view', 1)]);
    expect(b.build({ now: 123 }).now).toBe(123);
  });

  it('builds weighted CSR matrices (max or sum of repeats, decay) and transposes them', () => {
    const ds = build();
    const policy = buildPolicy({ training: { decayHalfLifeDays: 2 } });
    const max = userItemMatrix(ds, policy, { combine: 'max', decay: false });
    const u1 = ds.userIndex.get('u1')!;
    const a = ds.itemIndex.get('a')!;
    const b = ds.itemIndex.get('b')!;
    expect(Array.from(max.indptr)).toEqual([0, 2, 4]);
    expect(Array.from(max.indices.subarray(0, 2))).toEqual([a, b]); // sorted columns
    expect(Array.from(max.data.subarray(0, 2))).toEqual([4, 1]);
    const sum = userItemMatrix(ds, policy, { combine: 'sum', decay: false });
    expect(sum.data[0]).toBe(5);
    // Decay: a purchase 3 days before now with half-life 2 days weighs 4 * 2^-1.5.
    const dec = userItemMatrix(ds, policy, { combine: 'max' });
    expect(dec.data[max.indptr[u1]]).toBeCloseTo(Math.max(4 * Math.pow(0.5, 1.5), Math.pow(0.5, 1)), 5);
    const t = transpose(max);
    expect(t.nRows).toBe(ds.nItems);
    expect(Array.from(t.indptr)).toEqual([0, 1, 1, 2, 4]);
    expect(Array.from(t.indices.subarray(t.indptr[b], t.indptr[b + 1]))).toEqual([0, 1]);
  });

  it('orders entries by position in the user sequence', () => {
    const ds = build();
    const m = userItemMatrix(ds, buildPolicy(), {});
    const pos = entryPositions(ds, m);
    // u1: b (first), then a: entries are [a, b] in column order.
    expect(Array.from(pos.subarray(0, 2))).toEqual([1, 0]);
  });

  it('filters events while keeping dictionaries', () => {
    const ds = build();
    const keep = new Uint8Array(ds.nEvents).fill(1);
    keep[ds.userStart[1]] = 0; // u2's first event (b cart)
    const f = filterDataset(ds, keep);
    expect(f.nEvents).toBe(4);
    expect(f.itemIds).toBe(ds.itemIds);
    expect(f.userStart[2] - f.userStart[1]).toBe(1);
  });

  it('compares ids numerically when both are numeric', () => {
    expect(compareIds('9', '10')).toBeLessThan(0);
    expect(compareIds('a9', 'a10')).toBeGreaterThan(0);
    expect(['10', '9', 'b', '1', 'a'].sort(compareIds)).toEqual(['1', '9', '10', 'a', 'b']);
  });
});
