/**
 * Holds the live version's decoded meta in memory and keeps it in step with the cache's live
 * pointer. The item dictionary and fallback lists are decoded once per version switch; requests
 * only read from memory. A rollback or a new publish is picked up within `pollMs`.
 */
import type { RecommendationCache } from '../storage/cache/port';
import { decodeVersionMeta, type VersionMeta } from '../contracts/versionMeta';
import type { Logger } from '../observability/logger';

export interface LoadedVersion {
  meta: VersionMeta;
  /** External item id -> index into meta.itemIds. */
  itemIndex: Map<string, number>;
  /** Category name -> index into meta.categories. */
  categoryIndex: Map<string, number>;
  loadedAt: number;
}

export interface CatalogView {
  rev: number;
  availability: Map<string, boolean>;
}

export class LiveVersion {
  private current: LoadedVersion | null = null;
  private overlay: CatalogView = { rev: -1, availability: new Map() };
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private overlayLoading: Promise<void> | null = null;
  /**
   * Availability per item index of one version under one overlay (the training-time flags with the
   * API's changes applied), rebuilt when either changes: a request reads a byte per candidate instead
   * of looking the item's id up in the overlay.
   */
  private availability: { version: LoadedVersion; overlay: CatalogView; flags: Uint8Array } | null = null;

  constructor(
    private readonly cache: RecommendationCache,
    private readonly logger: Logger,
    private readonly pollMs = 1000,
    private readonly onLoad?: (version: string) => void,
  ) {}

  /** Loads the live version now, then follows the pointer in the background. */
  async start(): Promise<void> {
    await this.refresh();
    await this.ensureOverlay(Number.NaN);
    if (this.pollMs > 0) {
      this.timer = setInterval(() => {
        this.refresh().catch((err) => this.logger.warn({ err }, 'live version refresh failed'));
      }, this.pollMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  version(): LoadedVersion | null {
    return this.current;
  }

  /** Reads the live pointer and loads the version's meta when it changed. Concurrent calls share one load. */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const live = await this.cache.liveVersion();
    if (!live) {
      if (this.current) this.logger.warn({ version: this.current.meta.version }, 'live pointer vanished; keeping loaded version');
      return;
    }
    if (this.current?.meta.version === live) return;
    const buf = await this.cache.readVersionMeta(live);
    if (!buf) {
      this.logger.warn({ version: live }, 'live version has no meta in the cache');
      return;
    }
    const started = Date.now();
    const meta = decodeVersionMeta(buf);
    const itemIndex = new Map<string, number>();
    meta.itemIds.forEach((id, i) => itemIndex.set(id, i));
    const categoryIndex = new Map<string, number>();
    meta.categories.forEach((c, i) => categoryIndex.set(c, i));
    const previous = this.current?.meta.version ?? null;
    this.current = { meta, itemIndex, categoryIndex, loadedAt: Date.now() };
    this.onLoad?.(live);
    this.logger.info(
      { version: live, previous, items: meta.itemIds.length, users: meta.users, ms: Date.now() - started },
      'loaded live model version',
    );
  }

  /** Availability changed through the API since training; reloaded when the cache revision moves. */
  catalog(): CatalogView {
    return this.overlay;
  }

  async ensureOverlay(rev: number): Promise<void> {
    if (rev === this.overlay.rev) return;
    if (!this.overlayLoading) {
      this.overlayLoading = this.cache
        .readCatalogOverlay()
        .then((o) => {
          this.overlay = { rev: o.rev, availability: o.availability };
        })
        .finally(() => {
          this.overlayLoading = null;
        });
    }
    await this.overlayLoading;
  }

  /** Whether an item may be shown: the API overlay wins over the training-time flag. */
  isAvailable(v: LoadedVersion, itemIndex: number): boolean {
    let a = this.availability;
    if (a === null || a.version !== v || a.overlay !== this.overlay) a = this.availability = this.buildAvailability(v);
    return a.flags[itemIndex] === 1;
  }

  private buildAvailability(v: LoadedVersion): { version: LoadedVersion; overlay: CatalogView; flags: Uint8Array } {
    const flags = new Uint8Array(v.meta.itemIds.length);
    for (let i = 0; i < flags.length; i++) flags[i] = v.meta.itemAvailable[i] === 1 ? 1 : 0;
    for (const [id, available] of this.overlay.availability) {
      const i = v.itemIndex.get(id);
      if (i !== undefined) flags[i] = available ? 1 : 0;
    }
    return { version: v, overlay: this.overlay, flags };
  }
}
