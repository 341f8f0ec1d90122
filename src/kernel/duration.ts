const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses `90s`, `5m`, `24h`, `7d`, `250ms` (or a number of seconds) into milliseconds; undefined if malformed. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim())
  if (!match) return undefined
  return Number(match[1]) * (UNITS[match[2] as string] as number)
}
