import { DEFAULT_POLICY } from '../../src/config/policy';
import { encodeUserRecommendations } from '../../src/contracts/packedList';
import { generateScaleEvents, scaleCatalogue, scaleOptions } from '../../src/sample/scale';
import { type Dataset, DatasetBuilder, entryPositions, userItemMatrix } from '../data/dataset';
import { DEFAULT_ITEMCF, fitItemCf } from '../models/itemcf';
import { fitModel } from '../ranking/fit';
import { closeWorkers, PARALLEL_THRESHOLDS, parallelForSync } from '../parallel/pool';
import { packedUserLists } from '../ranking/parallelLists';
import { scoreCases } from '../evaluation/scoreCases';
import { DEFAULT_RANK } from '../ranking/params';
import { Ranker } from '../ranking/ranker';
import { Scorer } from '../evaluation/metrics';
import { carveValidation } from '../tuning/folds';
import { scoreParams } from '../tuning/search';
import { trainModels } from './train';
import { evaluateSplit } from '../evaluation/models';

const CODES = { view: 0, fav: 1, cart: 2, purchase: 3 } as const;

function scaleDataset(events: number): Dataset {
  const o = scaleOptions(events);
  const b = new DatasetBuilder();
  const cat = scaleCatalogue(o);
  b.addItems(
    cat.itemIds.map((itemId, k) => ({
      itemId,
      category: cat.categoryNames[cat.itemCategory[k]],
      available: cat.itemAvailable[k] === 1,
      price: cat.itemPrice[k],
      createdAt: cat.itemCreatedAt[k],
    })),
  );
  for (const _ of generateScaleEvents(o, (u, i, t, ts) => b.addEvent(u, i, CODES[t], ts)));
  return b.build();
}

/** Runs fn with the given thread count and every parallel path enabled regardless of size. */
function withThreads<T>(threads: number, fn: () => T): T {
  const saved = { ...PARALLEL_THRESHOLDS };
  const env = process.env.RECS_TRAIN_THREADS;
  process.env.RECS_TRAIN_THREADS = String(threads);
  PARALLEL_THRESHOLDS.itemCfPairs = 0;
  PARALLEL_THRESHOLDS.rankEvents = 0;
  PARALLEL_THRESHOLDS.userChunk = 97;
  PARALLEL_THRESHOLDS.mainTakesChunks = false; // the workers compute every chunk
  const restore = () => {
    Object.assign(PARALLEL_THRESHOLDS, saved);
    if (env === undefined) delete process.env.RECS_TRAIN_THREADS;
    else process.env.RECS_TRAIN_THREADS = env;
  };
  try {
    const out = fn();
    if (out instanceof Promise) return out.finally(restore) as T;
    restore();
    return out;
  } catch (err) {
    restore();
    throw err;
  }
}

describe('worker threads compute exactly what one thread computes', () => {
  const ds = scaleDataset(40_000);
  afterAll(() => closeWorkers());

  it('item-item neighbours', () => {
    const ui = userItemMatrix(ds, DEFAULT_POLICY, { decay: false });
    const params = { ...DEFAULT_ITEMCF, k: 20 };
    const one = withThreads(1, () => fitItemCf(ui, params, ds.itemOrder, entryPositions(ds, ui)));
    const two = withThreads(3, () => fitItemCf(ui, params, ds.itemOrder, entryPositions(ds, ui)));
    expect(one.indptr[ds.nItems]).toBeGreaterThan(1000);
    expect(Array.from(two.indptr)).toEqual(Array.from(one.indptr));
    expect(Array.from(two.indices)).toEqual(Array.from(one.indices));
    expect(Array.from(two.scores)).toEqual(Array.from(one.scores));
  });

  it('validation scores (per-case ranks summed in case order)', () => {
    const split = carveValidation(ds);
    const fitted = fitModel(split.train, DEFAULT_POLICY);
    expect(split.cases.length).toBeGreaterThan(500);
    for (const params of [DEFAULT_RANK, { ...DEFAULT_RANK, refindAlpha: 0.5, categoryWeight: 0.05, intentWeight: 0.5 }]) {
      const reference = new Scorer(split.train, split.exclude);
      const ranker = new Ranker({ ...fitted.model, params });
      for (const c of split.cases) reference.add(c, ranker.rank(c.user, 20, split.exclude, true));
      const two = withThreads(2, () => scoreParams(split, fitted, params));
      const { ranks: _ranks, ...figures } = reference.result();
      expect(two).toEqual(figures);
      expect(withThreads(2, () => scoreCases(split, { ...fitted.model, params }, 20))).toEqual(reference.result());
    }
  });

  it('holdout evaluation (itemcf unfilled, published filled)', () => {
    const split = carveValidation(ds);
    const strip = (rs: ReturnType<typeof evaluateSplit>) => rs.map(({ fitSeconds: _f, recommendSeconds: _r, ...m }) => m);
    const one = withThreads(1, () => strip(evaluateSplit(split, DEFAULT_POLICY)));
    const two = withThreads(2, () => strip(evaluateSplit(split, DEFAULT_POLICY)));
    expect(two).toEqual(one);
    expect(one.find((r) => r.model === 'published')!.hr10).toBeGreaterThan(0);
  });

  it('per-user packed lists equal the encoded users()', async () => {
    const trained = await trainModels(
      ds,
      { ...DEFAULT_POLICY, training: { ...DEFAULT_POLICY.training, embedding: { ...DEFAULT_POLICY.training.embedding, enabled: false } } },
      {
        version: 'v1',
        createdAt: 1,
      },
    );
    const expected = [...trained.users()].map(([id, rec]) => [id, encodeUserRecommendations(rec).toString('hex')]);
    const got: Array<[string, string]> = [];
    await withThreads(3, async () => {
      for await (const chunk of trained.packedLists()) for (const [id, buf] of chunk) got.push([id, buf.toString('hex')]);
    });
    expect(got.length).toBe(ds.nUsers);
    expect(got).toEqual(expected);
  });

  it('a failing worker fails the job', () => {
    expect(() => withThreads(2, () => parallelForSync('rank-cases', {}, 8, () => undefined))).toThrow();
  });
});

describe('packedUserLists without workers', () => {
  it('matches users() on one thread', async () => {
    const ds = scaleDataset(5_000);
    const fitted = fitModel(ds, DEFAULT_POLICY);
    const out: Buffer[] = [];
    for await (const chunk of packedUserLists(ds, fitted.model, { topN: 30, exclude: 'bought' }, 1)) for (const [, b] of chunk) out.push(b);
    expect(out.length).toBe(ds.nUsers);
  });
});
