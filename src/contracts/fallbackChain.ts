/**
 * The one resolver of a segment's fallback chain: for each step, the ordered item lists it draws
 * from and the source its items carry. The trainer's fill (what evaluation scores) and the
 * service's answers both walk a chain through it, so offline figures describe the served chain.
 */
import type { FallbackStep } from '../config/policy';
import type { Segment } from '../domain/types';
import type { Csr } from './versionMeta';

/** The fallback lists a version stores (VersionMeta and the trainer's fitted lists both have them). */
export interface FallbackTables {
  /** Global lists by name: `popular`, `trending`, `best_converting`, `new_arrivals`. */
  lists: Record<string, ArrayLike<number>>;
  /** Per-category rows by name: `category_popular` and `segment:<segment>`. */
  categoryLists: Record<string, Csr>;
  segmentLists: Partial<Record<Segment, ArrayLike<number>>>;
}

export interface ChainContext {
  segment: Segment;
  /** The shopper's categories, best first; called only by the steps that need them. */
  categories(): ArrayLike<number>;
  /** Items touched and not bought, newest first (one list per origin). */
  refind(): ReadonlyArray<ArrayLike<number>>;
  /** A category the request is restricted to: `popular` draws from that category first. */
  categoryFilter?: number;
}

export interface StepLists {
  /** The source name reported for items this step serves. */
  source: string;
  lists: ArrayLike<number>[];
}

function categoryRows(tables: FallbackTables, name: string, categories: ArrayLike<number>): ArrayLike<number>[] {
  const csr = tables.categoryLists[name];
  const rows: ArrayLike<number>[] = [];
  for (let x = 0; csr && x < categories.length; x++) {
    const c = categories[x];
    rows.push(csr.indices.subarray(csr.indptr[c], csr.indptr[c + 1]));
  }
  return rows;
}

/** The lists one chain step draws from, in order. */
export function stepLists(tables: FallbackTables, step: FallbackStep, ctx: ChainContext): StepLists {
  switch (step) {
    case 'refind':
      return { source: 'refind', lists: [...ctx.refind()] };
    case 'trending':
    case 'best_converting':
    case 'new_arrivals':
      return { source: step, lists: [tables.lists[step] ?? []] };
    case 'category_popular':
      return { source: 'category_popular', lists: categoryRows(tables, 'category_popular', ctx.categories()) };
    case 'segment_popular':
      return {
        source: `segment:${ctx.segment}`,
        lists: [...categoryRows(tables, `segment:${ctx.segment}`, ctx.categories()), tables.segmentLists[ctx.segment] ?? []],
      };
    case 'popular':
      return {
        source: 'popular',
        lists:
          ctx.categoryFilter !== undefined
            ? [...categoryRows(tables, 'category_popular', [ctx.categoryFilter]), tables.lists.popular ?? []]
            : [tables.lists.popular ?? []],
      };
  }
}
