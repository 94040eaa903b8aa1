/**
 * Development aid: measures EASE (Steck 2019, the closed-form learned item-item model) beside the
 * project's item-item CF on ml-100k, on the validation folds carved from the `loo` training part
 * (training/tuning/; the protocol's test items are never looked at). Each model's neighbour rows feed the
 * same Ranker with the itemcf-only blend, so only the item-item weights differ.
 *
 *   B = I - P diag(1 / diag(P)),   P = (G + lambda I)^-1,   G = X^T X
 *
 * "proximity" builds G the way itemcf counts co-occurrences: a pair weighs 1 / (1 + distance /
 * proximity), distance = how many distinct items apart the two were in the user's history.
 *
 *   npm run build && node dist/bench/ease.js [--lambda 50,200,1000] [--proximity 0,2]
 */
import { DEFAULT_POLICY } from '../src/config/policy';
import type { Csr } from '../src/contracts/versionMeta';
import { readAllEvents } from '../src/ingest/reader';
import { type Dataset, entryPositions, userItemMatrix } from '../training/data/dataset';
import { itemcfOnly } from '../training/evaluation/models';
import { splitLoo } from '../training/evaluation/splits';
import { DEFAULT_RANK } from '../training/ranking/params';
import { carveValidationFolds, fitFolds, pooledCases, type ValidationFold } from '../training/tuning/folds';
import { scoreFolds } from '../training/tuning/search';
import { requireSharedData } from './lib/sharedData';

/** In-place Gauss-Jordan inverse of a symmetric positive definite n x n matrix (no pivoting needed). */
export function invertSpd(a: Float64Array, n: number): Float64Array {
  for (let k = 0; k < n; k++) {
    const kk = k * n;
    const piv = 1 / a[kk + k];
    a[kk + k] = 1;
    for (let j = 0; j < n; j++) a[kk + j] *= piv;
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const ii = i * n;
      const f = a[ii + k];
      if (f === 0) continue;
      a[ii + k] = 0;
      for (let j = 0; j < n; j++) a[ii + j] -= f * a[kk + j];
    }
  }
  return a;
}

/** EASE neighbour rows: the `k` largest positive B(i, j) per seed i, ties by item id order. */
export function fitEase(ds: Dataset, lambda: number, proximity: number, k: number): Csr {
  const n = ds.nItems;
  const ui = userItemMatrix(ds, DEFAULT_POLICY, { combine: 'max', decay: false });
  const pos = proximity > 0 ? entryPositions(ds, ui) : undefined;
  const g = new Float64Array(n * n);
  for (let u = 0; u < ui.nRows; u++) {
    for (let p = ui.indptr[u]; p < ui.indptr[u + 1]; p++) {
      const row = ui.indices[p] * n;
      for (let q = ui.indptr[u]; q < ui.indptr[u + 1]; q++) {
        let v = ui.data[p] * ui.data[q];
        if (pos && p !== q) v /= 1 + Math.abs(pos[p] - pos[q]) / proximity;
        g[row + ui.indices[q]] += v;
      }
    }
  }
  for (let i = 0; i < n; i++) g[i * n + i] += lambda;
  const pinv = invertSpd(g, n);
  const indptr = new Int32Array(n + 1);
  const ids: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const row: Array<[number, number]> = [];
    for (let j = 0; j < n; j++) {
      const b = j === i ? 0 : -pinv[i * n + j] / pinv[j * n + j];
      if (b > 0) row.push([j, b]);
    }
    row.sort((x, y) => y[1] - x[1] || ds.itemOrder[x[0]] - ds.itemOrder[y[0]]);
    for (const [j, b] of row.slice(0, k)) {
      ids.push(j);
      scores.push(b);
    }
    indptr[i + 1] = ids.length;
  }
  return { indptr, indices: Int32Array.from(ids), scores: Float32Array.from(scores) };
}

function list(flag: string, fallback: number[]): number[] {
  const x = process.argv.indexOf(flag);
  return x > 0 ? process.argv[x + 1].split(',').map(Number) : fallback;
}

async function main(): Promise<void> {
  const [file] = requireSharedData('bench:ease', ['ml-100k/u.data']);
  const data = await readAllEvents(file, 'movielens');
  const test = splitLoo(data.events, data.items);
  const splits = carveValidationFolds(test.train, 'loo', 5000, 2);
  const folds = fitFolds(splits, DEFAULT_POLICY);
  const params = itemcfOnly(DEFAULT_RANK);
  const cases = pooledCases(splits);
  process.stdout.write(`ml-100k loo validation: ${cases} cases in ${folds.length} folds, ${test.train.nItems} items\n`);
  /** Scores the folds with each fold's neighbour rows from `similar` (its fit timed when it is one). */
  const row = (label: string, similar: (f: ValidationFold) => Csr): void => {
    let fitMs = 0;
    const withRows = folds.map((f) => {
      const t0 = Date.now();
      const rows = similar(f);
      fitMs += Date.now() - t0;
      return { split: f.split, fitted: { ...f.fitted, model: { ...f.fitted.model, similar: rows } } };
    });
    const s = scoreFolds(withRows, params);
    const fit = fitMs > 0 ? `fit ${(fitMs / 1000 / folds.length).toFixed(1)} s per fold` : '';
    process.stdout.write(`  ${label.padEnd(30)} HR@10 ${s.hr10.toFixed(4)}  NDCG@10 ${s.ndcg10.toFixed(4)}  ${fit}\n`);
  };
  row("itemcf (the trainer's)", (f) => f.fitted.similar);
  const k = DEFAULT_POLICY.training.neighbours;
  for (const proximity of list('--proximity', [0, 2])) {
    for (const lambda of list('--lambda', [50, 200, 1000])) {
      row(`ease lambda ${lambda} proximity ${proximity}`, (f) => fitEase(f.split.train, lambda, proximity, k));
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
