import type { CedarValueJson } from '@cedar-policy/cedar-wasm/nodejs'
import type { InputShape } from './input-shape.js'

export type Converted = { ok: true; value: CedarValueJson } | { ok: false; error: string }

const fail = (error: string): Converted => ({ ok: false, error })
const ok = (value: CedarValueJson): Converted => ({ ok: true, value })

/**
 * The largest doubles inside Cedar's `Long` (a signed 64-bit integer): 2^63 − 1 itself is not a double. A valid
 * integer beyond is clamped to these, so a comparison with any smaller literal decides as on the true value.
 */
export const LONG_LIMIT = 2 ** 63 - 1024
/** Cedar's `decimal` range (four fractional digits): ±922337203685477.5807. */
const DECIMAL_LIMIT = 922_337_203_685_477

/**
 * Converts a tool call's JSON arguments (already valid for the tool's schema) to Cedar values following their
 * shape: `decimal` numbers become `decimal("…")` extension values rounded to four digits, `Long`s are clamped to
 * Cedar's range, optional (or nullable) attributes that are absent or `null` are left out, records recurse, and
 * untyped parts become their canonical JSON text. Only a value that does not fit its shape fails, which a valid
 * call cannot do (see the invariant in input-shape.ts); the decision then denies.
 */
export function toCedarValue(value: unknown, shape: InputShape, path = 'input'): Converted {
  switch (shape.kind) {
    case 'string':
      return typeof value === 'string' ? ok(value) : fail(`\`${path}\` must be a string`)
    case 'json':
      return ok(canonicalText(value))
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`\`${path}\` must be an integer`)
      return ok(Math.max(-LONG_LIMIT, Math.min(LONG_LIMIT, value)))
    case 'boolean':
      return typeof value === 'boolean' ? ok(value) : fail(`\`${path}\` must be a boolean`)
    case 'decimal': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`\`${path}\` must be a number`)
      const clamped = Math.max(-DECIMAL_LIMIT, Math.min(DECIMAL_LIMIT, value))
      // `-0.0000` is zero; Cedar needs the point and at most four fractional digits.
      return ok({ __extn: { fn: 'decimal', arg: (clamped === 0 ? 0 : clamped).toFixed(4) } })
    }
    case 'set': {
      if (!Array.isArray(value)) return fail(`\`${path}\` must be an array`)
      const items: CedarValueJson[] = []
      for (const [i, item] of value.entries()) {
        const converted = toCedarValue(item, shape.element, `${path}[${i}]`)
        if (!converted.ok) return converted
        items.push(converted.value)
      }
      return ok(items)
    }
    case 'record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return fail(`\`${path}\` must be an object`)
      const out: Record<string, CedarValueJson> = {}
      for (const [key, attribute] of Object.entries(shape.attributes)) {
        const member = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined
        if (member === undefined || (member === null && !attribute.required)) {
          if (attribute.required) return fail(`\`${path}.${key}\` is required`)
          continue
        }
        const converted = toCedarValue(member, attribute.shape, `${path}.${key}`)
        if (!converted.ok) return converted
        out[key] = converted.value
      }
      return ok(out)
    }
  }
}

/** JSON text with object keys sorted at every level, so equal values give equal text. */
export function canonicalText(value: unknown): string {
  return JSON.stringify(sorted(value)) ?? 'null'
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) out[key] = sorted((value as Record<string, unknown>)[key])
  return out
}
