import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { WeightedCsr } from '../../data/dataset';
import {
  DEFAULT_EMBEDDING,
  type EmbeddingModel,
  type EmbeddingParams,
  fitEmbedding,
  itemNeighbours,
  loadEmbedding,
  recommendItems,
  Rng,
  saveEmbedding,
  scoreItems,
} from './model';
import { initTf, tf } from './tf';

/**
 * Two taste groups: users 0..U/2-1 interact only with items 0..I/2-1, the others only with the
 * rest; each user sees `perUser` random items of their group (seeded), the rest stay unseen.
 */
function plantedGroups(nUsers = 40, nItems = 24, perUser = 6, seed = 7): WeightedCsr {
  const rng = new Rng(seed);
  const half = nItems / 2;
  const indptr = new Int32Array(nUsers + 1);
  const indices: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const base = u < nUsers / 2 ? 0 : half;
    const pool = Array.from({ length: half }, (_, i) => base + i);
    for (let k = pool.length - 1; k > 0; k--) {
      const r = rng.int(k + 1);
      [pool[k], pool[r]] = [pool[r], pool[k]];
    }
    indices.push(...pool.slice(0, perUser).sort((a, b) => a - b));
    indptr[u + 1] = indices.length;
  }
  return { nRows: nUsers, nCols: nItems, indptr, indices: Int32Array.from(indices), data: new Float32Array(indices.length).fill(1) };
}

const PARAMS: EmbeddingParams & { seed: number } = {
  ...DEFAULT_EMBEDDING,
  dim: 8,
  epochs: 20,
  batchSize: 64,
  learningRate: 0.05,
  reg: 0.01,
  seed: 11,
};

function group(i: number, n: number): number {
  return i < n / 2 ? 0 : 1;
}

