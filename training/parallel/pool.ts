/**
 * worker_threads for the trainer's parallel stages (item-item rows, per-case ranking in tuning and
 * evaluation, per-user lists). Data goes to the workers as typed arrays on SharedArrayBuffers
 * (shared, never copied per message); every job computes exactly what the single-threaded code
 * computes for the same inputs, so results do not depend on the number of threads.
 *
 * Two ways to run a job:
 *  - parallelForSync: chunks [0, n) are pulled from a shared counter by the main thread and every
 *    worker; the main thread blocks (Atomics.wait) until all are done. Lets synchronous callers
 *    (fitModel, tuning) run in parallel without becoming async.
 *  - runOnWorker: one request to one worker, answered through a promise (the per-user lists).
 *
 * Threads: RECS_TRAIN_THREADS (default: the machine's available parallelism); 1 = no workers.
 */
import fs from 'fs';
import path from 'path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import { trainThreadsSetting } from '../../src/config/process';

/**
 * Sizes from which work goes to the workers (below them one thread is as fast). Mutable for tests,
 * which lower them to run the parallel paths on small data.
 */
export const PARALLEL_THRESHOLDS = {
  /** Item-item: co-occurrence pairs (sum of squared capped user degrees). */
  itemCfPairs: 20_000_000,
  /** Ranking (evaluation cases, per-user lists): events of the model's dataset. */
  rankEvents: 200_000,
  /** Users per chunk of the per-user lists (each chunk goes to one thread). */
  userChunk: 2000,
  /** Queries per chunk of the embedding's neighbour search (models/embedding/ann.ts). */
  annSearchChunk: 2048,
  /** parallelForSync's main thread takes chunks too (tests turn it off to make workers do all). */
  mainTakesChunks: true,
};

export type SharedTyped = Int32Array | Float32Array | Float64Array | Uint8Array | Uint16Array;

/** Threads the trainer may use (main thread included). */
export function trainThreads(): number {
  return trainThreadsSetting();
}

/** The same values in shared memory (returned as is when already shared). */
export function toShared<T extends SharedTyped>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as { new (buffer: SharedArrayBuffer, offset?: number, length?: number): T };
  const out = new Ctor(new SharedArrayBuffer(a.byteLength), 0, a.length);
  out.set(a as never);
  return out;
}

export function sharedArray<T extends SharedTyped>(
  Ctor: { new (buffer: SharedArrayBuffer, offset?: number, length?: number): T; BYTES_PER_ELEMENT: number },
  n: number,
): T {
  return new Ctor(new SharedArrayBuffer(Math.max(1, n) * Ctor.BYTES_PER_ELEMENT), 0, n);
}

// ---------------------------------------------------------------------------------------------
// The pool.

interface PoolWorker {
  worker: Worker;
  /** Errors and replies of sync jobs come back on this port (read with receiveMessageOnPort). */
  port: MessagePort;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  dead?: Error;
}

let pool: PoolWorker[] = [];
let nextRequest = 1;

function workerEntry(): { file: string; eval: boolean } {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, '..', `worker${ext}`);
  if (ext !== '.ts') return { file, eval: false };
  // Under ts-jest (tests): transpile the worker's TypeScript modules on the fly.
  const boot = `
    const fs = require('fs');
    const ts = require('typescript');
    require.extensions['.ts'] = (m, filename) => {
      const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
        fileName: filename,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, isolatedModules: true },
      }).outputText;
      m._compile(out, filename);
    };
    require(${JSON.stringify(file)});`;
  if (!fs.existsSync(file)) throw new Error(`worker entry ${file} is missing`);
  return { file: boot, eval: true };
}

/** Starts workers up to `n` (lazily; they are unref'd and live for the process). */
function workers(n: number): PoolWorker[] {
  pool = pool.filter((p) => !p.dead);
  while (pool.length < n) {
    const entry = workerEntry();
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(entry.file, { eval: entry.eval, workerData: { port: port2 }, transferList: [port2] });
    const pw: PoolWorker = { worker, port: port1, pending: new Map() };
    worker.on('message', (msg: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const p = pw.pending.get(msg.id);
      if (!p) return;
      pw.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.error ?? 'worker job failed'));
    });
    const fail = (err: Error) => {
      pw.dead = err;
      for (const p of pw.pending.values()) p.reject(err);
      pw.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`training worker exited with code ${code}`)));
    worker.unref();
    port1.unref();
    pool.push(pw);
  }
  return pool.slice(0, n);
}

/** Stops every worker (tests; the trainer process simply exits). */
export async function closeWorkers(): Promise<void> {
  const all = pool;
  pool = [];
  await Promise.all(all.map((p) => p.worker.terminate().catch(() => undefined)));
}

/**
 * Runs chunks [0, chunks) of `job` on this thread (`local`) and on threads - 1 workers (the job of
 * that name in worker.ts, given `data`), each pulling the next chunk from a shared counter; returns
 * when every chunk is done. `local` and the worker job must compute the same thing per chunk.
 */
export function parallelForSync(
  job: string,
  data: unknown,
  chunks: number,
  local: (chunk: number) => void,
  threads = trainThreads(),
): void {
  const nWorkers = Math.min(threads - 1, Math.max(0, chunks - 1));
  if (nWorkers <= 0) {
    for (let c = 0; c < chunks; c++) local(c);
    return;
  }
  const team = workers(nWorkers);
  // [0] next chunk, [1] workers finished, [2] failed
  const ctrl = new Int32Array(new SharedArrayBuffer(12));
  for (const w of team) w.worker.postMessage({ kind: 'sync', job, data, ctrl, chunks });
  let localError: unknown;
  try {
    if (PARALLEL_THRESHOLDS.mainTakesChunks) for (let c = Atomics.add(ctrl, 0, 1); c < chunks; c = Atomics.add(ctrl, 0, 1)) local(c);
  } catch (err) {
    localError = err;
    Atomics.store(ctrl, 0, chunks); // the workers stop taking chunks
  }
  for (;;) {
    const done = Atomics.load(ctrl, 1);
    if (done >= team.length) break;
    if (Atomics.wait(ctrl, 1, done, 2000) === 'timed-out') {
      const dead = team.find((w) => !w.worker.threadId || w.dead);
      if (dead) throw dead.dead ?? new Error('a training worker died');
    }
  }
  if (localError) throw localError;
  if (Atomics.load(ctrl, 2)) {
    let message = 'a training worker failed';
    for (const w of team) {
      const m = receiveMessageOnPort(w.port);
      if (m) message = String((m.message as { error?: string }).error ?? message);
    }
    throw new Error(message);
  }
}

/** Sends one request to worker `index` (of `count` started); resolves with its reply. */
export function runOnWorker<T>(index: number, count: number, job: string, data: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
  const w = workers(count)[index];
  if (w.dead) return Promise.reject(w.dead);
  const id = nextRequest++;
  return new Promise<T>((resolve, reject) => {
    w.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    w.worker.ref();
    w.worker.postMessage({ kind: 'async', id, job, data }, transfer);
  }).finally(() => {
    if (w.pending.size === 0) w.worker.unref();
  });
}
