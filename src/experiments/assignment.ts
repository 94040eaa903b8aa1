/**
 * Deterministic experiment assignment. Of the policy's experiments, the first that applies to the
 * shopper on this placement (its segments, profile tags and time window) splits them by
 * hash(salt, userId) over its variants' weights: the same shopper always lands in the same variant,
 * on every replica, without storing anything. Shoppers no experiment applies to get `default`.
 */
import { createHash } from 'crypto';
import type { Experiment, Policy, ProfileTags, Variant } from '../config/policy';
import type { Placement, Segment } from '../domain/types';
import type { RecommendationRef } from '../contracts/recommendationId';
import { experimentTag } from '../util/hash';

export const DEFAULT_VARIANT = 'default';

export interface Assignment {
  experiment: string | null;
  variant: string;
  /** Index in the experiment's variants; -1 without an experiment. */
  index: number;
  config: Variant | null;
}

/** What an experiment may be aimed at. */
export interface Audience {
  segment: Segment;
  tags?: ProfileTags;
  placement?: Placement;
  /** Epoch ms the answer is given at (default now). */
  at?: number;
}

const NONE: Assignment = { experiment: null, variant: DEFAULT_VARIANT, index: -1, config: null };

/** Uniform in [0, 1) from the first 48 bits of SHA-256(salt \0 userId). */
export function unitHash(salt: string, userId: string): number {
  const d = createHash('sha256').update(salt).update('\u0000').update(userId).digest();
  return d.readUIntBE(0, 6) / 2 ** 48;
}

/** Whether `exp` is aimed at this audience. */
export function applies(exp: Experiment, audience: Audience): boolean {
  if (exp.segments && !exp.segments.includes(audience.segment)) return false;
  if (exp.placement && exp.placement !== (audience.placement ?? 'home')) return false;
  for (const [tag, value] of Object.entries(exp.tags ?? {}) as Array<[keyof ProfileTags, string]>) {
    if (audience.tags?.[tag] !== value) return false;
  }
  if (exp.start || exp.stop) {
    const at = audience.at ?? Date.now();
    if (exp.start && at < Date.parse(exp.start)) return false;
    if (exp.stop && at >= Date.parse(exp.stop)) return false;
  }
  return true;
}

export function assignVariant(policy: Policy, userId: string, audience: Audience = { segment: 'new' }): Assignment {
  const exp = policy.experiments.find((e) => applies(e, audience));
  if (!exp) return NONE;
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

/** The experiment a recommendation was served under (by its id's tag), null for none or one no longer configured. */
export function experimentOf(policy: Policy, ref: RecommendationRef): Experiment | null {
  if (ref.variantIndex < 0 || ref.experimentTag === 0) return null;
  return policy.experiments.find((e) => experimentTag(e.name) === ref.experimentTag) ?? null;
}

/** The experiment and variant a recommendation was served under; `default` outside any experiment. */
export function variantOfRecommendation(policy: Policy, ref: RecommendationRef): { experiment: string | null; variant: string } {
  const exp = experimentOf(policy, ref);
  const variant = exp?.variants[ref.variantIndex]?.name;
  return exp && variant ? { experiment: exp.name, variant } : { experiment: null, variant: DEFAULT_VARIANT };
}
