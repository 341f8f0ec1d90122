import { generateSchema } from '@cedar-policy/mcp-schema-generator-wasm'
import type { CatalogTool } from '../catalog/index.js'

// Cedar JSON schema (https://docs.cedarpolicy.com/schema/json-schema.html), built as data so that the context
// every decision carries is defined once and merged into each generated per-tool action.
type CedarType = Record<string, unknown>
const S: CedarType = { type: 'String' }
const L: CedarType = { type: 'Long' }
const B: CedarType = { type: 'Boolean' }
const setOf = (element: CedarType): CedarType => ({ type: 'Set', element })
const record = (attributes: Record<string, CedarType>): CedarType => ({ type: 'Record', attributes })

/** The namespace of Warden's own types; tool actions live in `Warden::<server>`. */
export const NAMESPACE = 'Warden'

/** The context of every decision (see docs/policies.md for the meaning of each attribute). */
export const CONTEXT_ATTRIBUTES: Record<string, CedarType> = {
  now: record({ iso: S, hour: L, weekday: L, epoch: L }),
  task: record({
    id: S,
    purpose: S,
    tools: setOf(S),
    dataClasses: setOf(S),
    depth: L,
    parent: S,
    ageSeconds: L,
    chain: setOf(S),
    declared: B,
  }),
  tier: S,
  sensitivity: S,
  approval: record({ granted: B }),
  risk: L,
  signals: setOf(S),
  signalSeverity: S,
  /** Calls counted against the `limits` of warden.yaml in their current windows, this one included. */
  usage: record({ agent: L, tool: L, task: L }),
}

const BASE: Record<string, unknown> = {
  entityTypes: {
    Owner: {},
    Agent: { memberOfTypes: ['Owner'], shape: record({ name: S, tier: S, entitlements: setOf(S) }) },
    Instance: { memberOfTypes: ['Agent'], shape: record({ spiffeId: S }) },
    Server: {},
    Tool: {
      memberOfTypes: ['Server'],
      shape: record({ name: S, server: S, readOnly: B, destructive: B, openWorld: B, sensitivity: S }),
    },
    Resource: { memberOfTypes: ['Server'], shape: record({ uri: S, sensitivity: S }) },
    Prompt: { memberOfTypes: ['Server'], shape: record({ name: S }) },
  },
  actions: {
    call_tool: {
      appliesTo: {
        principalTypes: ['Instance'],
        resourceTypes: ['Tool'],
        context: record(CONTEXT_ATTRIBUTES),
      },
    },
    read_resource: {
      appliesTo: {
        principalTypes: ['Instance'],
        resourceTypes: ['Resource'],
        context: record(CONTEXT_ATTRIBUTES),
      },
    },
    get_prompt: {
      appliesTo: {
        principalTypes: ['Instance'],
        resourceTypes: ['Prompt'],
        context: record(CONTEXT_ATTRIBUTES),
      },
    },
    list: {
      appliesTo: {
        principalTypes: ['Instance'],
        resourceTypes: ['Server'],
        context: record(CONTEXT_ATTRIBUTES),
      },
    },
    // What a server asks of the agent's client, relayed by the gateway: an LLM completion, a question to the
    // user, the client's roots. Decided like the agent's own requests.
    ...Object.fromEntries(
      ['sampling', 'elicitation', 'roots'].map((id) => [
        id,
        {
          appliesTo: {
            principalTypes: ['Instance'],
            resourceTypes: ['Server'],
            context: record(CONTEXT_ATTRIBUTES),
          },
        },
      ]),
    ),
  },
}

/** A Cedar namespace name for a server (identifier characters only). */
export function serverNamespace(server: string): string {
  return `${NAMESPACE}::${server.replace(/[^A-Za-z0-9_]/g, '_')}`
}

/** The action a call to `tool` on `server` is decided as. */
export function toolAction(server: string, tool: string): { type: string; id: string } {
  return { type: `${serverNamespace(server)}::Action`, id: tool }
}

/** Which tools got typed arguments and which fell back to the untyped `call_tool` shape, with why. */
export interface SchemaBuild {
  schema: Record<string, unknown>
  /** `server/tool` → a reason its arguments are not typed for policies (they are still validated). */
  untyped: Map<string, string>
}

/**
 * Warden's Cedar schema: the base types and actions, plus one action per catalog tool (member of `call_tool`)
 * whose `context.input` is typed from the tool's input schema by `@cedar-policy/mcp-schema-generator-wasm`.
 */
