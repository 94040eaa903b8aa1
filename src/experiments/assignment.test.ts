import { buildPolicy } from '../config/policy';
import { assignVariant, unitHash } from './assignment';

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
    const other = buildPolicy({ experiment: { ...policy.experiment!, salt: 's2' } });
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
});
