/**
 * A tf.io.IOHandler over a local directory, in TF.js's standard layout: `model.json` (topology,
 * metadata and a `weightsManifest` naming `weights.bin`) plus `weights.bin` (the raw weight
 * bytes). Works without @tensorflow/tfjs-node (whose `file://` handler needs the native build).
 *
 * Saving writes both files to temporary names and renames them, weights first, so a reader never
 * sees a model.json whose weights file is missing or partial.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { tf } from './tf';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

type ModelArtifacts = tf.io.ModelArtifacts;
type ModelJSON = tf.io.ModelJSON;

/** One ArrayBuffer from WeightData (which may be a list of buffers). */
export function weightBytes(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
}

async function writeAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, file);
}

/** IOHandler that saves to / loads from `dir` (created on save). */
export function fileIOHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary (GraphDef) topologies are not supported');
      await fs.mkdir(dir, { recursive: true });
      const weights = weightBytes(artifacts.weightData);
      const json: ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature !== undefined) json.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata !== undefined) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.modelInitializer !== undefined) json.modelInitializer = artifacts.modelInitializer;
      await writeAtomic(path.join(dir, WEIGHTS_BIN), new Uint8Array(weights));
      await writeAtomic(path.join(dir, MODEL_JSON), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(JSON.stringify(json.modelTopology), 'utf8'),
          weightSpecsBytes: Buffer.byteLength(JSON.stringify(json.weightsManifest[0].weights), 'utf8'),
          weightDataBytes: weights.byteLength,
        },
      };
    },

    async load(): Promise<ModelArtifacts> {
      const json = JSON.parse(await fs.readFile(path.join(dir, MODEL_JSON), 'utf8')) as ModelJSON;
      if (!json || !Array.isArray(json.weightsManifest)) throw new Error(`${path.join(dir, MODEL_JSON)}: no weightsManifest`);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            // Paths are relative to model.json; never read outside the model directory.
            const file = path.resolve(dir, p);
            if (path.dirname(file) !== path.resolve(dir)) throw new Error(`weights path escapes the model directory: ${p}`);
            const b = await fs.readFile(file);
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
          specs.push(...group.weights);
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** Encodes named tensors and saves them with `metadata` through fileIOHandler(dir). */
export async function saveWeights(
  dir: string,
  tensors: tf.NamedTensorMap,
  metadata: { format: string; userDefinedMetadata?: tf.io.ModelArtifacts['userDefinedMetadata'] },
): Promise<tf.io.SaveResult> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return fileIOHandler(dir).save!({
    modelTopology: {},
    format: metadata.format,
    generatedBy: `TensorFlow.js tfjs-core v${tf.version_core}`,
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
    userDefinedMetadata: metadata.userDefinedMetadata,
  });
}

/**
 * Loads `dir` and returns its artifacts and its weights as tensors. The caller owns (and must
 * dispose) the returned tensors.
 */
export async function loadWeights(dir: string): Promise<{ artifacts: ModelArtifacts; tensors: tf.NamedTensorMap }> {
  const artifacts = await fileIOHandler(dir).load!();
  const tensors = tf.io.decodeWeights(weightBytes(artifacts.weightData), artifacts.weightSpecs ?? []);
  return { artifacts, tensors };
}
