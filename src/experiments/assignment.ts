/**
 * Deterministic A/B assignment: hash(salt, userId) picks a variant by weight, so the same user
 * always lands in the same variant, on every replica, without storing anything.
 */
import { createHash } from 'crypto';
import type { Policy, Variant } from '../config/policy';

export const DEFAULT_VARIANT = 'default';

export interface Assignment {
  experiment: string | null;
  variant: string;
  /** Index in the experiment's variants; -1 without an experiment. */
  index: number;
  config: Variant | null;
}

/** Uniform in [0, 1) from the first 48 bits of SHA-256(salt \0 userId). */
export function unitHash(salt: string, userId: string): number {
  const d = createHash('sha256').update(salt).update('\u0000').update(userId).digest();
  return d.readUIntBE(0, 6) / 2 ** 48;
}

export function assignVariant(policy: Policy, userId: string): Assignment {
  const exp = policy.experiment;
  if (!exp) return { experiment: null, variant: DEFAULT_VARIANT, index: -1, config: null };
  const total = exp.variants.reduce((a, v) => a + v.weight, 0);
  const x = unitHash(exp.salt, userId) * total;
  let acc = 0;
  for (let i = 0; i < exp.variants.length; i++) {
    acc += exp.variants[i].weight;
    if (x < acc) return { experiment: exp.name, variant: exp.variants[i].name, index: i, config: exp.variants[i] };
  }
  const last = exp.variants.length - 1;
  return { experiment: exp.name, variant: exp.variants[last].name, index: last, config: exp.variants[last] };
}
