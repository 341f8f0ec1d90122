import type { CedarValueJson } from '@cedar-policy/cedar-wasm/nodejs'

/** A type in Cedar's JSON schema format, as the schema generator writes them. */
export interface SchemaType {
  type: string
  name?: string
  element?: SchemaType
  attributes?: Record<string, SchemaType & { required?: boolean }>
}

/** Common types visible to a tool's input type, by name. */
export type CommonTypes = ReadonlyMap<string, SchemaType>

export type Converted = { ok: true; value: CedarValueJson } | { ok: false; error: string }

const fail = (error: string): Converted => ({ ok: false, error })
const ok = (value: CedarValueJson): Converted => ({ ok: true, value })

/**
 * Converts a tool call's JSON arguments to Cedar values following the tool's generated input type: `decimal`
 * numbers become `decimal("…")` extension values, `Long`s must be integers, records recurse. A value that does
 * not fit is an error, and the decision denies before any policy runs.
 */
export function toCedarValue(
  value: unknown,
  type: SchemaType,
  common: CommonTypes,
  path = 'input',
): Converted {
  const kind = type.type === 'EntityOrCommon' ? (type.name ?? '') : type.type
  switch (kind) {
    case 'String':
      return typeof value === 'string' ? ok(value) : fail(`\`${path}\` must be a string`)
    case 'Long':
      return Number.isSafeInteger(value) ? ok(value as number) : fail(`\`${path}\` must be an integer`)
    case 'Boolean':
    case 'Bool':
      return typeof value === 'boolean' ? ok(value) : fail(`\`${path}\` must be a boolean`)
    case 'decimal':
      // Cedar decimals have at most four fractional digits and need the point.
      if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > 922_337_203_685_477) {
        return fail(`\`${path}\` must be a number within the decimal range`)
      }
      return ok({ __extn: { fn: 'decimal', arg: value.toFixed(4) } })
    case 'Set': {
      if (!Array.isArray(value) || !type.element) return fail(`\`${path}\` must be an array`)
      const items: CedarValueJson[] = []
      for (const [i, item] of value.entries()) {
        const converted = toCedarValue(item, type.element, common, `${path}[${i}]`)
        if (!converted.ok) return converted
        items.push(converted.value)
      }
      return ok(items)
    }
    case 'Record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return fail(`\`${path}\` must be an object`)
      const out: Record<string, CedarValueJson> = {}
      for (const [key, attribute] of Object.entries(type.attributes ?? {})) {
        const member = (value as Record<string, unknown>)[key]
        if (member === undefined) {
          if (attribute.required !== false) return fail(`\`${path}.${key}\` is required`)
          continue
        }
        const converted = toCedarValue(member, attribute, common, `${path}.${key}`)
        if (!converted.ok) return converted
        out[key] = converted.value
      }
      return ok(out)
    }
    default: {
      const named = common.get(kind)
      if (named) return toCedarValue(value, named, common, path)
      return fail(`\`${path}\` has a type Warden cannot express (\`${kind}\`)`)
    }
  }
}
