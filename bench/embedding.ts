/**
 * Measures the BPR embedding on a SPEC `loo` split: fit time and HR@10 / NDCG@10 of the
 * embedding alone (rank every item not in the user's training history by <p_u, q_i> + b_i, ties
 * to the smaller item id). Not part of the test suite:
 *
 *   npm run bench:embedding -- [u.data path] [json-params]
 *
 * The file defaults to ml-100k/u.data in the shared data directory (RECS_SHARED_DATA, else
 * ../shared/data beside the repository, as for bench:quality).
 *
 * json-params overrides DEFAULT_EMBEDDING, e.g. '{"epochs":20,"dim":32}'; with `--als` the model is
 * implicit ALS (training/models/embedding/als.ts) and json-params override DEFAULT_ALS, e.g.
 * '{"alpha":20,"reg":1}'. `--validation` measures on the validation split carved from the
 * training side (what tuning may use) instead of the test split.
 */
import { DEFAULT_POLICY } from '../src/config/policy';
import { readAllEvents } from '../src/ingest/reader';
import { userItemMatrix } from '../training/data/dataset';
import {
  DEFAULT_EMBEDDING,
  type EmbeddingModel,
  type EmbeddingParams,
  fitEmbedding,
  itemNeighbours,
  scoreItems,
} from '../training/models/embedding/model';
import { DEFAULT_ALS, fitAls } from '../training/models/embedding/als';
import { carveValidation } from '../training/tuning/folds';
import { hitAndNdcg } from '../training/evaluation/metrics';
import { splitLoo, type Split } from '../training/evaluation/splits';
import { requireSharedData } from './lib/sharedData';

/** 1-based rank of the test item among all items not in the user's history (ties: smaller id first). */
export function looMetrics(split: Split, model: EmbeddingModel): { hr10: number; ndcg10: number; hr20: number; ndcg20: number } {
  const ds = split.train;
  const scores = new Float32Array(ds.nItems);
  const mark = new Int32Array(ds.nItems);
  let stamp = 0;
  const sum = { hr10: 0, ndcg10: 0, hr20: 0, ndcg20: 0 };
  for (const c of split.cases) {
    stamp++;
    for (let k = ds.userStart[c.user]; k < ds.userStart[c.user + 1]; k++) mark[ds.evItem[k]] = stamp;
    scoreItems(model, c.user, scores);
    const st = scores[c.item];
    const ot = ds.itemOrder[c.item];
    let rank = 1;
    for (let i = 0; i < ds.nItems; i++) {
      if (i === c.item || mark[i] === stamp) continue;
      if (scores[i] > st || (scores[i] === st && ds.itemOrder[i] < ot)) rank++;
    }
    const a = hitAndNdcg(rank, 10);
    const b = hitAndNdcg(rank, 20);
    sum.hr10 += a.hr;
    sum.ndcg10 += a.ndcg;
    sum.hr20 += b.hr;
    sum.ndcg20 += b.ndcg;
  }
  const n = Math.max(1, split.cases.length);
  return { hr10: sum.hr10 / n, ndcg10: sum.ndcg10 / n, hr20: sum.hr20 / n, ndcg20: sum.ndcg20 / n };
}

async function main(): Promise<void> {
  // Either argument may be left out: a JSON object is the params, anything else the data file.
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const als = process.argv.includes('--als');
  const file = args.find((a) => !a.trimStart().startsWith('{')) ?? requireSharedData('bench:embedding', ['ml-100k/u.data'])[0];
  const over = JSON.parse(args.find((a) => a.trimStart().startsWith('{')) ?? '{}') as Partial<EmbeddingParams> & {
    seed?: number;
    every?: number;
    decay?: boolean;
  };
  const { events, items } = await readAllEvents(file, 'movielens');
  const test = splitLoo(events, items);
  const split = process.argv.includes('--validation') ? carveValidation(test.train, 'loo', Infinity) : test;
  const ui = userItemMatrix(split.train, DEFAULT_POLICY, { decay: over.decay ?? false });
  const { every: _every, decay: _decay, ...rest } = over;
  const params = als ? { ...DEFAULT_ALS, seed: 42, ...rest } : { ...DEFAULT_EMBEDDING, seed: 42, ...rest };
  const every = over.every ?? 0;
  let lastT = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const model = als
    ? fitAls(ui, params as typeof DEFAULT_ALS & { seed: number })
    : await fitEmbedding(ui, params as typeof DEFAULT_EMBEDDING & { seed: number }, {
        onEpoch: every
          ? (epoch, loss) => {
              const t = process.hrtime.bigint();
              process.stderr.write(`epoch ${epoch} loss ${loss.toFixed(4)} ${(Number(t - lastT) / 1e9).toFixed(2)}s\n`);
              lastT = t;
            }
          : undefined,
      });
  const cpu = process.cpuUsage(cpu0);
  const m = looMetrics(split, model);
  const t0 = process.hrtime.bigint();
  const nb = await itemNeighbours(model, 50, split.train.itemOrder);
  const nbSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = (x: number): number => Math.round(x * 1e4) / 1e4;
  process.stdout.write(
    JSON.stringify({
      dataset: file,
      users: split.cases.length,
      items: split.train.nItems,
      nnz: ui.indptr[ui.nRows],
      backend: model.info.backend,
      params,
      fitSeconds: r(model.info.fitSeconds),
      fitCpuSeconds: r((cpu.user + cpu.system) / 1e6),
      secondsPerEpoch: r(model.info.fitSeconds / Math.max(1, model.info.epochs)),
      steps: model.info.steps,
      hr10: r(m.hr10),
      ndcg10: r(m.ndcg10),
      hr20: r(m.hr20),
      ndcg20: r(m.ndcg20),
      neighboursSeconds: r(nbSeconds),
      neighbourEntries: nb.indices.length,
    }) + '\n',
  );
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
