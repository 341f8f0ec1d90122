/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, `undefined` members dropped — the JSON
 * Canonicalization Scheme (RFC 8785) for the values Warden stores (strings, finite numbers, booleans, null).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new TypeError('non-finite number in event')
    return JSON.stringify(value) ?? 'null'
  }
  // Loops and one string, not entries, filter, map and join: this runs on every chain record.
  let out = ''
  if (Array.isArray(value)) {
    for (const item of value) out += `,${canonicalJson(item ?? null)}`
    return `[${out.slice(1)}]`
  }
  const object = value as Record<string, unknown>
  // The default sort compares UTF-16 code units, as RFC 8785 orders members.
  for (const key of Object.keys(object).sort()) {
    const member = object[key]
    if (member !== undefined) out += `,${JSON.stringify(key)}:${canonicalJson(member)}`
  }
  return `{${out.slice(1)}}`
}
