import type { Tier } from '../identity/index.js'

const STRICTNESS: Record<Tier, number> = { low: 0, standard: 1, high: 2, critical: 3 }

/** The stricter of two tiers: a delegated task is never weaker than its parent. */
export function stricterTier(a: Tier, b: Tier): Tier {
  return STRICTNESS[a] >= STRICTNESS[b] ? a : b
}
