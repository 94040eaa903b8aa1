import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initTf, tf } from './tf';
import { fileIOHandler, loadWeights, MODEL_JSON, saveWeights, WEIGHTS_BIN } from './tfio';

describe('file IOHandler (model.json + weights.bin)', () => {
  let dir: string;

  beforeAll(async () => {
    await initTf();
  });
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfio-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('round-trips named tensors of several dtypes and metadata exactly', async () => {
    const a = new Float32Array([0.1, -2.5, Math.PI, 1e-30, -0, 3.4e38]);
    const b = new Int32Array([1, -2, 2147483647, -2147483648]);
    const before = tf.memory().numTensors;
    const tensors = { a: tf.tensor2d(a, [2, 3]), b: tf.tensor1d(b, 'int32') };
    const res = await saveWeights(path.join(dir, 'm'), tensors, { format: 'test-format', userDefinedMetadata: { n: 3, tag: 'x' } });
    Object.values(tensors).forEach((t) => t.dispose());
    expect(res.modelArtifactsInfo.weightDataBytes).toBe(4 * (a.length + b.length));

    const files = (await fs.readdir(path.join(dir, 'm'))).sort();
    expect(files).toEqual([MODEL_JSON, WEIGHTS_BIN]);
    const json = JSON.parse(await fs.readFile(path.join(dir, 'm', MODEL_JSON), 'utf8'));
    expect(json.format).toBe('test-format');
    expect(json.weightsManifest).toEqual([
      {
        paths: ['./weights.bin'],
        weights: [
          { name: 'a', shape: [2, 3], dtype: 'float32' },
          { name: 'b', shape: [4], dtype: 'int32' },
        ],
      },
    ]);

    const { artifacts, tensors: back } = await loadWeights(path.join(dir, 'm'));
    expect(artifacts.userDefinedMetadata).toEqual({ n: 3, tag: 'x' });
    expect(back.a.shape).toEqual([2, 3]);
    expect(back.a.dataSync()).toEqual(a);
    expect(back.b.dtype).toBe('int32');
    expect(back.b.dataSync()).toEqual(b);
    Object.values(back).forEach((t) => t.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  test('works as a tf.io handler through tf.io.withSaveHandler-style artifacts and overwrites in place', async () => {
    const h = fileIOHandler(dir);
    const { data, specs } = await tf.io.encodeWeights({ w: tf.tidy(() => tf.ones([3])) });
    await h.save!({ modelTopology: { layers: 0 }, weightSpecs: specs, weightData: data });
    const enc2 = await tf.io.encodeWeights({ w: tf.tidy(() => tf.fill([3], 2)) });
    await h.save!({ modelTopology: { layers: 0 }, weightSpecs: enc2.specs, weightData: enc2.data });
    const art = await h.load!();
    expect(art.modelTopology).toEqual({ layers: 0 });
    const w = tf.io.decodeWeights(art.weightData!, art.weightSpecs!);
    expect(Array.from(w.w.dataSync())).toEqual([2, 2, 2]);
    w.w.dispose();
    // No temporary files left behind.
    expect((await fs.readdir(dir)).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]);
  });

  test('rejects a missing directory and weight paths outside the model directory', async () => {
    await expect(fileIOHandler(path.join(dir, 'nope')).load!()).rejects.toThrow();
    await fs.writeFile(
      path.join(dir, MODEL_JSON),
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../evil.bin'], weights: [] }] }),
    );
    await expect(fileIOHandler(dir).load!()).rejects.toThrow(/escapes/);
  });
});
