/**
 * `npm run bench:train -- --itemcf`: our fitItemCf against SciPy (bench/itemcf_scipy.py) on the same
 * co-occurrence item-item product over ml-100k (binary user x item matrix, cosine, top-K per row),
 * plus our production settings for reference. The data file is read in place, never copied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fitItemCf, DEFAULT_ITEMCF, type ItemCfParams } from '../training/models/itemcf';
import type { WeightedCsr } from '../training/data/dataset';
import { DEFAULT_POLICY } from '../src/config/policy';
import { requireSharedData } from './lib/sharedData';

/** Binary users x items CSR of u.data (user, item, rating, ts; tab separated). */
function readMl100k(file: string): { ui: WeightedCsr; tieRank: Int32Array } {
  const text = fs.readFileSync(file, 'utf8');
  const userIndex = new Map<string, number>();
  const itemIndex = new Map<string, number>();
  const us: number[] = [];
  const is: number[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [u, i] = line.split('\t');
    let a = userIndex.get(u);
    if (a === undefined) userIndex.set(u, (a = userIndex.size));
    let b = itemIndex.get(i);
    if (b === undefined) itemIndex.set(i, (b = itemIndex.size));
    us.push(a);
    is.push(b);
  }
  const nU = userIndex.size;
  const nI = itemIndex.size;
  const rows: number[][] = Array.from({ length: nU }, () => []);
  for (let k = 0; k < us.length; k++) rows[us[k]].push(is[k]);
  const indptr = new Int32Array(nU + 1);
  const cols: number[] = [];
  rows.forEach((r, u) => {
    const uniq = [...new Set(r)].sort((x, y) => x - y);
    cols.push(...uniq);
    indptr[u + 1] = cols.length;
  });
  const ids = [...itemIndex.keys()];
  const order = ids.map((_, x) => x).sort((a, b) => Number(ids[a]) - Number(ids[b]));
  const tieRank = new Int32Array(nI);
  order.forEach((item, pos) => (tieRank[item] = pos));
  return { ui: { nRows: nU, nCols: nI, indptr, indices: Int32Array.from(cols), data: new Float32Array(cols.length).fill(1) }, tieRank };
}

function best(fn: () => void, repeats: number): number {
  fn(); // warm-up (JIT)
  let b = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    b = Math.min(b, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return b;
}

export async function runItemCfComparison(log: (s: string) => void): Promise<void> {
  const [file] = requireSharedData('bench:train --itemcf', ['ml-100k/u.data']);
  const k = DEFAULT_POLICY.training.neighbours;
  const repeats = 5;
  const { ui, tieRank } = readMl100k(file);
  const plain: ItemCfParams = {
    ...DEFAULT_ITEMCF,
    k,
    alpha: 0.5,
    shrink: 0,
    userPenalty: 0,
    proximity: 0,
    maxUserItems: 1 << 30,
    normalizeRows: false,
  };
  const ours = best(() => fitItemCf(ui, plain, tieRank), repeats);
  const production = best(() => fitItemCf(ui, { ...DEFAULT_ITEMCF, k }, tieRank), repeats);
  // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are dropped for this one child only (see README caveat).
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const py = spawnSync('python3', [path.resolve(__dirname, '..', '..', 'bench', 'itemcf_scipy.py'), file, String(k), String(repeats)], {
    env,
    encoding: 'utf8',
  });
  let scipy: { seconds: number; cooccurrence_nnz: number } | null = null;
  if (py.status === 0) scipy = JSON.parse(py.stdout.trim().split('\n').pop()!);
  else log(`SciPy run failed (apt-get install -y python3-scipy): ${py.stderr.trim().split('\n').pop()}`);
  const lines = [
    `item-item on ml-100k: ${ui.nRows} users, ${ui.nCols} items, ${ui.indptr[ui.nRows]} pairs, top ${k} per item (best of ${repeats})`,
    `| implementation | seconds |`,
    `|:--|--:|`,
    `| ours, fitItemCf cosine co-occurrence (same product as SciPy) | ${ours.toFixed(4)} |`,
    `| ours, fitItemCf production settings (proximity, shrink, user damping) | ${production.toFixed(4)} |`,
    `| scipy.sparse X^T X + top-K | ${scipy ? scipy.seconds.toFixed(4) : 'n/a'} |`,
  ];
  if (scipy) lines.push('', `ours / SciPy: ${(ours / scipy.seconds).toFixed(2)}x (target <= 1.5x)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
