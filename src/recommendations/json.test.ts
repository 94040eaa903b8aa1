import fc from 'fast-check';
import { recommendationJson } from './json';
import type { Recommendation } from './service';
import { PLACEMENTS, SEGMENTS } from '../domain/types';

const text = fc.string({ unit: 'binary', maxLength: 40 });

describe('recommendationJson', () => {
  it('writes exactly what JSON.stringify writes, for any ids, scores and flags', () => {
    const answer: fc.Arbitrary<Recommendation> = fc.record({
      userId: text,
      segment: fc.constantFrom(...SEGMENTS),
      modelVersion: text,
      recommendationId: text,
      variant: text,
      placement: fc.constantFrom(...PLACEMENTS),
      degraded: fc.boolean(),
      items: fc.array(
        fc.record({
          itemId: text,
          score: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e-7, 1e21, Number.NaN, Infinity)),
          source: fc.constantFrom('itemcf', 'session', 'segment:new', 'popular'),
        }),
        { maxLength: 12 },
      ),
    });
    fc.assert(
      fc.property(answer, (rec) => {
        const out = recommendationJson(rec).toString('utf8');
        expect(out).toBe(JSON.stringify(rec));
        JSON.parse(out);
      }),
      { numRuns: 500 },
    );
  });

  it('grows its buffer for long answers and keeps nothing of the previous one', () => {
    const long = (n: number, id: string): Recommendation => ({
      userId: 'u',
      segment: 'active',
      modelVersion: 'v1',
      recommendationId: 'r',
      variant: 'default',
      placement: 'home',
      degraded: false,
      items: Array.from({ length: n }, (_, k) => ({ itemId: `${id}-${k}`, score: 1 / (k + 1), source: 'itemcf' })),
    });
    const big = long(100, 'é€😀"x'.repeat(20)); // multi-byte, astral and escaped characters, well over 4 KB
    expect(recommendationJson(big).toString('utf8')).toBe(JSON.stringify(big));
    const small = long(2, 'i');
    expect(recommendationJson(small).toString('utf8')).toBe(JSON.stringify(small));
  });
});
