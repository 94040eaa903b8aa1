/**
 * Latent-factor embedding of users and items learned with BPR (Bayesian personalised ranking)
 * from a weighted users x items matrix, optimised with TF.js:
 *
 *   x(u, i, j) = <p_u, q_i - q_j> + b_i - b_j,   loss = -mean log sigmoid(x) + reg * (|p_u|^2 + |q_i|^2 + |q_j|^2 + b_i^2 + b_j^2)
 *
 * i is an observed (user, item) entry visited once per epoch in a seeded random order, j an item
 * sampled uniformly among those the user has not interacted with. Rows are looked up with
 * gatherND whose gradient is a scatterND into the table (a custom gradient: tf.gather's gradient
 * needs UnsortedSegmentSum, missing on wasm). Everything random (initial weights, visiting
 * order, negatives) comes from one seeded generator, so a seed reproduces the model on a backend.
 *
 * Scoring and item neighbours work on the plain typed arrays of the fitted model; neighbours use
 * blocked tf.matMul + tf.topk on chunks of items, never a dense items x items matrix.
 */
import type { Csr } from '../../../src/contracts/versionMeta';
import { moduleLogger } from '../../../src/observability/logger';
import type { WeightedCsr } from '../../data/dataset';
import { initTf, tf } from './tf';
import { loadWeights, saveWeights } from './tfio';
import { TopK } from '../../data/topk';

export interface EmbeddingParams {
  /** Latent dimension. */
  dim: number;
  /** Passes over the observed entries. */
  epochs: number;
  /** (user, positive, negative) triples per optimisation step. */
  batchSize: number;
  learningRate: number;
  /** L2 penalty on the rows (and biases) used in a step, per triple. */
  reg: number;
  optimizer: 'adam' | 'adagrad';
  /** Learn an item bias (popularity term). */
  itemBias: boolean;
  /** Std-dev of the initial factors (normal, seeded). */
  initScale: number;
  /**
   * How entry weights (matrix values) enter the loss: `none` = every entry counts 1, `weight` =
   * each triple's loss is scaled by its entry's weight divided by the mean weight.
   */
  weighting: 'none' | 'weight';
  /**
   * Negatives sampled per triple; with more than one, the triple uses the highest-scoring of them
   * (hard-negative BPR, as in WARP-style adaptive sampling).
   */
  negatives: number;
}

/** Chosen on ml-100k `loo` with bench:embedding (the alternatives tried are in docs/experiments.md). */
export const DEFAULT_EMBEDDING: EmbeddingParams = {
  dim: 64,
  epochs: 30,
  batchSize: 8192,
  learningRate: 0.01,
  reg: 0.0025,
  optimizer: 'adam',
  itemBias: true,
  initScale: 0.1,
  weighting: 'none',
  negatives: 1,
};

export interface EmbeddingModel {
  nUsers: number;
  nItems: number;
  dim: number;
  /** nUsers x dim, row-major. */
  userFactors: Float32Array;
  /** nItems x dim, row-major. */
  itemFactors: Float32Array;
  /** Per item; all zeros when the model was fitted without biases. */
  itemBias: Float32Array;
  /** The fit's settings (BPR's EmbeddingParams, or ALS's with kind 'als'). */
  params: (EmbeddingParams & { seed: number; kind?: 'bpr' }) | ({ seed: number; kind: 'als'; dim: number } & Record<string, number | string>);
  /** Facts of the fit (backend, timings, last epoch loss). */
  info: { backend: string; fitSeconds: number; epochs: number; steps: number; lastLoss: number };
}

export interface FitHooks {
  /** After each optimisation step (1-based), e.g. to watch tf.memory(). */
  onStep?: (step: number) => void;
  /** After each epoch (1-based) with the mean loss of its steps. Loss is read only with this hook. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/** mulberry32: small, fast, seedable 32-bit generator. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** Row lookup whose gradient scatters (sums) back into the table: gatherND / scatterND. */
const gatherRows = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [table, idx, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([idx]);
  const shape = table.shape;
  return {
    value: tf.gatherND(table, idx),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.scatterND(saved[0], dy, shape), tf.zerosLike(saved[0])],
  };
}) as (table: tf.Tensor, idx: tf.Tensor) => tf.Tensor;

