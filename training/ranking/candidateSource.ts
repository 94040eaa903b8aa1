/**
 * Extension point for further candidate generators (the embedding, a live session model...): each
 * source adds (item, score) pairs for a user; the Ranker normalises a source's scores per user
 * (divides by the user's best) and adds weight x normalised score to the blend. Excluded and
 * unavailable items are filtered by the Ranker, so a source needs not know them.
 */
import type { PackedSource } from '../../src/contracts/sources';

export interface CandidateSource {
  /** Provenance reported for items this source contributes most to. */
  source: PackedSource;
  /** Blend weight against the (normalised) itemcf score. */
  weight: number;
  /** Calls add(item, score) for user index u's candidates (score > 0). u = -1: unknown user. */
  scores(u: number, add: (item: number, score: number) => void): void;
}
