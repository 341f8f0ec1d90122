import type { CatalogTool } from '../catalog/index.js'
import { cedarTypeOf, type InputShape, inputShapeOf, untypedParts } from './input-shape.js'

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

/** The schema, each tool's argument shape, and which tools have arguments in untyped (JSON text) form. */
export interface SchemaBuild {
  schema: Record<string, unknown>
  /** `server/tool` → the shape its arguments are converted by. */
  inputs: Map<string, InputShape>
  /** `server/tool` → where its arguments are untyped (JSON text) for policies, and why (they are still validated). */
  untyped: Map<string, string>
}

/**
 * Warden's Cedar schema: the base types and actions, plus one action per catalog tool (member of `call_tool`)
 * whose `context.input` is typed from the tool's input schema (input-shape.ts).
 */
export function buildSchema(tools: readonly CatalogTool[]): SchemaBuild {
  const schema: Record<string, unknown> = { [NAMESPACE]: structuredClone(BASE) }
  const inputs = new Map<string, InputShape>()
  const untyped = new Map<string, string>()
  const byServer = new Map<string, CatalogTool[]>()
  for (const tool of tools) byServer.set(tool.server, [...(byServer.get(tool.server) ?? []), tool])

  for (const [server, serverTools] of byServer) {
    const actions: Record<string, unknown> = {}
    for (const tool of serverTools) {
      const key = `${server}/${tool.name}`
      const shape = inputShapeOf(tool.definition.inputSchema ?? {})
      inputs.set(key, shape)
      const parts = untypedParts(shape)
      if (parts.length > 0) untyped.set(key, parts.join('; '))
      actions[tool.name] = {
        memberOf: [{ type: `${NAMESPACE}::Action`, id: 'call_tool' }],
        appliesTo: {
          principalTypes: [`${NAMESPACE}::Instance`],
          resourceTypes: [`${NAMESPACE}::Tool`],
          context: record({ ...CONTEXT_ATTRIBUTES, input: cedarTypeOf(shape) }),
        },
      }
    }
    const ns = serverNamespace(server)
    const existing = schema[ns] as { actions: Record<string, unknown> } | undefined
    // Two server names can map to one namespace (`a-b`, `a_b`): their actions share it.
    schema[ns] = { entityTypes: {}, actions: { ...existing?.actions, ...actions } }
  }
  return { schema, inputs, untyped }
}