/** True when `item` is in row `u` of `ui` (rows sorted by column). */
function hasEntry(ui: WeightedCsr, u: number, item: number): boolean {
  let lo = ui.indptr[u];
  let hi = ui.indptr[u + 1] - 1;
  const idx = ui.indices;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = idx[mid];
    if (v === item) return true;
    if (v < item) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function validate(ui: WeightedCsr, p: EmbeddingParams & { seed: number }): void {
  if (!Number.isInteger(p.dim) || p.dim < 1) throw new Error(`embedding dim must be a positive integer, got ${p.dim}`);
  if (!Number.isInteger(p.epochs) || p.epochs < 0) throw new Error(`embedding epochs must be >= 0, got ${p.epochs}`);
  if (!Number.isInteger(p.batchSize) || p.batchSize < 1) throw new Error(`embedding batchSize must be >= 1, got ${p.batchSize}`);
  if (!(p.learningRate > 0)) throw new Error('embedding learningRate must be > 0');
  if (!Number.isInteger(p.negatives) || p.negatives < 1) throw new Error(`embedding negatives must be >= 1, got ${p.negatives}`);
  if (!(p.reg >= 0)) throw new Error('embedding reg must be >= 0');
  if (ui.indptr.length !== ui.nRows + 1) throw new Error('malformed matrix: indptr length');
}

/** Fits user and item factors by BPR; deterministic for a seed on a given backend. */
export async function fitEmbedding(
  ui: WeightedCsr,
  params: EmbeddingParams & { seed: number },
  hooks: FitHooks = {},
): Promise<EmbeddingModel> {
  validate(ui, params);
  const backend = await initTf();
  const log = moduleLogger('embedding');
  const t0 = process.hrtime.bigint();
  const { dim, batchSize: B } = params;
  const nUsers = ui.nRows;
  const nItems = ui.nCols;
  const nnz = ui.indptr[nUsers];
  const rng = new Rng(params.seed);

  // Seeded initial weights (generated here, not by TF, so they do not depend on the backend).
  // Tables keep at least one row so that empty inputs still give valid (empty) models.
  const uRows = Math.max(1, nUsers);
  const iRows = Math.max(1, nItems);
  const p0 = new Float32Array(uRows * dim);
  const q0 = new Float32Array(iRows * dim);
  for (let k = 0; k < p0.length; k++) p0[k] = rng.normal() * params.initScale;
  for (let k = 0; k < q0.length; k++) q0[k] = rng.normal() * params.initScale;

  // Inside tidy so the initial-value tensors are released (variables are never tidied).
  const [P, Q, Bi] = tf.tidy(() => [
    tf.variable(tf.tensor2d(p0, [uRows, dim]), true),
    tf.variable(tf.tensor2d(q0, [iRows, dim]), true),
    tf.variable(tf.zeros([iRows, 1]), params.itemBias),
  ]);
  const vars = params.itemBias ? [P, Q, Bi] : [P, Q];
  const opt: tf.Optimizer = params.optimizer === 'adam' ? tf.train.adam(params.learningRate) : tf.train.adagrad(params.learningRate);

  // Entry -> user, and entry weights normalised to mean 1.
  const entryUser = new Int32Array(nnz);
  for (let u = 0; u < nUsers; u++) entryUser.fill(u, ui.indptr[u], ui.indptr[u + 1]);
  let wScale = 1;
  if (params.weighting === 'weight' && nnz > 0) {
    let s = 0;
    for (let k = 0; k < nnz; k++) s += ui.data[k];
    wScale = s > 0 ? nnz / s : 1;
  }

  const order = new Int32Array(nnz);
  for (let k = 0; k < nnz; k++) order[k] = k;
  const bu = new Int32Array(B);
  const bi = new Int32Array(B);
  const nNeg = params.negatives;
  const bj = new Int32Array(B * nNeg);
  const bw = new Float32Array(B);
  const stepsPerEpoch = nnz > 0 && nItems > 1 ? Math.ceil(nnz / B) : 0;
  let steps = 0;
  let lastLoss = NaN;
  const wantLoss = hooks.onEpoch !== undefined;

  try {
    for (let epoch = 1; epoch <= params.epochs && stepsPerEpoch > 0; epoch++) {
      // Seeded Fisher-Yates: every entry once per epoch (the last batch wraps to the start).
      for (let k = nnz - 1; k > 0; k--) {
        const r = rng.int(k + 1);
        const t = order[k];
        order[k] = order[r];
        order[r] = t;
      }
      let lossSum = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        for (let b = 0; b < B; b++) {
          const e = order[(s * B + b) % nnz];
          const u = entryUser[e];
          bu[b] = u;
          bi[b] = ui.indices[e];
          bw[b] = params.weighting === 'weight' ? ui.data[e] * wScale : 1;
          // Uniform negative the user has not interacted with (bounded retries for dense rows).
          for (let n = 0; n < nNeg; n++) {
            let j = rng.int(nItems);
            for (let tries = 0; tries < 16 && hasEntry(ui, u, j); tries++) j = rng.int(nItems);
            bj[b * nNeg + n] = j;
          }
        }
        const cost = tf.tidy((): tf.Scalar => {
          const uIdx = tf.tensor2d(bu, [B, 1], 'int32');
          const iIdx = tf.tensor2d(bi, [B, 1], 'int32');
          const jIdx = tf.tensor2d(bj, [B * nNeg, 1], 'int32');
          const w = params.weighting === 'weight' ? tf.tensor1d(bw) : null;
          const c = opt.minimize(
            () => {
              const pu = gatherRows(P, uIdx);
              const qi = gatherRows(Q, iIdx);
              const qj = gatherRows(Q, jIdx); // [B * nNeg, dim]
              let si = tf.sum(tf.mul(pu, qi), 1);
              let sj = tf.sum(tf.mul(tf.reshape(pu, [B, 1, dim]), tf.reshape(qj, [B, nNeg, dim])), 2); // [B, nNeg]
              let reg = tf.add(tf.add(tf.sum(tf.square(pu)), tf.sum(tf.square(qi))), tf.div(tf.sum(tf.square(qj)), nNeg));
              if (params.itemBias) {
                const bI = gatherRows(Bi, iIdx);
                const bJ = gatherRows(Bi, jIdx);
                si = tf.add(si, tf.reshape(bI, [B]));
                sj = tf.add(sj, tf.reshape(bJ, [B, nNeg]));
                reg = tf.add(reg, tf.add(tf.sum(tf.square(bI)), tf.div(tf.sum(tf.square(bJ)), nNeg)));
              }
              // With several negatives the hardest one (highest score) is used.
              const x = tf.sub(si, nNeg > 1 ? tf.max(sj, 1) : tf.reshape(sj, [B]));
              // -log sigmoid(x) = softplus(-x) (tf.logSigmoid's own gradient fails on reduced inputs).
              let nll = tf.softplus(tf.neg(x));
              if (w) nll = tf.mul(nll, w);
              return tf.add(tf.mean(nll), tf.mul(params.reg / B, reg)) as tf.Scalar;
            },
            wantLoss,
            vars,
          );
          return c ?? tf.scalar(0);
        });
        steps++;
        if (wantLoss) lossSum += (await cost.data())[0];
        cost.dispose();
        hooks.onStep?.(steps);
      }
      if (wantLoss) {
        lastLoss = lossSum / stepsPerEpoch;
        hooks.onEpoch!(epoch, lastLoss);
      }
    }
    const userFactors = ((await P.data()) as Float32Array).slice(0, nUsers * dim);
    const itemFactors = ((await Q.data()) as Float32Array).slice(0, nItems * dim);
    const itemBias = ((await Bi.data()) as Float32Array).slice(0, nItems);
    const fitSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    log.info({ backend, nUsers, nItems, nnz, dim, epochs: params.epochs, steps, fitSeconds }, 'embedding fitted');
    return {
      nUsers,
      nItems,
      dim,
      userFactors,
      itemFactors,
      itemBias,
      params: { ...params },
      info: { backend, fitSeconds, epochs: params.epochs, steps, lastLoss },
    };
  } finally {
    opt.dispose();
    for (const v of [P, Q, Bi]) v.dispose();
  }
}

