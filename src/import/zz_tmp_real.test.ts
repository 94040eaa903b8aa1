import { readAllEvents } from './reader';
import { generateStorefront, DEFAULT_STOREFRONT_OPTIONS } from '../sample/storefront';
const D = '/work/shared/data/';
test('real', async () => {
  for (const [p, f] of [['ml-100k/u.data','movielens'],['ml-100k/u.data','movielens'],['taobao-userbehavior-sample/UserBehavior.csv','taobao'],['ml-latest-small/ratings.csv','movielens-csv']] as const) {
    const t0 = process.hrtime.bigint();
    const r = await readAllEvents(D + p, f);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const users = new Set(r.events.map(e => e.userId)).size;
    const types: Record<string, number> = {};
    for (const e of r.events) types[e.type] = (types[e.type] ?? 0) + 1;
    const cats = new Set([...r.items.values()]).size;
    console.log(p, JSON.stringify({ events: r.events.length, users, items: r.items.size, cats, errors: r.errors.length, lines: r.lines, types, seconds: s, firstErr: r.errors[0] }));
  }
  const t0 = process.hrtime.bigint();
  generateStorefront(DEFAULT_STOREFRONT_OPTIONS); const t1 = process.hrtime.bigint(); const sf = generateStorefront(DEFAULT_STOREFRONT_OPTIONS); console.log('warm gen', Number(process.hrtime.bigint() - t1)/1e9);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const types: Record<string, number> = {};
  for (const e of sf.events) types[e.type] = (types[e.type] ?? 0) + 1;
  const ratio = Object.fromEntries(Object.entries(types).map(([k,v]) => [k, (v / sf.events.length).toFixed(3)]));
  const maxTs = sf.events[sf.events.length-1].ts;
  const last = new Map<string, number>(); const first = new Map<string, number>(); const distinct = new Map<string, Set<string>>();
  for (const e of sf.events) { last.set(e.userId, e.ts); if (!first.has(e.userId)) first.set(e.userId, e.ts); if (!distinct.has(e.userId)) distinct.set(e.userId, new Set()); distinct.get(e.userId)!.add(e.itemId); }
  const b: Record<string, number> = {};
  for (const [u, l] of last) { const d = (maxTs - l) / 864e5; const k = (maxTs - first.get(u)!)/864e5 < 7 || distinct.get(u)!.size < 3 ? 'new' : d > 60 ? 'churned' : d > 21 ? 'at_risk' : 'active'; b[k] = (b[k] ?? 0) + 1; }
  const buyers = new Set(sf.events.filter(e => e.type==='purchase').map(e=>e.userId)).size;
  console.log(JSON.stringify({ events: sf.events.length, users: last.size, items: sf.items.length, unavailable: sf.items.filter(i=>!i.available).length, types, ratio, s, b, buyers, maxTs: new Date(maxTs).toISOString() }));
});
