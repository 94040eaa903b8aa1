/**
 * The training worker (parallel/pool.ts starts it): runs the jobs below on shared typed arrays. Each job
 * calls the very functions the main thread calls, so a chunk computed here equals the same chunk
 * computed there.
 */
import { parentPort, workerData, type MessagePort } from 'worker_threads';
import { itemCfRowsJob, type ItemCfRowsData } from './models/itemcf';
import { rankCasesJob, type RankCasesData } from './evaluation/scoreCases';
import { userListsJob, type UserListsData } from './ranking/parallelLists';
import { alsRowsJob, type AlsRowsData } from './models/embedding/als';
import { annSearchJob, type AnnSearchData } from './models/embedding/ann';

type SyncJob = (data: never) => (chunk: number) => void;
type AsyncJob = (data: never) => { value: unknown; transfer?: ArrayBuffer[] };

const SYNC: Record<string, SyncJob> = {
  'itemcf-rows': itemCfRowsJob as (d: ItemCfRowsData) => (chunk: number) => void,
  'rank-cases': rankCasesJob as (d: RankCasesData) => (chunk: number) => void,
  'als-rows': alsRowsJob as (d: AlsRowsData) => (chunk: number) => void,
  'ann-search': annSearchJob as (d: AnnSearchData) => (chunk: number) => void,
};
const ASYNC: Record<string, AsyncJob> = {
  'user-lists': userListsJob as (d: UserListsData) => { value: unknown; transfer?: ArrayBuffer[] },
};

const errors: MessagePort = (workerData as { port: MessagePort }).port;

parentPort!.on('message', (msg: { kind: 'sync' | 'async'; job: string; data: never; ctrl?: Int32Array; chunks?: number; id?: number }) => {
  if (msg.kind === 'sync') {
    const ctrl = msg.ctrl!;
    try {
      const run = SYNC[msg.job](msg.data);
      for (let c = Atomics.add(ctrl, 0, 1); c < msg.chunks!; c = Atomics.add(ctrl, 0, 1)) run(c);
    } catch (err) {
      errors.postMessage({ error: (err as Error).stack ?? String(err) });
      Atomics.store(ctrl, 2, 1);
      Atomics.store(ctrl, 0, msg.chunks!);
    } finally {
      Atomics.add(ctrl, 1, 1);
      Atomics.notify(ctrl, 1);
    }
    return;
  }
  try {
    const { value, transfer } = ASYNC[msg.job](msg.data);
    parentPort!.postMessage({ id: msg.id, ok: true, value }, transfer ?? []);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, error: (err as Error).stack ?? String(err) });
  }
});