describe('embedding (BPR on TF.js)', () => {
  const ui = plantedGroups();
  let model: EmbeddingModel;

  beforeAll(async () => {
    model = await fitEmbedding(ui, PARAMS);
  });

  test('learns planted taste groups: unseen items of the own group rank above the other group', () => {
    const scores = new Float32Array(ui.nCols);
    let good = 0;
    let pairs = 0;
    let topOwn = 0;
    for (let u = 0; u < ui.nRows; u++) {
      scoreItems(model, u, scores);
      const seen = new Set(Array.from(ui.indices.subarray(ui.indptr[u], ui.indptr[u + 1])));
      const g = group(u, ui.nRows);
      const own: number[] = [];
      const other: number[] = [];
      for (let i = 0; i < ui.nCols; i++) {
        if (seen.has(i)) continue;
        (group(i, ui.nCols) === g ? own : other).push(i);
      }
      let ownMean = 0;
      let otherMean = 0;
      for (const a of own) ownMean += scores[a] / own.length;
      for (const b of other) otherMean += scores[b] / other.length;
      // Every user prefers their group's unseen items on average...
      expect(ownMean).toBeGreaterThan(otherMean);
      for (const a of own) {
        for (const b of other) {
          pairs++;
          if (scores[a] > scores[b]) good++;
        }
      }
      // ...and the best unseen item is one of the group's for (nearly) every user.
      const exclude = new Uint8Array(ui.nCols);
      for (const i of seen) exclude[i] = 1;
      const top = recommendItems(model, u, 1, { exclude, stamp: 1 });
      if (group(top.ids[0], ui.nCols) === g) topOwn++;
    }
    expect(topOwn / ui.nRows).toBeGreaterThanOrEqual(0.95);
    expect(good / pairs).toBeGreaterThan(0.9); // pairwise AUC over (own unseen, other group) pairs
  });

  test('item neighbours are cosine top-k of the same group, blocked or not', async () => {
    const k = 5;
    const nb = await itemNeighbours(model, k);
    expect(nb.indptr.length).toBe(ui.nCols + 1);
    let same = 0;
    for (let i = 0; i < ui.nCols; i++) {
      const row = Array.from(nb.indices.subarray(nb.indptr[i], nb.indptr[i + 1]));
      const sc = Array.from(nb.scores.subarray(nb.indptr[i], nb.indptr[i + 1]));
      expect(row).toHaveLength(k);
      expect(row).not.toContain(i);
      for (let x = 1; x < sc.length; x++) expect(sc[x]).toBeLessThanOrEqual(sc[x - 1]);
      for (const s of sc) expect(Math.abs(s)).toBeLessThanOrEqual(1.0001);
      same += row.filter((j) => group(j, ui.nCols) === group(i, ui.nCols)).length;
    }
    expect(same / (ui.nCols * k)).toBeGreaterThan(0.9);
    // Small blocks (several row and column blocks, uneven edges) give the same lists.
    const blocked = await itemNeighbours(model, k, undefined, { rowBlock: 5, colBlock: 7 });
    expect(Array.from(blocked.indptr)).toEqual(Array.from(nb.indptr));
    expect(Array.from(blocked.indices)).toEqual(Array.from(nb.indices));
    for (let x = 0; x < nb.scores.length; x++) expect(blocked.scores[x]).toBeCloseTo(nb.scores[x], 5);
  });

  test('scoreItems is <p_u, q_i> + b_i', () => {
    const out = scoreItems(model, 3, new Float32Array(ui.nCols));
    const d = model.dim;
    for (let i = 0; i < ui.nCols; i++) {
      let s = model.itemBias[i];
      for (let f = 0; f < d; f++) s += model.userFactors[3 * d + f] * model.itemFactors[i * d + f];
      expect(out[i]).toBeCloseTo(s, 5);
    }
  });

  test('deterministic with the same seed, different with another', async () => {
    const small = { ...PARAMS, epochs: 5 };
    const a = await fitEmbedding(ui, small);
    const b = await fitEmbedding(ui, small);
    expect(b.userFactors).toEqual(a.userFactors);
    expect(b.itemFactors).toEqual(a.itemFactors);
    expect(b.itemBias).toEqual(a.itemBias);
    const c = await fitEmbedding(ui, { ...small, seed: small.seed + 1 });
    expect(c.itemFactors).not.toEqual(a.itemFactors);
  });

  test('tensor count stays flat across steps and returns to the start after fitting', async () => {
    await initTf();
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    for (const optimizer of ['adam', 'adagrad'] as const) {
      counts.length = 0;
      await fitEmbedding(
        ui,
        { ...PARAMS, optimizer, epochs: 4, batchSize: 32 },
        { onStep: () => counts.push(tf.memory().numTensors), onEpoch: () => undefined },
      );
      expect(counts.length).toBe(4 * Math.ceil(ui.indptr[ui.nRows] / 32));
      expect(counts[counts.length - 1]).toBe(counts[0]);
      expect(new Set(counts.slice(1)).size).toBe(1);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  test('save / load round trip through model.json + weights.bin is exact', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'emb-'));
    try {
      const target = path.join(dir, 'nested', 'embedding');
      await saveEmbedding(target, model);
      const json = JSON.parse(await fs.readFile(path.join(target, 'model.json'), 'utf8'));
      expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
      expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name).sort()).toEqual(['itemBias', 'itemFactors', 'userFactors']);
      const bytes = (await fs.stat(path.join(target, 'weights.bin'))).size;
      expect(bytes).toBe(4 * (model.userFactors.length + model.itemFactors.length + model.itemBias.length));
      const back = await loadEmbedding(target);
      expect(back.nUsers).toBe(model.nUsers);
      expect(back.nItems).toBe(model.nItems);
      expect(back.dim).toBe(model.dim);
      expect(back.userFactors).toEqual(model.userFactors);
      expect(back.itemFactors).toEqual(model.itemFactors);
      expect(back.itemBias).toEqual(model.itemBias);
      expect(back.params).toEqual(model.params);
      await expect(loadEmbedding(path.join(dir, 'missing'))).rejects.toThrow();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('empty and degenerate inputs give empty models without throwing', async () => {
    const empty: WeightedCsr = { nRows: 2, nCols: 3, indptr: new Int32Array(3), indices: new Int32Array(0), data: new Float32Array(0) };
    const m = await fitEmbedding(empty, { ...PARAMS, epochs: 2 });
    expect(m.userFactors).toHaveLength(2 * PARAMS.dim);
    expect(m.itemFactors).toHaveLength(3 * PARAMS.dim);
    const nb = await itemNeighbours(m, 10);
    expect(nb.indptr[3]).toBe(6); // k is capped at nItems - 1
    await expect(fitEmbedding(empty, { ...PARAMS, dim: 0 })).rejects.toThrow(/dim/);
  });
});

describe('backend selection', () => {
  test('reports a backend, the same one twice, and computes with it', async () => {
    const a = await initTf();
    const b = await initTf();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(a);
    expect(b).toBe(a);
    expect(tf.getBackend()).toBe(a);
    let nativeInstalled = true;
    try {
      require.resolve('@tensorflow/tfjs-node');
    } catch {
      nativeInstalled = false;
    }
    // Without tfjs-node, wasm must load here too (setWasmPaths resolved from node_modules).
    if (!nativeInstalled) expect(a).toBe('wasm');
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2])).dataSync());
    expect(Array.from(y)).toEqual([1, 2, 3, 4]);
  });
});
