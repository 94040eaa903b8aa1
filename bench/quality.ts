/**
 * Ranking-quality benchmark on the real datasets shipped beside the repository (never copied into
 * it): ml-100k by `loo`, the Taobao sample by `purchase` (with TAOBAO_WINDOW) and by `next-item`
 * (the product page), exactly as `recs evaluate` runs them, with the peers' reference figures
 * beside ours.
 *
 *   npm run build && node dist/bench/quality.js [--json]
 *
 * Data directory: RECS_SHARED_DATA, else ../shared/data beside the repository root.
 */
import path from 'node:path';
import { DEFAULT_POLICY } from '../src/config/policy';
import { readAllEvents } from '../src/ingest/reader';
import { evaluate, evaluateNextItem, type EvaluationReport, type NextItemReport } from '../training/job/evaluate';
import { type Protocol } from '../training/evaluation/protocol';
import { TAOBAO_WINDOW } from '../training/evaluation/splits';
import { requireSharedData } from './lib/sharedData';

interface PeerFigure {
  model: string;
  hr10?: number;
  ndcg10?: number;
}

interface BenchDataset {
  name: string;
  file: string;
  format: 'movielens' | 'taobao';
  protocol: Protocol;
  /** The metric the peer comparison is made on. */
  metric: 'ndcg10' | 'hr10';
  peers: PeerFigure[];
}

/** Reference figures of the peer library (implicit-feedback models) for the same protocols. */
export const DATASETS: BenchDataset[] = [
  {
    name: 'ml-100k',
    file: 'ml-100k/u.data',
    format: 'movielens',
    protocol: 'loo',
    metric: 'ndcg10',
    peers: [
      { model: 'popularity', ndcg10: 0.0253, hr10: 0.05 },
      { model: 'cosine kNN', ndcg10: 0.0283 },
      { model: 'BM25 kNN', ndcg10: 0.034 },
      { model: 'ALS', ndcg10: 0.0404 },
      { model: 'BPR', ndcg10: 0.0487, hr10: 0.1 },
    ],
  },
  {
    name: 'taobao',
    file: 'taobao-userbehavior-sample/UserBehavior.csv',
    format: 'taobao',
    protocol: 'purchase',
    metric: 'hr10',
    peers: [
      { model: 'popularity', hr10: 0.002 },
      { model: 'cosine kNN', hr10: 0.177 },
      { model: 'ALS', hr10: 0.12 },
      { model: 'BM25 kNN', hr10: 0.353 },
      { model: 're-find', hr10: 0.52 },
    ],
  },
];

/** The next-item protocol's peers on the Taobao sample (shared/protocol_next_item.md). */
export const NEXT_ITEM_PEERS: PeerFigure[] = [
  { model: 'coview+pop', hr10: 0.0231, ndcg10: 0.0138 },
  { model: 'coview+refind', hr10: 0.0629, ndcg10: 0.0338 },
  { model: 'samecat', hr10: 0.0718, ndcg10: 0.0377 },
];

export function formatNextItem(report: NextItemReport, seconds: number): string {
  const pct = (x: number) => (100 * x).toFixed(2).padStart(6);
  const lines = [`taobao (next-item): ${report.cases} cases, ${report.items} items, ${seconds.toFixed(1)}s total`];
  lines.push('model                 HR@10 %  (95% CI)          NDCG@10 %  coverage  HR@10 vs published % (95% CI)');
  for (const r of report.results) {
    const vs = r.vsPublished
      ? `${pct(r.vsPublished.hr10.diff)} [${pct(r.vsPublished.hr10.ci95[0])}, ${pct(r.vsPublished.hr10.ci95[1])}]`
      : '';
    lines.push(
      `${r.model.padEnd(20)} ${pct(r.hr10)}  [${pct(r.ci95.hr10[0])}, ${pct(r.ci95.hr10[1])}]  ${pct(r.ndcg10)}     ${(r.coverage === undefined ? '' : r.coverage.toFixed(4)).padEnd(8)}  ${vs}`,
    );
  }
  for (const p of NEXT_ITEM_PEERS) lines.push(`${`peer: ${p.model}`.padEnd(20)} ${pct(p.hr10!)}                    ${pct(p.ndcg10!)}`);
  const best = Math.max(...NEXT_ITEM_PEERS.map((p) => p.hr10!));
  for (const r of report.results)
    lines.push(`${r.model} / best peer (HR@10): ${pct(r.hr10).trim()} / ${pct(best).trim()} = ${(r.hr10 / best).toFixed(2)}x`);
  return lines.join('\n');
}

