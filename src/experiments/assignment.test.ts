import { buildPolicy } from '../config/policy';
import { SEGMENTS } from '../domain/types';
import { assignVariant, unitHash, variantOfRecommendation } from './assignment';
import { decodeRecommendationId, encodeRecommendationId } from '../contracts/recommendationId';

const policy = buildPolicy({
  experiment: {
    name: 'blend-2026',
    salt: 's1',
    variants: [
      { name: 'control', weight: 1 },
      { name: 'session-heavy', weight: 1, sessionWeight: 3 },
    ],
  },
});

describe('assignVariant', () => {
  it('splits 10,000 ids about evenly (within 5%)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const v = assignVariant(policy, `user-${i}`).variant;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['control', 'session-heavy']);
    for (const n of counts.values()) expect(Math.abs(n - 5000)).toBeLessThan(500);
  });

  it('is deterministic per user and depends on the salt', () => {
    for (let i = 0; i < 200; i++) {
      expect(assignVariant(policy, `u${i}`)).toEqual(assignVariant(policy, `u${i}`));
    }
    const other = buildPolicy({ experiment: { ...policy.experiments[0], salt: 's2' } });
    let moved = 0;
    for (let i = 0; i < 1000; i++) if (assignVariant(policy, `u${i}`).variant !== assignVariant(other, `u${i}`).variant) moved++;
    expect(moved).toBeGreaterThan(350);
    expect(moved).toBeLessThan(650);
  });

  it('respects weights', () => {
    const skewed = buildPolicy({
      experiment: {
        name: 'e',
        salt: 'x',
        variants: [
          { name: 'a', weight: 9 },
          { name: 'b', weight: 1 },
        ],
      },
    });
    let b = 0;
    for (let i = 0; i < 10_000; i++) if (assignVariant(skewed, String(i)).variant === 'b') b++;
    expect(b).toBeGreaterThan(800);
    expect(b).toBeLessThan(1200);
  });

  it('without an experiment everyone is `default`', () => {
    expect(assignVariant(buildPolicy(), 'anyone')).toEqual({ experiment: null, variant: 'default', index: -1, config: null });
    expect(unitHash('a', 'b')).toBeGreaterThanOrEqual(0);
    expect(unitHash('a', 'b')).toBeLessThan(1);
  });

  it('refuses duplicate variant names and too few variants', () => {
    expect(() =>
      buildPolicy({
        experiment: {
          name: 'e',
          salt: 'x',
          variants: [
            { name: 'a', weight: 1 },
            { name: 'a', weight: 1 },
          ],
        },
      }),
    ).toThrow('unique');
    expect(() => buildPolicy({ experiment: { name: 'e', salt: 'x', variants: [{ name: 'a', weight: 1 }] } })).toThrow(
      'experiment.variants',
    );
  });

  it('aims an experiment at one segment: everyone else gets default, at-risk shoppers split by weight (±5% over 10,000 ids)', () => {
    const winback = buildPolicy({
      experiments: [
        {
          name: 'winback',
          salt: 'w1',
          segments: ['at_risk'],
          variants: [
            { name: 'control', weight: 3 },
            { name: 'boost', weight: 1 },
          ],
        },
      ],
    });
    for (const segment of SEGMENTS.filter((s) => s !== 'at_risk')) {
      for (let i = 0; i < 2000; i++) expect(assignVariant(winback, `u${i}`, { segment }).variant).toBe('default');
    }
    const counts = { control: 0, boost: 0 };
    for (let i = 0; i < 10_000; i++) counts[assignVariant(winback, `u${i}`, { segment: 'at_risk' }).variant as 'control' | 'boost']++;
    expect(Math.abs(counts.control - 7500)).toBeLessThan(500);
    expect(Math.abs(counts.boost - 2500)).toBeLessThan(500);
  });

  it('puts a shopper in the first experiment that applies, by segment, profile tags, placement and time window', () => {
    const variants = [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 1 },
    ];
    const p = buildPolicy({
      experiments: [
        { name: 'members', salt: 'm', segments: ['high_value'], tags: { priceBand: 'high' }, variants },
        { name: 'cart-only', salt: 'c', placement: 'cart', variants },
        { name: 'winter', salt: 'x', start: '2026-12-01T00:00:00Z', stop: '2027-01-01T00:00:00Z', variants },
      ],
    });
    const at = Date.parse('2026-12-10T00:00:00Z');
    expect(assignVariant(p, 'u1', { segment: 'high_value', tags: { priceBand: 'high' }, at }).experiment).toBe('members');
    expect(assignVariant(p, 'u1', { segment: 'high_value', tags: { priceBand: 'low' }, at }).experiment).toBe('winter');
    expect(assignVariant(p, 'u1', { segment: 'high_value', at }).experiment).toBe('winter');
    expect(assignVariant(p, 'u1', { segment: 'paying', placement: 'cart', at }).experiment).toBe('cart-only');
    expect(assignVariant(p, 'u1', { segment: 'paying', placement: 'home', at: Date.parse('2027-01-01T00:00:00Z') }).variant).toBe(
      'default',
    );
    expect(assignVariant(p, 'u1', { segment: 'paying', at: Date.parse('2026-11-30T23:59:59Z') }).variant).toBe('default');
  });

  it('finds the experiment and variant of a recommendation id again, and default for ids outside experiments', () => {
    const a = assignVariant(policy, 'u7');
    const id = encodeRecommendationId({
      issuedAt: 0,
      experiment: a.experiment,
      variantIndex: a.index,
      segment: 'paying',
      placement: 'cart',
      userId: 'u7',
    });
    const ref = decodeRecommendationId(id)!;
    expect(ref.placement).toBe('cart');
    expect(variantOfRecommendation(policy, ref)).toEqual({ experiment: 'blend-2026', variant: a.variant });
    const none = decodeRecommendationId(
      encodeRecommendationId({ issuedAt: 0, experiment: null, variantIndex: -1, segment: 'new', userId: 'x' }),
    )!;
    expect(none.placement).toBe('home');
    expect(variantOfRecommendation(policy, none)).toEqual({ experiment: null, variant: 'default' });
  });

  it('stops at a bad experiments config, naming the field', () => {
    const variants = [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 1 },
    ];
    expect(() => buildPolicy({ experiments: [{ name: 'e', salt: 's', segments: ['vip'], variants }] })).toThrow(
      /experiments\.0\.segments\.0/,
    );
    expect(() => buildPolicy({ experiments: [{ name: 'e', salt: 's', tags: { height: 'tall' }, variants }] })).toThrow(
      /experiments\.0\.tags/,
    );
    expect(() => buildPolicy({ experiments: [{ name: 'e', salt: 's', start: 'soon', variants }] })).toThrow(/experiments\.0\.start/);
    expect(() =>
      buildPolicy({ experiments: [{ name: 'e', salt: 's', start: '2026-02-01T00:00:00Z', stop: '2026-01-01T00:00:00Z', variants }] }),
    ).toThrow(/experiments\.0\.stop/);
  });
});
