/** Plain domain types shared by the service, the stores and the trainer. */

export const EVENT_TYPES = ['view', 'fav', 'cart', 'purchase'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Outcomes a storefront reports about a recommended item (POST /v1/feedback). */
export const FEEDBACK_TYPES = ['impression', 'click', 'purchase'] as const;
export type FeedbackType = (typeof FEEDBACK_TYPES)[number];

/** Where a storefront shows recommendations (SPEC `placement`). */
export const PLACEMENTS = ['home', 'product', 'cart'] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** Price bands of a shopper's profile (bought and carted items' prices against the catalogue's terciles). */
export const PRICE_BANDS = ['low', 'mid', 'high'] as const;
export type PriceBand = (typeof PRICE_BANDS)[number];

/** Lifecycle segments, in SPEC's evaluation order (first match wins). */
export const SEGMENTS = ['new', 'churned', 'at_risk', 'high_value', 'paying', 'active'] as const;
export type Segment = (typeof SEGMENTS)[number];

export interface StoreEvent {
  userId: string;
  itemId: string;
  type: EventType;
  /** Epoch milliseconds. */
  ts: number;
}

export interface Item {
  itemId: string;
  category: string | null;
  available: boolean;
  price: number | null;
  /** Epoch milliseconds, or null when unknown. */
  createdAt: number | null;
}

/** A partial catalogue write: only the given fields change. */
export interface ItemPatch {
  itemId: string;
  category?: string | null;
  available?: boolean;
  price?: number | null;
  createdAt?: number | null;
}

/** Where a recommended item came from; SPEC names (`itemcf`, `session`, `popular`, `segment:<name>`...). */
export type Source = string;

export interface RankedItem {
  itemId: string;
  score: number;
  source: Source;
}
