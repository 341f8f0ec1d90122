import { generateSync, type JsonSchema } from 'json-schema-faker'
import { describe, expect, it } from 'vitest'
import { type CatalogTool, unstoredTool } from '../../src/catalog/index.js'
import { judge } from '../../src/enforcement/index.js'
import { silentLogger } from '../../src/kernel/index.js'
import { ArgumentValidator, type InputShape, inputShapeOf, PolicyEngine } from '../../src/policy/index.js'
import { callFacts } from '../fakes/decision-facts.js'

const S = { kind: 'string' }
const L = { kind: 'long' }
const D = { kind: 'decimal' }
const B = { kind: 'boolean' }
const J = { kind: 'json' }
const req = (shape: object) => ({ shape: expect.objectContaining(shape), required: true })
const opt = (shape: object) => ({ shape: expect.objectContaining(shape), required: false })

/** One argument `x` of each shape the issue names, the shape Warden gives it, and whether it is required. */
const CASES: Array<{
  name: string
  x: Record<string, unknown> | boolean
  shape: unknown
  required?: boolean
}> = [
  { name: 'enum of strings', x: { type: 'string', enum: ['merge', 'squash', 'rebase'] }, shape: S },
  { name: 'enum without type', x: { enum: ['a', 'b'] }, shape: S },
  { name: 'const', x: { const: 'workspace' }, shape: S },
  { name: 'enum of integers', x: { enum: [1, 2, 3] }, shape: L },
  { name: 'enum of numbers', x: { enum: [1, 2.5] }, shape: D },
  { name: 'enum of mixed kinds', x: { enum: ['a', 1, true] }, shape: J },
  { name: 'enum with null', x: { enum: ['a', null] }, shape: S, required: false },
  { name: 'formats', x: { type: 'string', format: 'date-time' }, shape: S },
  { name: 'integer', x: { type: 'integer' }, shape: L },
  { name: 'boolean', x: { type: 'boolean' }, shape: B },
  { name: 'integer beyond Cedar', x: { type: 'integer', minimum: 2 ** 64 }, shape: L },
  { name: 'number', x: { type: 'number', exclusiveMinimum: 0 }, shape: D },
  { name: 'type array with null', x: { type: ['string', 'null'] }, shape: S, required: false },
  { name: 'type array of kinds', x: { type: ['boolean', 'string'] }, shape: J },
  { name: 'integer or number', x: { type: ['integer', 'number'] }, shape: D },
  { name: 'OpenAPI nullable', x: { type: 'integer', nullable: true }, shape: L, required: false },
  { name: 'missing type', x: { description: 'anything' }, shape: J, required: false },
  {
    name: 'missing type with properties',
    x: { properties: { a: { type: 'string' } } },
    shape: J,
    required: false,
  },
  {
    name: 'nested object',
    x: {
      type: 'object',
      properties: {
        street: { type: 'string' },
        geo: { type: 'object', properties: { lat: { type: 'number' } } },
      },
      required: ['street'],
    },
    shape: { kind: 'record', attributes: { street: req(S), geo: opt({ kind: 'record' }) } },
  },
  {
    name: 'array of objects',
    x: {
      type: 'array',
      items: {
        type: 'object',
        properties: { oldText: { type: 'string' }, newText: { type: 'string' } },
        required: ['oldText', 'newText'],
      },
    },
    shape: { kind: 'set', element: { kind: 'record', attributes: { oldText: req(S), newText: req(S) } } },
  },
  {
    name: 'array without items',
    x: { type: 'array' },
    shape: { kind: 'set', element: expect.objectContaining(J) },
  },
  {
    name: 'array of nullable items',
    x: { type: 'array', items: { type: ['integer', 'null'] } },
    shape: { kind: 'set', element: expect.objectContaining(J) },
  },
  {
    name: 'tuple (draft 2020-12)',
    x: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] },
    shape: J,
  },
  { name: 'open map', x: { type: 'object', additionalProperties: { type: 'string' } }, shape: J },
  { name: 'bare object', x: { type: 'object' }, shape: J },
  {
    name: 'declared properties and more',
    x: { type: 'object', properties: { a: { type: 'integer' } }, additionalProperties: true },
    shape: { kind: 'record', attributes: { a: opt(L) } },
  },
  {
    name: 'pattern properties',
    x: { type: 'object', patternProperties: { '^x-': { type: 'string' } }, additionalProperties: false },
    shape: J,
  },
  {
    name: 'oneOf of objects',
    x: {
      oneOf: [
        { type: 'object', properties: { page_id: { type: 'string' } }, required: ['page_id'] },
        {
          type: 'object',
          properties: { database_id: { type: 'string' } },
          required: ['database_id'],
          additionalProperties: false,
        },
      ],
    },
    // `database_id` may come with any value in the first (open) alternative; `page_id` is a string in both.
    shape: { kind: 'record', attributes: { page_id: opt(S), database_id: opt(J) } },
  },
  {
    name: 'anyOf of kinds',
    x: { anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }] },
    shape: J,
  },
  {
    name: 'anyOf with null',
    x: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    shape: S,
    required: false,
  },
  {
    name: 'allOf',
    x: {
      allOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        { properties: { b: { type: 'integer' } }, required: ['b'] },
      ],
    },
    shape: { kind: 'record', attributes: { a: req(S), b: req(L) } },
  },
  {
    name: 'object with anyOf of required sets',
    x: {
      type: 'object',
      properties: { id: { type: 'string' }, name: { type: 'string' } },
      anyOf: [{ required: ['id'] }, { required: ['name'] }],
    },
    shape: { kind: 'record', attributes: { id: opt(S), name: opt(S) } },
  },
  { name: '$ref to $defs', x: { $ref: '#/$defs/sort' }, shape: { kind: 'record' } },
  { name: '$ref to definitions', x: { $ref: '#/definitions/sort' }, shape: { kind: 'record' } },
  { name: 'recursive $ref', x: { $ref: '#/$defs/tree' }, shape: { kind: 'record' } },
  {
    name: 'a property Cedar reserves',
    x: { type: 'object', properties: { __entity: { type: 'string' } } },
    shape: J,
  },
  { name: 'true schema', x: true, shape: J, required: false },
]

