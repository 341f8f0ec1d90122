import { readdirSync, readFileSync } from 'node:fs'
import { generateSync, type JsonSchema } from 'json-schema-faker'
import { type CatalogTool, type ToolDefinition, unstoredTool } from '../../src/catalog/index.js'
import type { ArgumentValidator, InputShape } from '../../src/policy/index.js'

const DIR = new URL('../corpus/mcp-tools/', import.meta.url).pathname

/** One file of test/corpus/mcp-tools (written by scripts/mcp-tool-corpus.mjs). */
export interface CorpusServer {
  server: string
  package: string
  version: string
  tools: ToolDefinition[]
}

export function readCorpus(): CorpusServer[] {
  return readdirSync(DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(`${DIR}${file}`, 'utf8')) as CorpusServer)
}

export function corpusTools(corpus: readonly CorpusServer[]): CatalogTool[] {
  return corpus.flatMap(({ server, tools }) => tools.map((definition) => unstoredTool(server, definition)))
}

/**
 * A call valid for the tool's schema, generated from it (json-schema-faker, seeded: the same call every run).
 * Calls with every optional argument filled are preferred, so that every shape is exercised; the validator under
 * test is the oracle of validity.
 */
export function validCall(tool: CatalogTool, validator: ArgumentValidator): Record<string, unknown> {
  let last = ''
  for (let seed = 1; seed <= 40; seed++) {
    let args: unknown
    try {
      args = generateSync(tool.definition.inputSchema as JsonSchema, {
        seed,
        alwaysFakeOptionals: seed <= 20,
        optionalsProbability: 0.5,
        maxDepth: 4,
        maxItems: 3,
      })
    } catch (error) {
      last = String(error)
      continue
    }
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      last = `generated ${JSON.stringify(args)}`
      continue
    }
    const mismatch = validator.check(tool, args as Record<string, unknown>)
    if (!mismatch) return args as Record<string, unknown>
    last = mismatch
  }
  throw new Error(`no valid call generated for ${tool.server}/${tool.name}: ${last}`)
}

/** Something no schema keyword in the corpus accepts where it asks for a particular kind. */
const ODD = { 'warden-invalid': [null, 1.5] }

/**
 * A call the tool's schema rejects, made from a valid one: a required argument dropped, an argument of the wrong
 * kind, or an argument the schema does not declare. Undefined when the schema accepts every object.
 */
export function invalidCall(
  tool: CatalogTool,
  valid: Record<string, unknown>,
  validator: ArgumentValidator,
): Record<string, unknown> | undefined {
  const schema = tool.definition.inputSchema
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : []
  const declared = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {})
  const candidates: Record<string, unknown>[] = []
  for (const key of required) {
    const { [key]: _dropped, ...rest } = valid
    candidates.push(rest)
  }
  for (const key of declared) candidates.push({ ...valid, [key]: ODD }, { ...valid, [key]: 'warden-invalid' })
  candidates.push({ ...valid, 'warden-undeclared': ODD })
  return candidates.find((args) => validator.check(tool, args) !== undefined)
}

/** A Cedar string literal (Cedar escapes are Rust's: `\u{…}`, not JSON's `\uXXXX`). */
export function cedarString(text: string): string {
  let out = '"'
  for (const char of text) {
    const code = char.codePointAt(0) as number
    if (char === '"' || char === '\\') out += `\\${char}`
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += `\\u{${code.toString(16)}}`
    else out += char
  }
  return `${out}"`
}

/** Which shape kinds a condition read, for the report of what the corpus exercised. */
export type ShapeKind = InputShape['kind'] | 'enum' | 'optional'

/** The Cedar literal a primitive JSON argument should arrive as, worked out apart from Warden's converter. */
function literalOf(value: unknown, shape: InputShape): string {
  switch (shape.kind) {
    case 'string':
      return cedarString(value as string)
    case 'json':
      return cedarString(JSON.stringify(sortedKeys(value)))
    case 'long':
      return String(value)
    case 'boolean':
      return String(value)
    case 'decimal':
      return `decimal("${(value as number).toFixed(4)}")`
    default:
      throw new Error(`no literal for a ${shape.kind}`)
  }
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
  )
}

/**
 * Cedar conditions that all hold for the JSON argument `value` of `shape` at `path`: equality for primitives and
 * untyped JSON text, `contains` for sets, `has` then each attribute for records. The literals come from the raw
 * JSON, not from Warden's conversion. At most `limit` are made.
 */
export function conditionsFor(
  path: string,
  value: unknown,
  shape: InputShape,
  kinds: Set<ShapeKind>,
  out: string[] = [],
  limit = 24,
): string[] {
  if (out.length >= limit) return out
  kinds.add(shape.kind)
  switch (shape.kind) {
    case 'set': {
      const items = value as unknown[]
      if (items.length === 0) out.push(`${path}.isEmpty()`)
      else {
        out.push(`!${path}.isEmpty()`)
        if (shape.element.kind !== 'record' && shape.element.kind !== 'set')
          out.push(`${path}.contains(${literalOf(items[0], shape.element)})`)
      }
      break
    }
    case 'record': {
      const record = value as Record<string, unknown>
      for (const [key, attribute] of Object.entries(shape.attributes)) {
        if (out.length >= limit) break
        const member = record[key]
        if (member === undefined || (member === null && !attribute.required)) {
          out.push(`!(${path} has ${cedarString(key)})`)
          kinds.add('optional')
          continue
        }
        if (!attribute.required) {
          out.push(`${path} has ${cedarString(key)}`)
          kinds.add('optional')
        }
        conditionsFor(`${path}[${cedarString(key)}]`, member, attribute.shape, kinds, out, limit)
      }
      break
    }
    default:
      out.push(`${path} == ${literalOf(value, shape)}`)
  }
  return out
}
