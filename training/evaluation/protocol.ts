/**
 * The one decision about a dataset: does it hold purchases? A storefront log (with purchases) is
 * validated by the `purchase` protocol and its lists never re-show bought items; a consumption log
 * (ratings, plays) is validated by `loo` and never re-shows anything consumed.
 */
import type { Policy } from '../../src/config/policy';
import { type Dataset, TYPE_PURCHASE } from '../data/dataset';
import type { ExcludeMode } from '../ranking/ranker';

export type Protocol = 'loo' | 'purchase';

export function protocolOf(ds: Dataset): Protocol {
  for (let k = 0; k < ds.nEvents; k++) if (ds.evType[k] === TYPE_PURCHASE) return 'purchase';
  return 'loo';
}

/** What a protocol's lists skip besides unavailable items. */
export function excludeModeOf(protocol: Protocol): ExcludeMode {
  return protocol === 'purchase' ? 'bought' : 'history';
}

/** What the served lists skip: the policy's `excludeInteracted`, where `auto` follows the data. */
export function servedExclusion(ds: Dataset, policy: Policy): ExcludeMode {
  const setting = policy.training.excludeInteracted;
  if (setting === 'purchased') return 'bought';
  if (setting === 'all') return 'history';
  return excludeModeOf(protocolOf(ds));
}
