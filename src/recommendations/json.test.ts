import fc from 'fast-check';
import { recommendationJson } from './json';
import type { Recommendation } from './service';
import { SEGMENTS } from '../domain/types';

const text = fc.string({ unit: 'binary', maxLength: 40 });

describe('recommendationJson', () => {
  it('writes exactly what JSON.stringify writes, for any ids, scores and flags', () => {
    const answer: fc.Arbitrary<Recommendation> = fc.record({
      userId: text,
      segment: fc.constantFrom(...SEGMENTS),
      modelVersion: text,
      recommendationId: text,
      variant: text,
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
        const out = recommendationJson(rec);
        expect(out).toBe(JSON.stringify(rec));
        JSON.parse(out);
      }),
      { numRuns: 500 },
    );
  });
});