const f4 = (x: number | undefined): string => (x === undefined ? '     -' : x.toFixed(4));
const f2 = (x: number | undefined): string => (x === undefined ? '    -' : x.toFixed(2).padStart(5));

export function formatReport(d: BenchDataset, report: EvaluationReport, seconds: number): string {
  const lines: string[] = [];
  lines.push(`${d.name} (${d.protocol}): ${report.users} users, ${report.items} items, ${seconds.toFixed(1)}s total`);
  lines.push(
    'model              HR@10   (95% CI)          NDCG@10 (95% CI)          HR@20   NDCG@20  fit s  recommend s  vs published: HR@10, NDCG@10 (95% CI)',
  );
  const ci = (i: [number, number]) => `[${i[0].toFixed(4)}, ${i[1].toFixed(4)}]`;
  const diff = (d: { diff: number; ci95: [number, number] }) => `${d.diff >= 0 ? '+' : ''}${d.diff.toFixed(4)} ${ci(d.ci95)}`;
  for (const r of report.results) {
    const vs = r.vsPublished ? `${diff(r.vsPublished.hr10)}, ${diff(r.vsPublished.ndcg10)}` : '';
    lines.push(
      `${r.model.padEnd(18)} ${f4(r.hr10)} ${ci(r.ci95.hr10)}  ${f4(r.ndcg10)} ${ci(r.ci95.ndcg10)}  ${f4(r.hr20)}  ${f4(r.ndcg20)}  ${f2(r.fitSeconds)}  ${f2(r.recommendSeconds)}       ${vs}`,
    );
  }
  for (const p of d.peers) {
    lines.push(
      `${`peer: ${p.model}`.padEnd(18)} ${f4(p.hr10)}                    ${f4(p.ndcg10)}                     -       -      -      -`,
    );
  }
  const published = report.results.find((r) => r.model === 'published');
  const best = Math.max(...d.peers.map((p) => p[d.metric] ?? 0));
  if (published && best > 0) {
    const label = d.metric === 'hr10' ? 'HR@10' : 'NDCG@10';
    lines.push(
      `published / best peer (${label}): ${published[d.metric].toFixed(4)} / ${best.toFixed(4)} = ${(published[d.metric] / best).toFixed(2)}x`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const files = requireSharedData(
    'bench:quality',
    DATASETS.map((d) => d.file),
  );
  const reports: EvaluationReport[] = [];
  let taobao: Awaited<ReturnType<typeof readAllEvents>> | undefined;
  for (const [x, d] of DATASETS.entries()) {
    const file = files[x];
    const t0 = process.hrtime.bigint();
    const data = await readAllEvents(file, d.format);
    if (d.name === 'taobao') taobao = data;
    if (data.errors.length) process.stderr.write(`warning: ${data.errors.length} bad row(s) skipped in ${file}\n`);
    const report = await evaluate(data.events, data.items, d.protocol, {
      dataset: path.basename(file),
      policy: DEFAULT_POLICY,
      window: d.format === 'taobao' ? TAOBAO_WINDOW : undefined,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    reports.push(report);
    if (!json) process.stdout.write(`${formatReport(d, report, seconds)}\n\n`);
  }
  // The product page on the Taobao sample (its file was read above).
  const t0 = process.hrtime.bigint();
  if (!taobao) throw new Error('bench:quality: the Taobao sample is not among DATASETS');
  const nextItem = await evaluateNextItem(taobao.events, taobao.items, {
    dataset: 'UserBehavior.csv',
    policy: DEFAULT_POLICY,
    window: TAOBAO_WINDOW,
  });
  if (!json) process.stdout.write(`${formatNextItem(nextItem, Number(process.hrtime.bigint() - t0) / 1e9)}\n`);
  if (json) process.stdout.write(`${JSON.stringify([...reports, nextItem], null, 2)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:quality failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
