import ms from 'ms'

/**
 * Parses `90s`, `5m`, `24h`, `7d`, `250ms`, `1.5h` (vercel/ms) or a number of seconds into milliseconds; undefined
 * if malformed. A bare number in a string is refused: `"30"` could mean seconds or milliseconds.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined
  const text = value.trim()
  if (!/^\d+(\.\d+)?\s*[a-z]+$/i.test(text)) return undefined
  const parsed = ms(text as ms.StringValue) as number | undefined
  return typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined
}
