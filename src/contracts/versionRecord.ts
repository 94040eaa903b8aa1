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
}

export interface GateDecision {
  passed: boolean;
  forced: boolean;
  reasons: string[];
  paired?: PairedComparison;
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
