/** Names the engine reports or writes itself, so flows may not define them. */

/** Intent name reported when nothing matched with enough confidence. */
export const FALLBACK_INTENT = "fallback";
/** Intent name reported when a `collect` step accepted keypad digits. */
export const COLLECT_INTENT = "collect";
/** Context key holding the consecutive-miss counter that drives reprompts and escalation. */
export const MISS_COUNTER_KEY = "fallbackMisses";
