/** Catalogue upserts: the database holds the truth; availability also goes to the live overlay at once. */
import type { Database } from '../storage/ports';
import type { RecommendationCache } from '../storage/cache/port';
import type { Item, ItemPatch } from '../domain/types';
import type { Logger } from '../observability/logger';
import { UnavailableError } from '../errors';

export class CatalogService {
  constructor(
    private readonly db: Database,
    private readonly cache: RecommendationCache,
    private readonly logger: Logger,
  ) {}

  async upsert(patch: ItemPatch): Promise<Item> {
    let item: Item | null;
    try {
      await this.db.catalog.upsertItems([patch]);
      item = await this.db.catalog.getItem(patch.itemId);
    } catch (err) {
      this.logger.error({ err }, 'catalogue write failed');
      throw new UnavailableError('the catalogue could not be updated right now; retry later');
    }
    if (!item) throw new UnavailableError('the catalogue write was not visible; retry later');
    if (patch.available !== undefined) {
      await this.cache.setAvailability([{ itemId: patch.itemId, available: patch.available }]);
    }
    return item;
  }
}
