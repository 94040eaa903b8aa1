/**
 * The nightly job's load stage: catalogue and events streamed from the database into a
 * DatasetBuilder. On PostgreSQL the events arrive through `COPY ... TO STDOUT` and are decoded
 * field by field into the builder's typed arrays (no event objects); elsewhere through the
 * store's keyset pages.
 */
import type { Database } from '../../src/storage/ports';
import { type Dataset, DatasetBuilder } from './dataset';

export async function loadDataset(db: Database, opts: { now?: number; log?: (events: number) => void } = {}): Promise<Dataset> {
  const builder = new DatasetBuilder();
  for await (const batch of db.catalog.streamItems(20000)) builder.addItems(batch);
  let n = 0;
  if (db.events.scanEvents) {
    n = await db.events.scanEvents((userId, itemId, type, ts) => builder.addEvent(userId, itemId, type, ts));
  } else {
    for await (const batch of db.events.streamEvents(50000)) {
      builder.add(batch);
      n += batch.length;
    }
  }
  opts.log?.(n);
  return builder.build({ now: opts.now });
}
