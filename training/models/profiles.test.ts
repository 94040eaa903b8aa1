import { DatasetBuilder } from '../data/dataset';
import { ev, item } from '../data/testkit';
import { priceBandName, userProfiles } from './profiles';

describe('userProfiles', () => {
  it('gives each shopper a price band, a purchase cadence and the event type they do most', () => {
    const b = new DatasetBuilder();
    // Nine priced items: terciles at 3 and 6.
    b.addItems(Array.from({ length: 9 }, (_, k) => item(`p${k + 1}`, 'c', { price: k + 1 })).concat([item('free', 'c', { price: null })]));
    b.add([
      // Buys cheap things every 4 days, mostly views.
      ev('thrifty', 'p1', 'view', 1),
      ev('thrifty', 'p1', 'purchase', 1.1),
      ev('thrifty', 'p2', 'view', 4),
      ev('thrifty', 'p2', 'purchase', 5.1),
      ev('thrifty', 'p3', 'view', 8),
      ev('thrifty', 'p3', 'purchase', 9.1),
      ev('thrifty', 'p4', 'view', 9.2),
      // Carts dear things, never buys.
      ev('dreamer', 'p9', 'cart', 2),
      ev('dreamer', 'p8', 'cart', 3),
      ev('dreamer', 'p7', 'view', 3.5),
      // Only an unpriced item.
      ev('unknown', 'free', 'purchase', 2),
    ]);
    const ds = b.build();
    const p = userProfiles(ds);
    const of = (user: string) => {
      const u = ds.userIndex.get(user)!;
      return { band: priceBandName(p.priceBand[u]), cadence: p.cadenceDays[u], dominant: p.dominantType[u] };
    };
    expect(of('thrifty')).toEqual({ band: 'low', cadence: expect.closeTo(4, 6), dominant: 0 });
    expect(of('dreamer')).toEqual({ band: 'high', cadence: NaN, dominant: 2 });
    expect(of('unknown')).toEqual({ band: null, cadence: NaN, dominant: 3 });
  });
});