/** out[i] = <p_user, q_i> + b_i for every item (out.length >= nItems). */
export function scoreItems(model: EmbeddingModel, user: number, out: Float32Array): Float32Array {
  const { dim, nItems, itemFactors: Q, itemBias } = model;
  if (user < 0 || user >= model.nUsers) throw new Error(`unknown user index ${user}`);
  if (out.length < nItems) throw new Error(`score buffer too small: ${out.length} < ${nItems}`);
  const P = model.userFactors;
  const pu = user * dim;
  for (let i = 0, qi = 0; i < nItems; i++, qi += dim) {
    let s = itemBias[i];
    for (let f = 0; f < dim; f++) s += P[pu + f] * Q[qi + f];
    out[i] = s;
  }
  return out;
}

/**
 * Top `k` users' items by embedding score, skipping items with exclude[item] = stamp (pass the
 * same stamp you marked them with). Ties go to the smaller tieRank (default: item index).
 */
export function recommendItems(
  model: EmbeddingModel,
  user: number,
  k: number,
  opts: { exclude?: Int32Array | Uint8Array; stamp?: number; tieRank?: ArrayLike<number>; scratch?: Float32Array } = {},
): { ids: Int32Array; scores: Float64Array } {
  const scores = scoreItems(model, user, opts.scratch ?? new Float32Array(model.nItems));
  const heap = new TopK(k, opts.tieRank ?? identity(model.nItems));
  const ex = opts.exclude;
  const stamp = opts.stamp ?? 1;
  for (let i = 0; i < model.nItems; i++) if (!ex || ex[i] !== stamp) heap.push(i, scores[i]);
  return heap.drain();
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/**
 * Cosine neighbours on item factors: the `k` most similar other items per item, best first, ties
 * to the smaller tieRank (default: item index). Blocked: a block of `rowBlock` items is
 * multiplied against `colBlock` items at a time (tf.matMul) and each product is cut to its top
 * k + 1 (tf.topk) before merging into per-item heaps, so memory is O(rowBlock x colBlock).
 * Items whose factors are all zero get similarity 0 to everything.
 */
export async function itemNeighbours(
  model: EmbeddingModel,
  k: number,
  tieRank?: ArrayLike<number>,
  opts: { rowBlock?: number; colBlock?: number; minScore?: number } = {},
): Promise<Csr> {
  await initTf();
  const { nItems, dim } = model;
  const rank = tieRank ?? identity(nItems);
  const kk = Math.max(0, Math.min(k, nItems - 1));
  const indptr = new Int32Array(nItems + 1);
  if (kk === 0 || nItems === 0) return { indptr, indices: new Int32Array(0), scores: new Float32Array(0) };
  const minScore = opts.minScore ?? -Infinity;
  const rowBlock = opts.rowBlock ?? 1024;
  const colBlock = opts.colBlock ?? 16384;
  // Unit-normalised factors.
  const unit = new Float32Array(nItems * dim);
  for (let i = 0; i < nItems; i++) {
    let n = 0;
    for (let f = 0; f < dim; f++) n += model.itemFactors[i * dim + f] ** 2;
    const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let f = 0; f < dim; f++) unit[i * dim + f] = model.itemFactors[i * dim + f] * inv;
  }
  const all = tf.tensor2d(unit, [nItems, dim]);
  // Columns pre-transposed ([dim, nItems]): on wasm, matMul(a, b) is ~10x faster than matMul(a, b, false, true).
  const allT = tf.tidy(() => tf.transpose(all));
  const heaps: TopK[] = [];
  const rowIds: Int32Array[] = new Array(nItems);
  const rowScores: Float32Array[] = new Array(nItems);
  // Take one more than k per column block: the item itself may be among them.
  const take = Math.min(kk + 1, colBlock);
  try {
    for (let r0 = 0; r0 < nItems; r0 += rowBlock) {
      const r1 = Math.min(nItems, r0 + rowBlock);
      const nr = r1 - r0;
      for (let x = 0; x < nr; x++) {
        if (!heaps[x]) heaps[x] = new TopK(kk, rank);
        heaps[x].reset();
      }
      const rows = tf.slice(all, [r0, 0], [nr, dim]);
      try {
        for (let c0 = 0; c0 < nItems; c0 += colBlock) {
          const c1 = Math.min(nItems, c0 + colBlock);
          const t = Math.min(take, c1 - c0);
          const [vals, idxs] = tf.tidy(() => {
            const cols = c0 === 0 && c1 === nItems ? allT : tf.slice(allT, [0, c0], [dim, c1 - c0]);
            const sims = tf.matMul(rows, cols);
            const top = tf.topk(sims, t, true);
            return [top.values, top.indices];
          });
          const v = (await vals.data()) as Float32Array;
          const ix = (await idxs.data()) as Int32Array;
          vals.dispose();
          idxs.dispose();
          for (let x = 0; x < nr; x++) {
            const item = r0 + x;
            const h = heaps[x];
            for (let y = x * t, end = x * t + t; y < end; y++) {
              const j = c0 + ix[y];
              if (j === item || v[y] < minScore) continue;
              h.push(j, v[y]);
            }
          }
        }
      } finally {
        rows.dispose();
      }
      for (let x = 0; x < nr; x++) {
        const { ids, scores } = heaps[x].drain();
        rowIds[r0 + x] = ids;
        rowScores[r0 + x] = Float32Array.from(scores);
      }
    }
  } finally {
    all.dispose();
    allT.dispose();
  }
  for (let i = 0; i < nItems; i++) indptr[i + 1] = indptr[i] + rowIds[i].length;
  const indices = new Int32Array(indptr[nItems]);
  const scores = new Float32Array(indptr[nItems]);
  for (let i = 0; i < nItems; i++) {
    indices.set(rowIds[i], indptr[i]);
    scores.set(rowScores[i], indptr[i]);
  }
  return { indptr, indices, scores };
}

