/**
 * TensorFlow.js backend selection, once per process (per module registry under jest):
 * `tensorflow` (native, from @tensorflow/tfjs-node) when it loads, else `wasm`
 * (@tensorflow/tfjs-backend-wasm with its .wasm binaries resolved from node_modules), else `cpu`.
 *
 * Every module that uses TF.js imports `tf` from here so they all share one engine.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { moduleLogger } from '../../../src/observability/logger';
import { tfBackendSetting } from '../../../src/config/process';

export { tf };

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let ready: Promise<BackendName> | undefined;
let registeredWasm = false;

/** Directory (with trailing separator) holding tfjs-backend-wasm's .wasm files. */
export function wasmDir(): string {
  // The package's main entry lives in dist/, next to tfjs-backend-wasm*.wasm.
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}

async function trySet(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function select(skipNative: boolean): Promise<BackendName> {
  const log = moduleLogger('embedding');
  // 1. Native bindings: optional dependency that may not be installed (it downloads libtensorflow).
  try {
    if (skipNative) throw new Error('skipped (RECS_TF_BACKEND)');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    if (tf.findBackend('tensorflow') && (await trySet('tensorflow'))) {
      await tf.ready();
      log.info({ backend: 'tensorflow' }, 'tfjs backend selected');
      return 'tensorflow';
    }
  } catch (err) {
    log.debug({ err: (err as Error).message }, 'tfjs-node unavailable');
  }
  // 2. WebAssembly.
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    if (!registeredWasm) {
      wasm.setWasmPaths(wasmDir());
      registeredWasm = true;
    }
    if (await trySet('wasm')) {
      await tf.ready();
      log.info({ backend: 'wasm', simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') }, 'tfjs backend selected');
      return 'wasm';
    }
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'tfjs wasm backend unavailable');
  }
  // 3. Plain JavaScript.
  await tf.setBackend('cpu');
  await tf.ready();
  log.info({ backend: 'cpu' }, 'tfjs backend selected');
  return 'cpu';
}

/**
 * Initialises the best available backend the first time; later calls return the same answer.
 * `RECS_TF_BACKEND=cpu` forces plain JS, `RECS_TF_BACKEND=wasm` skips tfjs-node (benchmarks).
 */
export function initTf(): Promise<BackendName> {
  if (!ready) {
    const forced = tfBackendSetting();
    ready =
      forced === 'cpu'
        ? tf.setBackend('cpu').then(async () => {
            await tf.ready();
            moduleLogger('embedding').info({ backend: 'cpu' }, 'tfjs backend selected (forced)');
            return 'cpu' as const;
          })
        : select(forced === 'wasm');
    ready.catch(() => (ready = undefined));
  }
  return ready;
}
