// How a tool's JSON Schema becomes the Cedar type of `context.input` (docs/policies.md, "Tool arguments").
//
// INVARIANT: the shape of a schema accepts every value the schema accepts. Each rule below keeps that: a shape is
// only ever as narrow as what the schema guarantees, and anything Cedar cannot type (a union of kinds, an open
// map, a recursive or tuple schema, an untyped `{}`) becomes `json` — the value's canonical JSON text, a Cedar
// String. So a call that passes the tool's own schema (checked first, by Ajv) always converts; a shape never
// denies a valid call.

/** What a value is typed as for policies. `json`: untyped, the canonical JSON text of the value. */
export type InputShape =
  | { kind: 'string' }
  | { kind: 'long' }
  | { kind: 'decimal' }
  | { kind: 'boolean' }
  | { kind: 'json'; why: string }
  | { kind: 'set'; element: InputShape }
  | { kind: 'record'; attributes: Record<string, { shape: InputShape; required: boolean }> }

/** A shape while it is derived: whether `null` is also accepted, and (records) whether other keys are. */
interface Typed {
  shape: InputShape
  nullable: boolean
  /** Records: keys beyond the declared ones are rejected by the schema. */
  closed?: boolean
}

type Schema = Record<string, unknown>

interface Context {
  root: Schema
  /** `$ref`s being expanded (a cycle becomes `json`). */
  expanding: Set<string>
  /** Draft-07 and older ignore the siblings of `$ref`; 2019-09 and later apply them. */
  refSiblings: boolean
  /** Schema nodes still allowed to be expanded (a bound on huge or explosive schemas). */
  budget: number
}

const MAX_DEPTH = 16
const MAX_NODES = 5000

const json = (why: string, nullable = false): Typed => ({ shape: { kind: 'json', why }, nullable })
const of = (shape: InputShape, nullable = false): Typed => ({ shape, nullable })

/** Record keys Cedar's JSON value format reserves (`{"__entity": …}` is an entity reference, not a record). */
const RESERVED_KEY = /^__(entity|extn|expr)$/

/**
 * The shape of a tool's arguments. MCP arguments are always a JSON object, so the root is taken as one even when
 * its schema leaves `type` out. A root that declares no properties (an open map, or GitLab's schemas, which are
 * empty) is untyped: `context.input` is then the JSON text of all the arguments.
 */
export function inputShapeOf(inputSchema: Schema): InputShape {
  const dialect = typeof inputSchema.$schema === 'string' ? inputSchema.$schema : ''
  const context: Context = {
    root: inputSchema,
    expanding: new Set(),
    refSiblings: !/draft-0[3-7]/.test(dialect),
    budget: MAX_NODES,
  }
  const { shape } = shapeOf({ type: 'object', ...inputSchema }, context, 0)
  return shape.kind === 'record' || shape.kind === 'json' ? shape : { kind: 'json', why: 'not an object' }
}

function shapeOf(schema: unknown, context: Context, depth: number): Typed {
  if (schema === true || schema === undefined) return json('any value', true)
  if (schema === false || schema === null || typeof schema !== 'object' || Array.isArray(schema))
    return json('no value')
  if (depth > MAX_DEPTH) return json('nested too deeply', true)
  context.budget -= 1
  if (context.budget < 0) return json('schema too large', true)
  let node = schema as Schema

  if (typeof node.$ref === 'string') {
    const ref = node.$ref
    if (context.expanding.has(ref)) return json('recursive', true)
    const target = resolve(context.root, ref)
    if (target === undefined) return json(`unresolved \`$ref\` ${ref}`, true)
    const { $ref: _ref, ...siblings } = node
    context.expanding.add(ref)
    try {
      const referenced = shapeOf(target, context, depth + 1)
      if (!context.refSiblings) return referenced
      return intersect(referenced, shapeOf(siblings, context, depth + 1))
    } finally {
      context.expanding.delete(ref)
    }
  }

  const { allOf, anyOf, oneOf, ...base } = node
  node = base
  let typed = ownShape(node, context, depth)
  // A part without `type` holds together with the rest, so it constrains values of the kind the rest guarantees:
  // give it that type, so that `{type: object, anyOf: [{properties: …}, …]}` and `allOf: [{type: object, …},
  // {properties: …}]` type their properties.
  const part = (sub: unknown, kind: Typed) => {
    const type = kind.nullable ? undefined : TYPE_OF_KIND[kind.shape.kind]
    const typedSub =
      type !== undefined && sub !== null && typeof sub === 'object' && !('type' in sub) && !('$ref' in sub)
        ? { type, ...sub }
        : sub
    return shapeOf(typedSub, context, depth + 1)
  }
  if (Array.isArray(allOf)) {
    const first = allOf.reduce<Typed>((acc, sub) => intersect(acc, part(sub, acc)), typed)
    typed = allOf.reduce<Typed>((acc, sub) => intersect(acc, part(sub, first)), typed)
  }
  for (const branches of [anyOf, oneOf]) {
    if (!Array.isArray(branches) || branches.length === 0) continue
    // Each branch holds together with the node's own keywords, so each is narrowed by them first.
    const alternatives = branches.map((branch) => intersect(typed, part(branch, typed)))
    typed = alternatives.reduce(union)
  }
  return typed
}