const DEFS = {
  sort: {
    type: 'object',
    properties: { property: { type: 'string' }, direction: { enum: ['ascending', 'descending'] } },
    required: ['property', 'direction'],
  },
  tree: {
    type: 'object',
    properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/tree' } } },
    required: ['label'],
  },
}

function toolOf(name: string, x: unknown, extra: Record<string, unknown> = {}): CatalogTool {
  return unstoredTool('shapes', {
    name,
    inputSchema: {
      type: 'object',
      properties: { x },
      required: ['x'],
      $defs: DEFS,
      definitions: DEFS,
      ...extra,
    },
  })
}

const TOOLS = CASES.map((c, i) => toolOf(`t${i}`, c.x))

const facts = callFacts

function engineWith(tools: CatalogTool[], ...texts: string[]): PolicyEngine {
  const engine = new PolicyEngine(silentLogger, { validateRequests: true })
  const loaded = engine.load(
    ['@id("all") permit (principal, action, resource);', ...texts].map((text, i) => ({
      file: `p${i}.cedar`,
      text,
    })),
    tools,
  )
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
  return engine
}

describe('JSON Schema shapes in Cedar', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('types %s soundly', (_name, c, i) => {
    const shape = inputShapeOf((TOOLS[i] as CatalogTool).definition.inputSchema)
    const x = (shape as Extract<InputShape, { kind: 'record' }>).attributes.x
    expect(x?.shape).toMatchObject(c.shape as object)
    expect(x?.required).toBe(c.required ?? true)
  })

  it('allows every generated valid value of every shape, with Cedar checking the request against the schema', () => {
    const engine = engineWith(TOOLS)
    const validator = new ArgumentValidator()
    const failures: string[] = []
    let checked = 0
    for (const [i, tool] of TOOLS.entries()) {
      for (let seed = 1; seed <= 12; seed++) {
        const args = generateSync(tool.definition.inputSchema as JsonSchema, {
          seed,
          alwaysFakeOptionals: seed % 2 === 0,
          maxDepth: 3,
          maxItems: 3,
        }) as Record<string, unknown>
        if (validator.check(tool, args)) continue
        checked += 1
        const decision = judge(engine, validator, facts(tool, args))
        if (decision.effect !== 'allow')
          failures.push(`${CASES[i]?.name} ${JSON.stringify(args)}: ${decision.errors.join('; ')}`)
      }
    }
    expect(failures).toEqual([])
    expect(checked).toBeGreaterThan(TOOLS.length * 6)
  })

  it('denies a value outside an enum with the validation error, and allows one inside (the GitHub merge_method case)', () => {
    const tool = toolOf('merge', CASES[0]?.x)
    const engine = engineWith(
      [tool],
      `@id("no-rebase") forbid (principal, action == Warden::shapes::Action::"merge", resource)
       when { context.input.x == "rebase" };`,
    )
    const validator = new ArgumentValidator()
    expect(judge(engine, validator, facts(tool, { x: 'squash' }))).toMatchObject({
      effect: 'allow',
      errors: [],
    })
    expect(judge(engine, validator, facts(tool, { x: 'rebase' }))).toMatchObject({
      effect: 'deny',
      reasons: ['p1.cedar#no-rebase'],
    })
    const wrong = judge(engine, validator, facts(tool, { x: 'fast-forward' }))
    expect(wrong.effect).toBe('deny')
    expect(wrong.errors[0]).toMatch(
      /^arguments do not match the schema of `merge`: \/x must be equal to one of/,
    )
    expect(wrong.errors[0]).toContain('["merge","squash","rebase"]')
  })

  it('clamps an integer beyond Cedar’s range, so comparisons still decide on it', () => {
    const tool = toolOf('big', { type: 'integer' })
    const engine = engineWith(
      [tool],
      `@id("cap") forbid (principal, action == Warden::shapes::Action::"big", resource)
       when { context.input.x > 1000000 };`,
    )
    const validator = new ArgumentValidator()
    expect(judge(engine, validator, facts(tool, { x: 12 })).effect).toBe('allow')
    expect(judge(engine, validator, facts(tool, { x: 1e20 }))).toMatchObject({
      effect: 'deny',
      reasons: ['p1.cedar#cap'],
    })
    expect(judge(engine, validator, facts(tool, { x: -1e20 })).effect).toBe('allow')
  })

  it('gives untyped arguments to policies as canonical JSON text', () => {
    const tool = toolOf('anything', {
      anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
    })
    const engine = engineWith(
      [tool],
      `@id("no-secrets") forbid (principal, action == Warden::shapes::Action::"anything", resource)
       when { context.input.x like "*\\"token\\":*" };`,
    )
    const validator = new ArgumentValidator()
    expect(judge(engine, validator, facts(tool, { x: 'plain' })).effect).toBe('allow')
    expect(judge(engine, validator, facts(tool, { x: { b: 1, token: 's' } }))).toMatchObject({
      effect: 'deny',
      reasons: ['p1.cedar#no-secrets'],
    })
  })

  it('reads an optional nested attribute of a nullable object only after `has`', () => {
    const tool = toolOf('geo', {
      type: ['object', 'null'],
      properties: { city: { type: 'string' }, zip: { type: ['string', 'null'] } },
      required: ['city', 'zip'],
    })
    const engine = engineWith(
      [tool],
      `@id("no-paris") forbid (principal, action == Warden::shapes::Action::"geo", resource)
       when { context.input has x && context.input.x.city == "Paris" && !(context.input.x has zip) };`,
    )
    const validator = new ArgumentValidator()
    expect(judge(engine, validator, facts(tool, { x: null })).effect).toBe('allow')
    expect(judge(engine, validator, facts(tool, { x: { city: 'Paris', zip: '75001' } })).effect).toBe('allow')
    expect(judge(engine, validator, facts(tool, { x: { city: 'Paris', zip: null } }))).toMatchObject({
      effect: 'deny',
      reasons: ['p1.cedar#no-paris'],
    })
  })

  it('validates in the dialect a schema names: draft-04 bounds, draft-07 tuples, 2020-12 prefixItems', () => {
    const validator = new ArgumentValidator()
    const draft04 = toolOf(
      'd4',
      { type: 'number', maximum: 10, exclusiveMaximum: true },
      {
        $schema: 'http://json-schema.org/draft-04/schema#',
      },
    )
    expect(validator.check(draft04, { x: 9.5 })).toBeUndefined()
    expect(validator.check(draft04, { x: 10 })).toMatch(/must be < 10/)
    // A draft-07 tuple without `$schema` (2020-12 is MCP's default) still compiles, as draft-07.
    const tuple = toolOf('d7', { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] })
    expect(validator.check(tuple, { x: ['a', 1] })).toBeUndefined()
    expect(validator.check(tuple, { x: ['a', 'b'] })).toMatch(/\/x\/1 must be integer/)
    const prefix = toolOf(
      'd2020',
      { type: 'array', prefixItems: [{ type: 'string' }], items: false },
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
      },
    )
    expect(validator.check(prefix, { x: ['a'] })).toBeUndefined()
    expect(validator.check(prefix, { x: ['a', 'b'] })).toMatch(/must NOT have more than 1 items/)
  })

  it('types a root schema without `type` (MCP requires one; GitLab’s server leaves it out) as a record', () => {
    const tool = unstoredTool('gitlab', {
      name: 'get_file',
      inputSchema: { properties: { path: { type: 'string' } }, required: ['path'] } as Record<
        string,
        unknown
      >,
    })
    const engine = engineWith(
      [tool],
      `@id("no-env") forbid (principal, action == Warden::gitlab::Action::"get_file", resource)
       when { context.input.path like "*.env" };`,
    )
    const validator = new ArgumentValidator()
    expect(judge(engine, validator, facts(tool, { path: 'README.md' })).effect).toBe('allow')
    expect(judge(engine, validator, facts(tool, { path: 'prod.env' })).effect).toBe('deny')
  })
})
