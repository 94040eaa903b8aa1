/** The cart's ranking (service, and the trainer's tests): complements of every cart item, summed. */
import type { Csr } from './versionMeta';

/**
 * Items scoring the sum over cart items of their complement count over that row's best; ties go to
 * the smaller index. `accept` filters (the cart's items and categories, bought, unavailable...).
 */
export function rankComplements(
  complements: Csr | undefined,
  cart: readonly number[],
  limit: number,
  accept: (item: number) => boolean,
): Array<{ item: number; score: number }> {
  if (!complements) return [];
  const score = new Map<number, number>();
  for (const c of cart) {
    if (c < 0 || c + 1 >= complements.indptr.length) continue;
    const a = complements.indptr[c];
    const b = complements.indptr[c + 1];
    const best = b > a ? complements.scores[a] || 1 : 1;
    for (let q = a; q < b; q++) score.set(complements.indices[q], (score.get(complements.indices[q]) ?? 0) + complements.scores[q] / best);
  }
  const out: Array<{ item: number; score: number }> = [];
  const ranked = [...score.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]);
  for (const [item, s] of ranked) {
    if (out.length >= limit) break;
    if (accept(item)) out.push({ item, score: s / Math.max(1, cart.length) });
  }
  return out;
}
