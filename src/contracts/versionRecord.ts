/**
 * What the registry stores per model version: its status, and the metrics the trainer recorded
 * (holdout figures, the gate's decision) that the gate, `/debug/models` and the console read.
 */
import type { Segment } from '../domain/types';

export type ModelStatus = 'training' | 'ready' | 'publishing' | 'live' | 'retired' | 'rejected' | 'failed';

/** One model's figures on the holdout carved from the training data. */
export interface HoldoutMetrics {
  hr10: number;
  ndcg10: number;
  hr20: number;
  ndcg20: number;
  /** Holdout users scored. */
  users: number;
  fitSeconds: number;
  recommendSeconds: number;
  /** Bootstrap 95% intervals over the holdout cases (absent in versions recorded before them). */
  ci95?: { hr10: [number, number]; ndcg10: [number, number] };
}

/** A paired difference over the same holdout cases (a minus b, NDCG@10), from a bootstrap over cases. */
export interface GateDifference {
  diff: number;
  ci95: [number, number];
  /** Lower bound of the one-sided 95% interval. */
  lower: number;
}

export type HoldoutModel = 'popular' | 'itemcf' | 'published';
export type HoldoutResults = Partial<Record<HoldoutModel, HoldoutMetrics>>;

export interface GateMetric {
  hr10: number;
  ndcg10: number;
}

/** Candidate and live version scored on the same holdout cases. */
export interface PairedComparison {
  liveVersion: string;
  /** Holdout cases both were scored on. */
  cases: number;
  candidate: GateMetric;
  live: GateMetric;
  /** True when the live version's policy equals the candidate's (the live side was not refitted). */
  samePolicy: boolean;
  /** Candidate minus live on those cases (the significance rule; absent under the tolerance rule). */
  difference?: GateDifference;
}

export interface GateDecision {
  passed: boolean;
  forced: boolean;
  reasons: string[];
  /**
   * `significance`: paired bootstrap over the holdout cases; `tolerance`: the holdout was below
   * `gate.minCases` (or has no per-case ranks), so point figures were compared with the tolerance.
   */
  rule?: 'significance' | 'tolerance';
  /** Holdout cases the decision was made on. */
  cases?: number;
  /** One line saying what was decided and on what figures (printed by `recs train`, shown by the console). */
  summary?: string;
  paired?: PairedComparison;
  /** Candidate minus popularity on the same cases (the significance rule). */
  vsPopular?: GateDifference;
}

export interface VersionMetrics {
  users: number;
  items: number;
  events: number;
  /** Non-zero entries of the user-item matrix. */
  matrixEntries: number;
  neighboursPerItem: number;
  itemsWithNeighbours: number;
  segments: Record<Segment, number>;
  holdout?: HoldoutResults;
  gate?: GateDecision;
}

export interface ModelVersionRecord {
  version: string;
  createdAt: number;
  status: ModelStatus;
  /** Empty until the version is trained. */
  metrics: Partial<VersionMetrics>;
  timings: Record<string, number>;
  manifest: Record<string, unknown>;
  publishedAt: number | null;
}
