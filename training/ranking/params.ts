/**
 * The ranking blend's parameters. Defaults were chosen on validation splits carved from training
 * data; the recipe tunes the searched ones per run (tuning/search.ts).
 */
export interface RankParams {
  /** Weight multiplier per step back in the user's distinct-item history (1 = no recency). */
  seedDecay: number;
  /** Weight of the (normalised) refind score against the (normalised) itemcf score. */
  refindWeight: number;
  /** Half-life of a touched item's refind score, in hours before the user's last event. */
  refindHalfLifeHours: number;
  /** Weight of the (normalised) global popularity added to each candidate. */
  popularityWeight: number;
  /**
   * Refind strength of a fav and a cart event relative to a view (a view counts 1); NaN = the
   * policy's event weights (fav / view, cart / view).
   */
  refindFav: number;
  refindCart: number;
  /**
   * Session position: a touched, not bought item also scores refindPositionWeight x
   * refindPositionDecay^p, p = its position among the user's distinct items, newest first (0 = the
   * last item touched). Position says "what was being looked at just now" independently of how
   * many events the item collected. 0 = off.
   */
  refindPositionWeight: number;
  refindPositionDecay: number;
  /**
   * Category source: popular items of the categories of the user's most recent distinct items
   * (category weight seedDecay^p), scored categoryWeight x item popularity / the category's best,
   * at most categoryCandidates per category. 0 = off (also off when the data has no categories).
   */
  categoryWeight: number;
  categoryCandidates: number;
  /**
   * Purchase intent: a carted or favourited, not bought item also scores intentWeight x
   * max over those events of (1 for a cart, intentFav for a fav) x 0.5^(age / intentHalfLifeHours),
   * age before the user's last event. A cart stays a likely purchase for days while views fade
   * within hours; a separate half-life keeps both. 0 = off.
   */
  intentWeight: number;
  intentHalfLifeHours: number;
  intentFav: number;
  /**
   * Power-law refind decay: when refindAlpha > 0 an event's refind strength decays as
   * (1 + age / refindTauHours)^-alpha instead of 0.5^(age / refindHalfLifeHours), alpha =
   * refindCartAlpha for carts (NaN = refindAlpha) and refindAlpha otherwise. Measured purchase rates
   * fall like a power of the age, and a cart's far more slowly than a view's. 0 = exponential.
   */
  refindAlpha: number;
  refindTauHours: number;
  refindCartAlpha: number;
  /**
   * Category focus: a touched, not bought item also scores focusWeight x the share of the user's
   * last focusEvents events whose item is in the item's category (shoppers compare within one
   * category, then buy one). 0 = off.
   */
  focusWeight: number;
  focusEvents: number;
  /**
   * Dwell: the time a shopper stayed on an item before the next event (a different item, at most
   * dwellCapMinutes later; longer gaps are session ends, not reading) says how closely they looked
   * at it. A touched item scores dwellWeight x its sum of log(1 + dwell minutes) x
   * 0.5^(age / dwellHalfLifeHours) (0 = no decay), normalised by the user's best. 0 = off.
   */
  dwellWeight: number;
  dwellCapMinutes: number;
  dwellHalfLifeHours: number;
}

export const DEFAULT_RANK: RankParams = {
  seedDecay: 0.7,
  refindWeight: 2,
  refindHalfLifeHours: 24,
  popularityWeight: 0,
  refindFav: NaN,
  refindCart: NaN,
  refindPositionWeight: 0,
  refindPositionDecay: 0.5,
  categoryWeight: 0,
  categoryCandidates: 20,
  intentWeight: 0,
  intentHalfLifeHours: 72,
  intentFav: 0.5,
  refindAlpha: 0,
  refindTauHours: 1,
  refindCartAlpha: 0.3,
  focusWeight: 0,
  focusEvents: 3,
  dwellWeight: 0,
  dwellCapMinutes: 30,
  dwellHalfLifeHours: 24,
};