/** The JSON Schema `type` of the values a shape guarantees (none for untyped). */
const TYPE_OF_KIND: Record<InputShape['kind'], string | undefined> = {
  string: 'string',
  long: 'integer',
  decimal: 'number',
  boolean: 'boolean',
  set: 'array',
  record: 'object',
  json: undefined,
}

/** The shape from a node's own keywords (`type`, `enum`, `const`, `properties`, `items` …), combinators aside. */
function ownShape(node: Schema, context: Context, depth: number): Typed {
  const values = 'const' in node ? [node.const] : Array.isArray(node.enum) ? node.enum : undefined
  const fromValues = values ? shapeOfValues(values) : undefined
  const declared = typeof node.type === 'string' ? [node.type] : Array.isArray(node.type) ? node.type : []
  let fromType: Typed | undefined
  if (declared.length > 0) {
    const kinds = declared.filter((type) => type !== 'null')
    // OpenAPI's `nullable: true` is JSON Schema's `type: [T, "null"]`.
    const nullable = kinds.length < declared.length || node.nullable === true
    fromType =
      kinds.length === 0
        ? json('always null', true)
        : { ...kinds.map((type) => shapeOfType(String(type), node, context, depth)).reduce(union), nullable }
  }
  // `enum`/`const` and `type` both hold.
  if (fromValues && fromType) return intersect(fromValues, fromType)
  // Without `type` or `enum`, any kind of value passes (other keywords constrain only their own kind), null too.
  return fromValues ?? fromType ?? json('no `type`', true)
}

function shapeOfValues(values: readonly unknown[]): Typed {
  const nullable = values.includes(null)
  const rest = values.filter((value) => value !== null)
  if (rest.length === 0) return json('always null', nullable)
  if (rest.every((value) => typeof value === 'string')) return of({ kind: 'string' }, nullable)
  if (rest.every((value) => typeof value === 'boolean')) return of({ kind: 'boolean' }, nullable)
  if (rest.every((value) => Number.isInteger(value))) return of({ kind: 'long' }, nullable)
  if (rest.every((value) => typeof value === 'number')) return of({ kind: 'decimal' }, nullable)
  return json('`enum` of mixed kinds', nullable)
}

function shapeOfType(type: string, node: Schema, context: Context, depth: number): Typed {
  switch (type) {
    case 'string':
      return of({ kind: 'string' })
    case 'integer':
      return of({ kind: 'long' })
    case 'number':
      return of({ kind: 'decimal' })
    case 'boolean':
      return of({ kind: 'boolean' })
    case 'array': {
      if (Array.isArray(node.items) || node.prefixItems !== undefined) return json('a tuple')
      const items = shapeOf(node.items ?? true, context, depth + 1)
      // A set cannot hold an absent element: nullable items are kept as JSON text (`null` as "null").
      const element = items.nullable && items.shape.kind !== 'json' ? json('nullable item') : items
      return of({ kind: 'set', element: element.shape })
    }
    case 'object':
      return objectShape(node, context, depth)
    default:
      return json(`type \`${type}\``)
  }
}

function objectShape(node: Schema, context: Context, depth: number): Typed {
  const properties =
    node.properties !== null && typeof node.properties === 'object' && !Array.isArray(node.properties)
      ? (node.properties as Record<string, unknown>)
      : undefined
  const closed = node.additionalProperties === false && node.patternProperties === undefined
  // An object that names no properties is an open map: its keys are data, not attributes.
  if (!properties && !closed) return json('an open map')
  const required = new Set(Array.isArray(node.required) ? node.required.map(String) : [])
  const attributes: Record<string, { shape: InputShape; required: boolean }> = {}
  for (const [key, value] of Object.entries(properties ?? {})) {
    if (key === '' || RESERVED_KEY.test(key)) return json(`a property named \`${key}\``)
    const typed = shapeOf(value, context, depth + 1)
    attributes[key] = { shape: typed.shape, required: required.has(key) && !typed.nullable }
  }
  return { shape: { kind: 'record', attributes }, nullable: false, closed }
}

