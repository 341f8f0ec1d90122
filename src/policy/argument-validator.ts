import { Ajv, type ValidateFunction } from 'ajv'
import type { CatalogTool } from '../catalog/index.js'

/**
 * Checks a call's arguments against the tool's pinned input schema (JSON Schema, via Ajv) before any policy
 * runs; a call that does not match is denied. Validators are compiled once per pinned definition.
 */
export class ArgumentValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false })
  private readonly compiled = new Map<string, ValidateFunction | string>()

  /** Undefined when the arguments fit; else what is wrong. */
  check(tool: CatalogTool, args: Record<string, unknown>): string | undefined {
    args = withoutNullOptionals(tool, args)
    let validate = this.compiled.get(tool.digest)
    if (validate === undefined) {
      try {
        // The draft is fixed by Ajv; a `$schema` naming another draft would only make compilation fail.
        const { $schema: _ignored, ...schema } = tool.definition.inputSchema
        validate = this.ajv.compile(schema)
      } catch (error) {
        validate = `the input schema of \`${tool.name}\` does not compile: ${String(error)}`
      }
      this.compiled.set(tool.digest, validate)
    }
    if (typeof validate === 'string') return validate
    if (validate(args)) return undefined
    const first = validate.errors?.[0]
    return `arguments do not match the schema of \`${tool.name}\`: ${first?.instancePath || '(root)'} ${first?.message ?? 'is invalid'}`
  }
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