export const EMBEDDING_FORMAT = 'recs-embedding-bpr';

/** Writes `dir/model.json` + `dir/weights.bin` (tf.io weights: userFactors, itemFactors, itemBias). */
export async function saveEmbedding(dir: string, model: EmbeddingModel): Promise<void> {
  await initTf();
  const { nUsers, nItems, dim } = model;
  const tensors: tf.NamedTensorMap = {
    userFactors: tf.tensor2d(model.userFactors, [nUsers, dim]),
    itemFactors: tf.tensor2d(model.itemFactors, [nItems, dim]),
    itemBias: tf.tensor1d(model.itemBias),
  };
  try {
    await saveWeights(dir, tensors, {
      format: EMBEDDING_FORMAT,
      userDefinedMetadata: {
        nUsers,
        nItems,
        dim,
        params: { ...model.params },
        info: { ...model.info, lastLoss: Number.isFinite(model.info.lastLoss) ? model.info.lastLoss : null },
      },
    });
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/** Reads what saveEmbedding wrote; the factors come back bit-exact. */
export async function loadEmbedding(dir: string): Promise<EmbeddingModel> {
  await initTf();
  const { artifacts, tensors } = await loadWeights(dir);
  try {
    if (artifacts.format !== EMBEDDING_FORMAT) throw new Error(`${dir}: not an embedding model (format ${String(artifacts.format)})`);
    const meta = (artifacts.userDefinedMetadata ?? {}) as {
      nUsers?: number;
      nItems?: number;
      dim?: number;
      params?: EmbeddingModel['params'];
      info?: Omit<EmbeddingModel['info'], 'lastLoss'> & { lastLoss: number | null };
    };
    const need = (name: string, shape: number[]): Float32Array => {
      const t = tensors[name];
      if (!t) throw new Error(`${dir}: weight ${name} missing`);
      if (t.dtype !== 'float32' || t.shape.join('x') !== shape.join('x')) {
        throw new Error(`${dir}: weight ${name} has shape ${t.shape.join('x')} ${t.dtype}, expected ${shape.join('x')} float32`);
      }
      return (t.dataSync() as Float32Array).slice();
    };
    const userT = tensors.userFactors;
    if (!userT || userT.shape.length !== 2) throw new Error(`${dir}: weight userFactors missing`);
    const [nUsers, dim] = userT.shape as [number, number];
    const nItems = tensors.itemFactors?.shape[0] ?? 0;
    if (meta.dim !== undefined && meta.dim !== dim) throw new Error(`${dir}: metadata dim ${meta.dim} != weights dim ${dim}`);
    const info = meta.info;
    return {
      nUsers,
      nItems,
      dim,
      userFactors: need('userFactors', [nUsers, dim]),
      itemFactors: need('itemFactors', [nItems, dim]),
      itemBias: need('itemBias', [nItems]),
      params: meta.params ?? { ...DEFAULT_EMBEDDING, dim, seed: 0 },
      info: info
        ? { ...info, lastLoss: info.lastLoss ?? NaN }
        : { backend: 'unknown', fitSeconds: 0, epochs: 0, steps: 0, lastLoss: NaN },
    };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
