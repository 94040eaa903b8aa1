/**
 * Development aid for the ranking blend: on each benchmark dataset, carves the validation split
 * from the protocol's training part (training/tuning/), runs the coordinate search there and prints the
 * validation figures next to the test figures of the same settings. Choices are made on the
 * validation column only; the test column is for reporting.
 *
 *   npm run build && node dist/bench/tune.js [--set name=value,...] [--oof]
 *
 * --oof adds a leave-one-fold-out check of the search itself: each validation fold is scored with
 * the parameters searched on the other folds, so a change to the search (its space, objective or
 * noise guard) can be judged on cases it did not choose from.
 */
import { DEFAULT_POLICY } from '../src/config/policy';
import { readAllEvents } from '../src/ingest/reader';
import { splitLoo, splitPurchase, TAOBAO_WINDOW } from '../training/evaluation/splits';
import { fitModel } from '../training/ranking/fit';
import { DEFAULT_RANK, type RankParams } from '../training/ranking/params';
import { carveValidationFolds, fitFolds, pooledCases, type ValidationFold } from '../training/tuning/folds';
import {
  objective,
  type ParamScore,
  scoreFolds,
  scoreParams,
  searchRankParams,
  LOO_SPACE,
  PURCHASE_SPACE,
} from '../training/tuning/search';
import { requireSharedData } from './lib/sharedData';
import { DATASETS } from './quality';

const fmt = (s: ParamScore): string => `HR@10 ${s.hr10.toFixed(4)} NDCG@10 ${s.ndcg10.toFixed(4)} HR@20 ${s.hr20.toFixed(4)}`;

function parseSets(argv: string[]): Array<Partial<RankParams>> {
  const out: Array<Partial<RankParams>> = [];
  for (let x = 0; x < argv.length; x++) {
    if (argv[x] !== '--set') continue;
    const p: Record<string, number> = {};
    for (const kv of argv[x + 1].split(',')) {
      const [k, v] = kv.split('=');
      p[k] = Number(v);
    }
    out.push(p as Partial<RankParams>);
  }
  return out;
}

/**
 * --oof: validation HR@10 hits per fold with the parameters searched on all folds, beside each
 * fold's hits with the parameters searched on the other folds only.
 */
function reportHeldOutFolds(folds: ValidationFold[], searched: RankParams, search: (on: ValidationFold[]) => { params: RankParams }): void {
  if (folds.length < 2) {
    process.stdout.write('  --oof: one validation fold only, nothing to hold out\n');
    return;
  }
  const hits = (f: ValidationFold, p: RankParams): number => Math.round(scoreParams(f.split, f.fitted, p).hr10 * f.split.cases.length);
  const inSample = folds.map((f) => hits(f, searched));
  const heldOut = folds.map((f, h) => hits(f, search(folds.filter((_, x) => x !== h)).params));
  const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
  process.stdout.write(
    `  validation HR@10 hits per fold: searched on all folds ${inSample.join(' + ')} = ${sum(inSample)}; ` +
      `each fold with params searched on the others ${heldOut.join(' + ')} = ${sum(heldOut)} (of ${pooledCases(folds.map((f) => f.split))})\n`,
  );
}

async function main(): Promise<void> {
  const sets = parseSets(process.argv);
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  const oof = process.argv.includes('--oof');
  const chosen = DATASETS.filter((d) => !only || d.name === only);
  const files = requireSharedData(
    'bench:tune',
    chosen.map((d) => d.file),
  );
  for (const [x, d] of chosen.entries()) {
    const file = files[x];
    const data = await readAllEvents(file, d.format);
    const test = d.protocol === 'loo' ? splitLoo(data.events, data.items) : splitPurchase(data.events, data.items, TAOBAO_WINDOW);
    const policy = DEFAULT_POLICY;
    const splits = carveValidationFolds(test.train);
    const folds = fitFolds(splits, policy);
    const fitTest = fitModel(test.train, policy);
    const cases = pooledCases(splits);
    process.stdout.write(`${d.name}: validation ${cases} cases in ${folds.length} folds, test ${test.cases.length} cases\n`);
    const show = (label: string, p: RankParams): void => {
      const v = scoreFolds(folds, p);
      const t = scoreParams(test, fitTest, p);
      process.stdout.write(`  ${label.padEnd(28)} val ${fmt(v)} (obj ${objective(v).toFixed(4)}) | test ${fmt(t)}\n`);
    };
    show('defaults', DEFAULT_RANK);
    for (const s of sets) show(JSON.stringify(s), { ...DEFAULT_RANK, ...s });
    // One search for the tuned row and for every held-out fold of --oof.
    const space = d.protocol === 'loo' ? LOO_SPACE : PURCHASE_SPACE;
    const search = (on: ValidationFold[]): ReturnType<typeof searchRankParams> => searchRankParams(on, DEFAULT_RANK, space, 3);
    const t0 = Date.now();
    const r = search(folds);
    process.stdout.write(`  search: ${r.evaluations} settings in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
    const changed = Object.fromEntries(Object.entries(r.params).filter(([k, v]) => !Object.is(v, DEFAULT_RANK[k as keyof RankParams])));
    show(`tuned ${JSON.stringify(changed)}`, r.params);
    if (oof) reportHeldOutFolds(folds, r.params, search);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
