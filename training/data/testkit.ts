/** Small synthetic data helpers shared by the training unit tests. */
import type { EventType, Item, StoreEvent } from '../../src/domain/types';
import { DAY_MS } from './dataset';

export const T0 = Date.UTC(2024, 0, 1);

/** An event `day` days (fractions allowed) after T0. */
export function ev(userId: string, itemId: string, type: EventType, day: number): StoreEvent {
  return { userId, itemId, type, ts: T0 + Math.round(day * DAY_MS) };
}

export function item(itemId: string, category: string | null, over: Partial<Item> = {}): Item {
  return { itemId, category, available: true, price: null, createdAt: null, ...over };
}
