import fc from 'fast-check';
import { PLACEMENTS, SEGMENTS } from '../domain/types';
import { decodeRecommendationId, encodeRecommendationId, userKeyOf } from '../contracts/recommendationId';
import { experimentTag } from '../util/hash';
import { proportionDifference } from '../experiments/stats';

describe('recommendation ids', () => {
  it('carry time, experiment, variant, segment and user key', () => {
    const id = encodeRecommendationId({
      issuedAt: 1_700_000_000_123,
      experiment: 'exp',
      variantIndex: 1,
      segment: 'paying',
      userId: 'u 42',
    });
    expect(id).toMatch(/^r[A-Za-z0-9_-]{24}$/);
    expect(decodeRecommendationId(id)).toEqual({
      issuedAt: 1_700_000_000_000,
      experimentTag: experimentTag('exp'),
      variantIndex: 1,
      segment: 'paying',
      placement: 'home',
      userKey: userKeyOf('u 42'),
    });
    const plain = decodeRecommendationId(
      encodeRecommendationId({ issuedAt: 0, experiment: null, variantIndex: -1, segment: 'new', userId: 'x' }),
    );
    expect(plain?.variantIndex).toBe(-1);
    expect(plain?.experimentTag).toBe(0);
    // Format 1 ids (before placements) still decode, as `home`.
    const v1 = Buffer.from(id.slice(1), 'base64url');
    v1.writeUInt8(1, 0);
    expect(decodeRecommendationId(`r${v1.toString('base64url')}`)?.placement).toBe('home');
  });

  it('are canonical base64url of their 18 bytes and decode to what was encoded, for any input', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.option(fc.string(), { nil: null }),
        fc.integer({ min: -1, max: 254 }),
        fc.constantFrom(...SEGMENTS),
        fc.constantFrom(...PLACEMENTS),
        fc.string(),
        (seconds, experiment, variantIndex, segment, placement, userId) => {
          const id = encodeRecommendationId({ issuedAt: seconds * 1000 + 999, experiment, variantIndex, segment, placement, userId });
          const bytes = Buffer.from(id.slice(1), 'base64url');
          expect(bytes.length).toBe(18);
          expect(`r${bytes.toString('base64url')}`).toBe(id);
          expect(decodeRecommendationId(id)).toEqual({
            issuedAt: seconds * 1000,
            experimentTag: experimentTag(experiment),
            variantIndex,
            segment,
            placement,
            userKey: userKeyOf(userId),
          });
        },
      ),
    );
  });

  it('are unique and reject anything else', () => {
    const ids = new Set(
      Array.from({ length: 1000 }, () =>
        encodeRecommendationId({ issuedAt: 5, experiment: null, variantIndex: -1, segment: 'new', userId: 'x' }),
      ),
    );
    expect(ids.size).toBe(1000);
    for (const bad of ['', 'r', 'x'.repeat(25), 'r' + '!'.repeat(24), 'r' + 'A'.repeat(24), '123e4567-e89b-12d3-a456-426614174000']) {
      expect(decodeRecommendationId(bad)).toBeNull();
    }
  });
});

describe('proportionDifference', () => {
  it('computes the difference, a 95% interval and a p-value', () => {
    const d = proportionDifference(120, 1000, 100, 1000);
    expect(d.diff).toBeCloseTo(0.02, 10);
    const se = Math.sqrt((0.12 * 0.88) / 1000 + (0.1 * 0.9) / 1000);
    expect(d.ci95[0]).toBeCloseTo(0.02 - 1.96 * se, 3);
    expect(d.ci95[1]).toBeCloseTo(0.02 + 1.96 * se, 3);
    expect(d.pValue!).toBeGreaterThan(0.1);
    expect(d.pValue!).toBeLessThan(0.2);
    expect(proportionDifference(300, 1000, 100, 1000).pValue!).toBeLessThan(1e-6);
    expect(proportionDifference(1, 0, 1, 10)).toEqual({ diff: 0, ci95: [0, 0], pValue: null });
  });
});
