/**
 * The next-item protocol's peer models beside ours, on the Taobao sample (checks the protocol's
 * facts: 12,127 cases; coview+pop 2.31%, samecat 7.18% HR@10), and variants of the page ranking
 * on validation (the same protocol on the training part).
 *
 *   npm run bench:next-item [-- --published | --embedding | --variants]
 */
import { readAllEvents } from '../src/ingest/reader';
import { TAOBAO_WINDOW } from '../training/evaluation/splits';
import { nextItemMetrics, splitNextItem, type NextItemSplit } from '../training/evaluation/nextItem';
import { sessionCoviews } from '../training/models/coview';
import { DEFAULT_PAGE, fitPageModel, type PageParams } from '../training/models/pageNeighbours';
import { NO_TOUCHES, rankPage } from '../src/contracts/pageRanking';
import type { Csr } from '../src/contracts/versionMeta';
import { prepareNextItem, rankNextItem, rankOf } from '../training/evaluation/nextItemModels';
import { DEFAULT_POLICY } from '../src/config/policy';
import { requireSharedData } from './lib/sharedData';

function ranker(split: NextItemSplit, score: (page: number, add: (item: number, s: number) => void) => void) {
  const ds = split.train;
  const acc = new Float64Array(ds.nItems);
  const touched: number[] = [];
  // Index order = item id order (the builder added the catalogue sorted by id).
  return (page: number, target: number): number => {
    for (const t of touched) acc[t] = 0;
    touched.length = 0;
    score(page, (item, s) => {
      if (acc[item] === 0) touched.push(item);
      acc[item] += s;
    });
    acc[page] = -Infinity;
    touched.push(page);
    const t = acc[target];
    // Rank of the target: items scoring more, or as much with a smaller index, come first.
    let rank = 1;
    for (let i = 0; i < ds.nItems && rank <= 20; i++) {
      if (i === target) continue;
      if (acc[i] > t || (acc[i] === t && i < target)) rank++;
    }
    return rank <= 20 ? rank : 0;
  };
}

/** HR@10 etc. of the page list (contracts/pageRanking.ts) with a page model fitted on the split's training part. */
function evaluatePage(split: NextItemSplit, params: PageParams, itemcf?: Csr) {
  const ds = split.train;
  const model = fitPageModel(ds, params, itemcf);
  const tables = {
    pageNeighbours: model.neighbours,
    pageCategoryItems: model.categoryItems,
    pagePopular: model.popular,
    itemCategory: ds.itemCategory,
  };
  const ranks = split.cases.map((c) =>
    rankOf(
      rankPage(tables, c.page, [], NO_TOUCHES, 20, () => true),
      c.page,
      c.target,
      ds.nItems,
    ),
  );
  const m = nextItemMetrics(split.cases, ranks);
  const seen = new Uint8Array(ds.nItems);
  for (let k = 0; k < ds.nEvents; k++) seen[ds.evItem[k]] = 1;
  let hitSeen = 0;
  let hitUnseen = 0;
  split.cases.forEach((c, x) => {
    if (ranks[x] < 1 || ranks[x] > 10) return;
    if (seen[c.target]) hitSeen++;
    else hitUnseen++;
  });
  (m as unknown as { hits: string }).hits = `hits: target seen in training ${hitSeen}, unseen ${hitUnseen}`;
  return m;
}

function show(name: string, m: ReturnType<typeof nextItemMetrics>): string {
  return `${name.padEnd(40)} HR@10 ${(100 * m.hr10).toFixed(2)} ± ${(100 * m.se.hr10).toFixed(2)}  NDCG@10 ${(100 * m.ndcg10).toFixed(2)}  MRR@20 ${(100 * m.mrr20).toFixed(2)}  ${(m as unknown as { hits?: string }).hits ?? ''}`;
}

