/**
 * Deterministic A/B assignment: hash(salt, userId) picks a variant by weight, so the same user
 * always lands in the same variant, on every replica, without storing anything.
 */
import { createHash } from 'crypto';
import type { Policy, Variant } from '../config/policy';
import { experimentTag, type RecommendationRef } from '../contracts/recommendationId';

export const DEFAULT_VARIANT = 'default';
/** Counters of answers given without an experiment live under this name. */
export const NO_EXPERIMENT = '_none';

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

/** The name outcome counters of the current experiment live under. */
export function experimentCounterName(policy: Policy): string {
  return policy.experiment?.name ?? NO_EXPERIMENT;
}

/** The variant a recommendation was served under, if it belongs to the current experiment. */
export function variantOfRecommendation(policy: Policy, ref: RecommendationRef): string {
  const exp = policy.experiment;
  if (!exp || ref.experimentTag !== experimentTag(exp.name) || ref.variantIndex < 0) return DEFAULT_VARIANT;
  return exp.variants[ref.variantIndex]?.name ?? DEFAULT_VARIANT;
}
