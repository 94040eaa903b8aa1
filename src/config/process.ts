/**
 * Process-level settings read where no AppConfig is handed down: the trainer's worker pool and
 * TF.js backend, the logger before configuration. Read on each call, so tests may set them.
 */
import os from 'os';

/** Threads the trainer may use, main thread included: RECS_TRAIN_THREADS, else the cores (at most 8). */
export function trainThreadsSetting(): number {
  const env = process.env.RECS_TRAIN_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) return Math.min(n, 64);
  }
  return Math.max(1, Math.min(8, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length));
}

/** RECS_TF_BACKEND: `cpu` forces plain JS, `wasm` skips tfjs-node (benchmarks); unset picks the best. */
export function tfBackendSetting(): 'cpu' | 'wasm' | undefined {
  const forced = process.env.RECS_TF_BACKEND;
  return forced === 'cpu' || forced === 'wasm' ? forced : undefined;
}

/** Jest sets NODE_ENV=test: the default logger stays silent there. */
export function isTestProcess(): boolean {
  return process.env.NODE_ENV === 'test';
}