async function main(): Promise<void> {
  const [file] = requireSharedData('bench:next-item', ['taobao-userbehavior-sample/UserBehavior.csv']);
  const data = await readAllEvents(file, 'taobao');
  const events = data.events.filter((e) => e.ts >= TAOBAO_WINDOW.from && e.ts <= TAOBAO_WINDOW.to);
  const split = splitNextItem(events, data.items);
  const ds = split.train;
  console.log(`cases ${split.cases.length}; ${JSON.stringify(split.diagnostics)}`);
  const validation = splitNextItem(
    events.filter((e) => e.ts < split.cutTs || false).slice(0, split.diagnostics.trainingEvents),
    data.items,
  );
  console.log(`validation cases ${validation.cases.length}`);
  const variants: Array<[string, Partial<PageParams>]> = [
    ['samecat', {}],
    ['6 h', { popularityDays: 0.25 }],
  ];

  if (process.argv.includes('--published')) {
    // The product placement's touch blend, tuned on validation; the chosen row is then shown on test.
    const prep = await prepareNextItem(validation, DEFAULT_POLICY);
    const base = DEFAULT_POLICY.placements.product;
    const grid: Array<[string, Partial<typeof base>, Partial<typeof base.touches>]> = [];
    grid.push(['no touches', { touchWeight: 0 }, {}]);
    for (const hideCurrentVisit of [false, true])
      for (const touchWeight of [0.25, 0.5, 1])
        for (const touchCategory of [0.5, 1, 1.5])
          for (const sessionDecay of [0.75, 0.9, 1])
            for (const refindWeight of [0.25, 0.5])
              grid.push([
                `hide ${hideCurrentVisit} tw ${touchWeight} tc ${touchCategory} sd ${sessionDecay} rw ${refindWeight}`,
                { touchWeight, touchCategory },
                { currentVisitWeight: 0, hideCurrentVisit, sessionDecay, refindWeight, refindDecay: 0.95 },
              ]);
    const results = grid.map(([name, over, touches]) => {
      const policy = {
        ...DEFAULT_POLICY,
        placements: { ...DEFAULT_POLICY.placements, product: { ...base, ...over, touches: { ...base.touches, ...touches } } },
      };
      const [, published] = rankNextItem(prep, policy);
      return { name, hr10: published.hr10, se: published.se.hr10 };
    });
    results.sort((x, y) => y.hr10 - x.hr10);
    for (const r of [...results.slice(0, 25), ...results.filter((r) => r.name === 'no touches')])
      console.log(`validation ${r.name.padEnd(40)} HR@10 ${(100 * r.hr10).toFixed(2)} ± ${(100 * r.se).toFixed(2)}`);
    return;
  }
  if (process.argv.includes('--embedding')) {
    // Where the embedding enters the page list: its weight chosen on validation, then every weight on
    // test too, each by page-item popularity bucket, with the embedding rows left out for comparison.
    const weights = [0, 0.05, 0.1, 0.25, 0.5, 1];
    for (const [label, s] of [
      ['validation', validation],
      ['test', split],
    ] as const) {
      const prep = await prepareNextItem(s, DEFAULT_POLICY);
      const rows: Array<[string, ReturnType<typeof rankNextItem>]> = [
        ['without embeddings', rankNextItem(prep, DEFAULT_POLICY, { embeddings: false })],
      ];
      for (const embeddingWeight of weights) {
        const policy = {
          ...DEFAULT_POLICY,
          placements: { ...DEFAULT_POLICY.placements, product: { ...DEFAULT_POLICY.placements.product, embeddingWeight } },
        };
        rows.push([`embedding weight ${embeddingWeight}`, rankNextItem(prep, policy)]);
      }
      for (const [name, [similar, published]] of rows)
        for (const m of [similar, published]) {
          const buckets = Object.entries(m.byPagePopularity)
            .map(([b, v]) => `${b} ${(100 * v.hr10).toFixed(2)} (${v.cases})`)
            .join(', ');
          const cov = m.coverage === undefined ? '' : `  coverage ${m.coverage.toFixed(4)}`;
          console.log(
            `${label.padEnd(10)} ${name.padEnd(22)} ${m.model.padEnd(9)} HR@10 ${(100 * m.hr10).toFixed(2)} ± ${(100 * m.se.hr10).toFixed(2)}  ${buckets}${cov}`,
          );
        }
    }
    return;
  }
  if (process.argv.includes('--variants')) {
    for (const [name, over] of variants) {
      const params = { ...DEFAULT_PAGE, ...over };
      console.log(show(`validation ${name}`, evaluatePage(validation, params)));
      console.log(show(`test       ${name}`, evaluatePage(split, params)));
    }
    return;
  }
  const pop = new Float64Array(ds.nItems);
  for (let k = 0; k < ds.nEvents; k++) pop[ds.evItem[k]]++;
  const co = sessionCoviews(ds);
  const models: Record<string, (page: number, add: (i: number, s: number) => void) => void> = {
    'coview+pop': (page, add) => {
      for (let i = 0; i < ds.nItems; i++) if (pop[i]) add(i, pop[i] / 1e6);
      for (let q = co.indptr[page]; q < co.indptr[page + 1]; q++) add(co.indices[q], co.scores[q]);
    },
    samecat: (page, add) => {
      const cat = ds.itemCategory[page];
      for (let i = 0; i < ds.nItems; i++) {
        const s = pop[i] / 1e6 + (cat >= 0 && ds.itemCategory[i] === cat ? 0.5 : 0);
        if (s) add(i, s);
      }
      for (let q = co.indptr[page]; q < co.indptr[page + 1]; q++) add(co.indices[q], co.scores[q]);
    },
  };
  for (const [name, score] of Object.entries(models)) {
    const rank = ranker(split, score);
    const ranks = split.cases.map((c) => rank(c.page, c.target));
    const m = nextItemMetrics(split.cases, ranks);
    console.log(
      `${name.padEnd(12)} HR@10 ${(100 * m.hr10).toFixed(2)} ± ${(100 * m.se.hr10).toFixed(2)}  NDCG@10 ${(100 * m.ndcg10).toFixed(2)}  MRR@20 ${(100 * m.mrr20).toFixed(2)}  clustered SE ${(100 * m.clusteredSe.hr10).toFixed(2)}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
