import { bucketOf, CacheKeys } from './keys';
import { fnv1a32 } from '../../util/hash';

describe('fnv1a32 / bucketOf', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is C3 A9 in UTF-8: the same as hashing those two bytes.
    let h = 0x811c9dc5;
    for (const byte of [0xc3, 0xa9]) h = Math.imul(h ^ byte, 0x01000193);
    expect(fnv1a32('é')).toBe(h >>> 0);
  });

  it('is stable and within range', () => {
    expect(bucketOf('user-42', 64)).toBe(bucketOf('user-42', 64));
    expect(bucketOf('foobar', 1000)).toBe(0xbf9cf968 % 1000);
    for (let i = 0; i < 100; i++) {
      const b = bucketOf(`u${i}`, 7);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(7);
    }
  });

  it('spreads 10,000 ids over 64 buckets within ±30% of the mean', () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 10_000; i++) counts[bucketOf(`user-${i}`, 64)]++;
    const mean = 10_000 / 64;
    for (const c of counts) {
      expect(c).toBeGreaterThanOrEqual(mean * 0.7);
      expect(c).toBeLessThanOrEqual(mean * 1.3);
    }
  });

  it('rejects a bucket count below 1', () => {
    expect(() => bucketOf('u', 0)).toThrow(/bucket count/);
  });
});

describe('CacheKeys', () => {
  const keys = new CacheKeys('recs');

  /** The slot-determining part of a key, as Redis Cluster computes it. */
  function hashTag(key: string): string {
    const open = key.indexOf('{');
    const close = key.indexOf('}', open + 1);
    return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  }

  it('puts the live and previous pointers in one slot', () => {
    expect(hashTag(keys.livePointer())).toBe(hashTag(keys.previousPointer()));
  });

  it("puts a user's session and bought set in one slot, even for ids with braces", () => {
    for (const id of ['u1', 'a}b', '{x}', '', 'é ü']) {
      expect(hashTag(keys.userSession(id))).toBe(hashTag(keys.userBought(id)));
    }
    expect(hashTag(keys.userSession('u1'))).not.toBe(hashTag(keys.userSession('u2')));
  });

  it('spreads version buckets over slots and keeps info with meta', () => {
    expect(hashTag(keys.versionInfo('v1'))).toBe(hashTag(keys.versionMeta('v1')));
    expect(hashTag(keys.versionBucket('v1', 0))).not.toBe(hashTag(keys.versionBucket('v1', 1)));
    expect(hashTag(keys.versionBucket('v1', 0))).not.toBe(hashTag(keys.versionInfo('v1')));
  });

  it('puts the availability hash and revision in one slot', () => {
    expect(hashTag(keys.catalogAvailability())).toBe(hashTag(keys.catalogRevision()));
  });

  it('gives every key family a distinct name and uses the prefix', () => {
    const all = [
      keys.livePointer(),
      keys.previousPointer(),
      keys.versionInfo('v1'),
      keys.versionMeta('v1'),
      keys.versionBucket('v1', 0),
      keys.userSession('v1'),
      keys.userBought('v1'),
      keys.catalogAvailability(),
      keys.catalogRevision(),
    ];
    expect(new Set(all).size).toBe(all.length);
    for (const k of all) expect(k.startsWith('recs:')).toBe(true);
    expect(new CacheKeys().livePointer()).toBe('recs:{ptr}:live');
    expect(new CacheKeys('shop2').livePointer()).toBe('shop2:{ptr}:live');
  });

  it('lists all keys of a version', () => {
    expect(keys.versionKeys('v1', 2)).toEqual([
      keys.versionInfo('v1'),
      keys.versionMeta('v1'),
      keys.versionBucket('v1', 0),
      keys.versionBucket('v1', 1),
    ]);
  });

  it('rejects prefixes and versions that would break hash tags', () => {
    expect(() => new CacheKeys('a{b')).toThrow(/prefix/);
    expect(() => new CacheKeys('')).toThrow(/prefix/);
    expect(() => keys.versionInfo('v}1')).toThrow(/version/);
    expect(() => keys.versionBucket('v 1', 0)).toThrow(/version/);
    expect(() => keys.versionBucket('v1', -1)).toThrow(/bucket/);
  });
});