export function buildSchema(tools: readonly CatalogTool[]): SchemaBuild {
  const schema: Record<string, unknown> = { [NAMESPACE]: structuredClone(BASE) }
  const untyped = new Map<string, string>()
  const byServer = new Map<string, CatalogTool[]>()
  for (const tool of tools) byServer.set(tool.server, [...(byServer.get(tool.server) ?? []), tool])

  for (const [server, serverTools] of byServer) {
    const ns = serverNamespace(server)
    const actions: Record<string, unknown> = {}
    const generated = generateFor(ns, serverTools)
    for (const [name, fragment] of Object.entries(generated.namespaces)) {
      if (name !== ns) schema[name] = fragment
    }
    const own = (generated.namespaces[ns] ?? { commonTypes: {}, entityTypes: {}, actions: {} }) as {
      commonTypes?: Record<string, unknown>
      actions?: Record<string, { appliesTo?: { context?: { attributes?: { input?: unknown } } } }>
    }
    const commonTypes = resolvableTypes(own.commonTypes ?? {}, generated.namespaces, ns)
    for (const tool of serverTools) {
      let input = own.actions?.[tool.name]?.appliesTo?.context?.attributes?.input
      if (input && !resolves(input, commonTypes, generated.namespaces, ns)) {
        untyped.set(`${server}/${tool.name}`, 'its input schema has parts Cedar cannot type')
        input = undefined
      }
      if (!input) untyped.set(`${server}/${tool.name}`, generated.error ?? 'no typed input generated')
      actions[tool.name] = {
        memberOf: [{ type: `${NAMESPACE}::Action`, id: 'call_tool' }],
        appliesTo: {
          principalTypes: [`${NAMESPACE}::Instance`],
          resourceTypes: [`${NAMESPACE}::Tool`],
          context: record({ ...CONTEXT_ATTRIBUTES, ...(input ? { input: input as CedarType } : {}) }),
        },
      }
    }
    schema[ns] = { commonTypes, entityTypes: {}, actions }
  }
  return { schema, untyped }
}

function generateFor(
  ns: string,
  tools: readonly CatalogTool[],
): { namespaces: Record<string, unknown>; error?: string } {
  const stub = `namespace ${ns} {
  @mcp_principal
  entity Caller;
  @mcp_resource
  entity Target;
  action "call_tool" appliesTo { principal: [Caller], resource: [Target] };
}`
  // Objects without `additionalProperties` become records; numbers become decimals, integers Longs.
  const config = JSON.stringify({ objectsAsRecords: true, numbersAsDecimal: true })
  const typeable = tools.filter((tool) => !hasOpenObject(tool.definition.inputSchema))
  try {
    const result = JSON.parse(
      generateSchema(stub, JSON.stringify(typeable.map((tool) => tool.definition)), config),
    ) as { isOk: boolean; schemaJson: string | null; error: string | null }
    if (!result.isOk || !result.schemaJson)
      return { namespaces: {}, error: result.error ?? 'schema generation failed' }
    return { namespaces: JSON.parse(result.schemaJson) as Record<string, unknown> }
  } catch (error) {
    return { namespaces: {}, error: String(error) }
  }
}

/** Objects with open-ended keys become tagged entities in the generator; Warden types those tools loosely. */
function hasOpenObject(schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object') return false
  const node = schema as Record<string, unknown>
  if (
    node.type === 'object' &&
    node.additionalProperties !== undefined &&
    node.additionalProperties !== false
  )
    return true
  return Object.values(node).some((child) => hasOpenObject(child))
}

const PRIMITIVES = new Set([
  'String',
  'Long',
  'Boolean',
  'Bool',
  'decimal',
  'ipaddr',
  'datetime',
  'duration',
  'Record',
  'Set',
  'Entity',
  'EntityOrCommon',
  'Extension',
])

/** Names a type refers to (common types or entities), recursively. */
function references(type: unknown, out: string[] = []): string[] {
  if (type === null || typeof type !== 'object') return out
  const t = type as { type?: string; name?: string; element?: unknown; attributes?: Record<string, unknown> }
  if ((t.type === 'EntityOrCommon' || t.type === 'Entity') && t.name && !PRIMITIVES.has(t.name))
    out.push(t.name)
  else if (t.type && !PRIMITIVES.has(t.type)) out.push(t.type)
  if (t.element) references(t.element, out)
  for (const attribute of Object.values(t.attributes ?? {})) references(attribute, out)
  return out
}

function declared(
  name: string,
  common: Record<string, unknown>,
  namespaces: Record<string, unknown>,
  ns: string,
): boolean {
  const cut = name.lastIndexOf('::')
  const [space, local] = cut < 0 ? [ns, name] : [name.slice(0, cut), name.slice(cut + 2)]
  // In the server's own namespace only the common types kept so far count.
  if (space === ns) return local in common
  const fragment = namespaces[space] as
    | { commonTypes?: Record<string, unknown>; entityTypes?: Record<string, unknown> }
    | undefined
  return Boolean(fragment && (local in (fragment.commonTypes ?? {}) || local in (fragment.entityTypes ?? {})))
}

/** The generated common types that resolve, dropping (to a fixpoint) those that name undeclared types. */
function resolvableTypes(
  common: Record<string, unknown>,
  namespaces: Record<string, unknown>,
  ns: string,
): Record<string, unknown> {
  const kept = { ...common }
  for (let changed = true; changed; ) {
    changed = false
    for (const [name, type] of Object.entries(kept)) {
      if (!references(type).every((ref) => declared(ref, kept, namespaces, ns))) {
        delete kept[name]
        changed = true
      }
    }
  }
  return kept
}

function resolves(
  type: unknown,
  common: Record<string, unknown>,
  namespaces: Record<string, unknown>,
  ns: string,
): boolean {
  return references(type).every((ref) => declared(ref, common, namespaces, ns))
}
