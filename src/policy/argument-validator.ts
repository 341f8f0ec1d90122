import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { CatalogTool } from '../catalog/index.js'

type Dialect = 'draft-07' | '2019-09' | '2020-12'

// `format` is an annotation in 2020-12 (and optional to assert in draft-07): formats are not checked, so a tool's
// own format names (`uri-template`, `int64`, …) never fail a call. `addUsedSchema: false`: two tools may carry the
// same `$id`. Not strict: servers use keywords of their own (`nullable`, `x-…`).
const OPTIONS: Options = { strict: false, allErrors: false, validateFormats: false, addUsedSchema: false }

/** The dialect a schema names in `$schema`; MCP (2025-11-25) makes 2020-12 the default for a schema naming none. */
export function dialectOf(schema: Record<string, unknown>): Dialect | 'draft-04' | 'unknown' {
  const named = schema.$schema
  if (typeof named !== 'string') return '2020-12'
  if (named.includes('2020-12')) return '2020-12'
  if (named.includes('2019-09')) return '2019-09'
  if (/draft-0[67]/.test(named)) return 'draft-07'
  if (/draft-0[34]/.test(named)) return 'draft-04'
  return 'unknown'
}

/**
 * Checks a call's arguments against the tool's pinned input schema (JSON Schema, via Ajv, in the dialect the
 * schema names) before any policy runs; a call that does not match is denied with the first error. Validators
 * are compiled once per pinned definition.
 */
export class ArgumentValidator {
  private readonly engines = new Map<Dialect, Ajv>()
  private readonly compiled = new Map<string, ValidateFunction | string>()

  private engine(dialect: Dialect): Ajv {
    let engine = this.engines.get(dialect)
    if (!engine) {
      engine =
        dialect === '2020-12'
          ? new Ajv2020(OPTIONS)
          : dialect === '2019-09'
            ? new Ajv2019(OPTIONS)
            : new Ajv(OPTIONS)
      this.engines.set(dialect, engine)
    }
    return engine
  }

  /** The compiled validator of a schema, or why it has none. */
  private compile(tool: CatalogTool): ValidateFunction | string {
    const schema = tool.definition.inputSchema ?? {}
    const named = dialectOf(schema)
    // A schema that does not compile in the dialect it names (or in the default one) is tried in the others:
    // servers write draft-07 schemas without `$schema` (tuple `items`), or name a draft and use 2020 keywords.
    // Draft-04's only incompatible keywords (boolean `exclusiveMinimum`/`exclusiveMaximum`) are rewritten.
    const order: Dialect[] =
      named === '2019-09'
        ? ['2019-09', '2020-12', 'draft-07']
        : named === 'draft-07' || named === 'draft-04'
          ? ['draft-07', '2020-12', '2019-09']
          : ['2020-12', 'draft-07', '2019-09']
    const { $schema: _named, ...body } = named === 'draft-04' ? fromDraft04(schema) : schema
    let first: unknown
    for (const dialect of order) {
      try {
        return this.engine(dialect).compile(body)
      } catch (error) {
        first ??= error
      }
    }
    return `the input schema of \`${tool.name}\` does not compile: ${String(first)}`
  }

  /** Undefined when the arguments fit; else what is wrong. */
  check(tool: CatalogTool, args: Record<string, unknown>): string | undefined {
    args = withoutNullOptionals(tool, args)
    let validate = this.compiled.get(tool.digest)
    if (validate === undefined) {
      validate = this.compile(tool)
      this.compiled.set(tool.digest, validate)
    }
    if (typeof validate === 'string') return validate
    if (validate(args)) return undefined
    return `arguments do not match the schema of \`${tool.name}\`: ${describe(validate.errors?.[0])}`
  }
}

/** One Ajv error as a line: where, what, and the allowed values or the offending key where Ajv names them. */
function describe(error: ErrorObject | undefined): string {
  if (!error) return '(root) is invalid'
  const where = error.instancePath || '(root)'
  const params = error.params as Record<string, unknown>
  const detail =
    error.keyword === 'enum'
      ? ` (${JSON.stringify(params.allowedValues)})`
      : error.keyword === 'const'
        ? ` (${JSON.stringify(params.allowedValue)})`
        : error.keyword === 'additionalProperties'
          ? ` (\`${String(params.additionalProperty)}\`)`
          : ''
  return `${where} ${error.message ?? 'is invalid'}${detail}`
}

/** Draft-04 wrote exclusive bounds as booleans beside `minimum`/`maximum`; later drafts as the bound itself. */
function fromDraft04(schema: unknown): Record<string, unknown> {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk)
    if (node === null || typeof node !== 'object') return node
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) out[key] = walk(value)
    for (const [flag, bound] of [
      ['exclusiveMinimum', 'minimum'],
      ['exclusiveMaximum', 'maximum'],
    ] as const) {
      if (typeof out[flag] !== 'boolean') continue
      if (out[flag] === true && typeof out[bound] === 'number') {
        out[flag] = out[bound]
        delete out[bound]
      } else delete out[flag]
    }
    return out
  }
  return walk(schema) as Record<string, unknown>
}

/**
 * Agents often send `null` for an optional argument they mean to leave out; JSON Schema would reject it. An
 * optional argument that is `null` is treated as absent — for checking and for policies — and nothing else is.
 */
export function withoutNullOptionals(
  tool: CatalogTool,
  args: Record<string, unknown>,
): Record<string, unknown> {
  const required = new Set((tool.definition.inputSchema.required as string[] | undefined) ?? [])
  let changed = false
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(args)) {
    if (value === null && !required.has(key)) changed = true
    else out[key] = value
  }
  return changed ? out : args
}
