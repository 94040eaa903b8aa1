/**
 * Validation folds carved from training data (never from a protocol's test split): the same kind
 * of split as the protocol the data calls for (evaluation/protocol.ts), one level down.
 *
 * Small data gives few validation cases (one per purchasing user), so the search pools nested
 * folds: fold 2 is carved the same way from fold 1's training side (each user's purchase before
 * fold 1's target), and so on, until MAX_VALIDATION_CASES or MAX_VALIDATION_FOLDS. Every fold's
 * model is fitted on its own training side, so no fold sees its targets.
 *
 *  - data with purchases (storefront, exclusion `bought`): per user, the last purchase that has an
 *    earlier event is the target (ties: larger item id), the history is every event strictly
 *    before it; the other users train with all their events (SPEC `purchase`, inside the data);
 *  - consumption logs (exclusion `history`): per user with two or more distinct items, the item
 *    with the latest (timestamp, item id) is the target and all of its events are removed
 *    (SPEC `loo`, inside the data).
 */
import type { Policy } from '../../src/config/policy';
import { compareIds, type Dataset, filterDataset, TYPE_PURCHASE } from '../data/dataset';
import { fitModel, type FitOptions, type FittedModel } from '../ranking/fit';
import { excludeModeOf, type Protocol, protocolOf } from '../evaluation/protocol';
import type { Split, TestCase } from '../evaluation/splits';

/** Validation cases are capped (deterministic stride sample) to bound tuning cost on large data. */
export const MAX_VALIDATION_CASES = 5000;

/** Carves the validation split (see the file comment); user and item indices stay those of `ds`. */
export function carveValidation(ds: Dataset, kind: Protocol = protocolOf(ds), maxCases = MAX_VALIDATION_CASES): Split {
  const keep = new Uint8Array(ds.nEvents).fill(1);
  const all: TestCase[] = [];
  const cut: Array<[number, number]> = []; // per case: [user, cut rule value]
  for (let u = 0; u < ds.nUsers; u++) {
    const a = ds.userStart[u];
    const b = ds.userStart[u + 1];
    if (b - a < 2) continue;
    if (kind === 'purchase') {
      let t = -1;
      for (let k = a; k < b; k++) {
        if (ds.evType[k] !== TYPE_PURCHASE) continue;
        if (
          t < 0 ||
          ds.evTs[k] > ds.evTs[t] ||
          (ds.evTs[k] === ds.evTs[t] && compareIds(ds.itemIds[ds.evItem[k]], ds.itemIds[ds.evItem[t]]) > 0)
        )
          t = k;
      }
      if (t < 0 || !(ds.evTs[a] < ds.evTs[t])) continue; // no earlier event
      all.push({ user: u, item: ds.evItem[t] });
      cut.push([u, ds.evTs[t]]);
    } else {
      // Latest ts per distinct item; the target is the max (ts, item id).
      let target = -1;
      let targetTs = -Infinity;
      let distinct = 0;
      const seen = new Set<number>();
      for (let k = b - 1; k >= a; k--) {
        const it = ds.evItem[k];
        if (seen.has(it)) continue;
        seen.add(it);
        distinct++;
        const t = ds.evTs[k]; // the latest event of `it` (walking backwards)
        if (t > targetTs || (t === targetTs && compareIds(ds.itemIds[it], ds.itemIds[target]) > 0)) {
          target = it;
          targetTs = t;
        }
      }
      if (distinct < 2) continue;
      all.push({ user: u, item: target });
      cut.push([u, target]);
    }
  }
  // Deterministic stride sample when there are too many cases.
  const step = all.length > maxCases ? all.length / maxCases : 1;
  const cases: TestCase[] = [];
  for (let x = 0; x < all.length && cases.length < maxCases; x++) {
    const pick = Math.floor(x / step) !== Math.floor((x - 1) / step) || step === 1;
    if (!pick) continue;
    const c = all[x];
    const [u, v] = cut[x];
    for (let k = ds.userStart[u]; k < ds.userStart[u + 1]; k++) {
      if (kind === 'purchase' ? ds.evTs[k] >= v : ds.evItem[k] === v) keep[k] = 0;
    }
    cases.push(c);
  }
  return { train: filterDataset(ds, keep), cases, exclude: excludeModeOf(kind) };
}

/** Nested folds are pooled up to this many (see the file comment). */
export const MAX_VALIDATION_FOLDS = 4;

/**
 * Fold 1 is carveValidation(ds); fold f + 1 is carved from fold f's training side. A further fold
 * joins while the pooled cases stay under maxCases and it has at least MIN_VALIDATION_CASES.
 */
export function carveValidationFolds(
  ds: Dataset,
  kind: Protocol = protocolOf(ds),
  maxCases = MAX_VALIDATION_CASES,
  maxFolds = MAX_VALIDATION_FOLDS,
): Split[] {
  const folds = [carveValidation(ds, kind, maxCases)];
  let pooled = folds[0].cases.length;
  while (folds.length < maxFolds && pooled < maxCases) {
    const next = carveValidation(folds[folds.length - 1].train, kind, maxCases - pooled);
    if (next.cases.length < MIN_VALIDATION_CASES) break;
    folds.push(next);
    pooled += next.cases.length;
  }
  return folds;
}

/** One validation fold with the model parts fitted on its training side. */
export interface ValidationFold {
  split: Split;
  fitted: FittedModel;
}

/** Fits every fold's model parts on that fold's training side. */
export function fitFolds(splits: Split[], policy: Policy, fit: FitOptions = {}): ValidationFold[] {
  return splits.map((split) => ({ split, fitted: fitModel(split.train, policy, fit) }));
}

/** Validation cases over all folds. */
export function pooledCases(splits: readonly Split[]): number {
  return splits.reduce((n, s) => n + s.cases.length, 0);
}

/** Below this many validation cases the search would fit noise: defaults are kept. */
export const MIN_VALIDATION_CASES = 50;