/** A shape for values that satisfy both `a` and `b`: the narrower one where they differ. */
function intersect(a: Typed, b: Typed): Typed {
  const nullable = a.nullable && b.nullable
  const x = a.shape
  const y = b.shape
  if (x.kind === 'json') return { ...b, nullable }
  if (y.kind === 'json') return { ...a, nullable }
  if (x.kind === 'record' && y.kind === 'record') {
    const attributes = { ...x.attributes }
    for (const [key, attribute] of Object.entries(y.attributes)) {
      const mine = attributes[key]
      if (!mine) attributes[key] = attribute
      else {
        const both = intersect(
          { shape: mine.shape, nullable: !mine.required },
          { shape: attribute.shape, nullable: !attribute.required },
        )
        attributes[key] = { shape: both.shape, required: mine.required || attribute.required }
      }
    }
    return { shape: { kind: 'record', attributes }, nullable, closed: Boolean(a.closed || b.closed) }
  }
  if (x.kind === 'set' && y.kind === 'set') {
    const element = intersect(of(x.element), of(y.element))
    return of({ kind: 'set', element: element.shape }, nullable)
  }
  if (x.kind === y.kind) return { ...a, nullable }
  // An integer is a number.
  if ((x.kind === 'long' && y.kind === 'decimal') || (x.kind === 'decimal' && y.kind === 'long'))
    return of({ kind: 'long' }, nullable)
  return json('conflicting types', nullable)
}

/** A shape for values that satisfy `a` or `b`: the wider one, or `json` where the kinds differ. */
function union(a: Typed, b: Typed): Typed {
  const nullable = a.nullable || b.nullable
  const x = a.shape
  const y = b.shape
  if (x.kind === 'json' && x.why === 'always null') return { ...b, nullable: true }
  if (y.kind === 'json' && y.why === 'always null') return { ...a, nullable: true }
  if (x.kind === 'record' && y.kind === 'record') {
    const attributes: Record<string, { shape: InputShape; required: boolean }> = {}
    for (const key of new Set([...Object.keys(x.attributes), ...Object.keys(y.attributes)])) {
      const left = x.attributes[key]
      const right = y.attributes[key]
      if (left && right) {
        const either = union(
          { shape: left.shape, nullable: !left.required },
          { shape: right.shape, nullable: !right.required },
        )
        attributes[key] = { shape: either.shape, required: left.required && right.required }
      } else {
        // Declared on one side only: the other side may carry the key with any value unless it is closed.
        const declared = (left ?? right) as { shape: InputShape }
        const otherClosed = left ? b.closed : a.closed
        attributes[key] = {
          shape: otherClosed ? declared.shape : { kind: 'json', why: 'declared by some alternatives only' },
          required: false,
        }
      }
    }
    return { shape: { kind: 'record', attributes }, nullable, closed: Boolean(a.closed && b.closed) }
  }
  if (x.kind === 'set' && y.kind === 'set') {
    const element = union(of(x.element), of(y.element))
    return of(
      { kind: 'set', element: element.nullable ? { kind: 'json', why: 'nullable item' } : element.shape },
      nullable,
    )
  }
  if (x.kind === y.kind && x.kind !== 'json') return { ...a, nullable }
  if ((x.kind === 'long' && y.kind === 'decimal') || (x.kind === 'decimal' && y.kind === 'long'))
    return of({ kind: 'decimal' }, nullable)
  return json('alternatives of different kinds', nullable)
}

/** Resolves a local `$ref` (`#`, `#/$defs/x`, `#/definitions/x`, any JSON pointer, or an `$anchor`). */
function resolve(root: Schema, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined
  if (ref === '#') return root
  if (!ref.startsWith('#/')) return findAnchor(root, ref.slice(1), 0)
  let node: unknown = root
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

function findAnchor(node: unknown, anchor: string, depth: number): unknown {
  if (node === null || typeof node !== 'object' || depth > 32) return undefined
  if ((node as Schema).$anchor === anchor) return node
  for (const child of Object.values(node as Schema)) {
    const found = findAnchor(child, anchor, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

/** Where a shape holds untyped (`json`) parts, by path from `input`. */
export function untypedParts(shape: InputShape, path = 'input', out: string[] = []): string[] {
  switch (shape.kind) {
    case 'json':
      out.push(`${path} (${shape.why})`)
      break
    case 'set':
      untypedParts(shape.element, `${path}[]`, out)
      break
    case 'record':
      for (const [key, attribute] of Object.entries(shape.attributes))
        untypedParts(attribute.shape, `${path}.${key}`, out)
      break
  }
  return out
}

/** The Cedar (JSON schema format) type of a shape. */
export function cedarTypeOf(shape: InputShape): Record<string, unknown> {
  switch (shape.kind) {
    case 'string':
    case 'json':
      return { type: 'String' }
    case 'long':
      return { type: 'Long' }
    case 'decimal':
      return { type: 'Extension', name: 'decimal' }
    case 'boolean':
      return { type: 'Boolean' }
    case 'set':
      return { type: 'Set', element: cedarTypeOf(shape.element) }
    case 'record':
      return {
        type: 'Record',
        attributes: Object.fromEntries(
          Object.entries(shape.attributes).map(([key, attribute]) => [
            key,
            { ...cedarTypeOf(attribute.shape), required: attribute.required },
          ]),
        ),
      }
  }
}
