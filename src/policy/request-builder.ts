import type { CedarValueJson, EntityJson } from '@cedar-policy/cedar-wasm/nodejs'
import type { BehaviourAssessment, Severity } from '../behaviour/index.js'
import type { CatalogTool, Sensitivity } from '../catalog/index.js'
import { toCedarValue } from './cedar-values.js'
import type { PolicyEngine, PolicyRequest } from './policy-engine.js'
import { NAMESPACE, toolAction } from './schema.js'

/** Everything a decision is made from, gathered by the enforcement pipeline (or a policy test case). */
export interface DecisionFacts {
  /** Milliseconds since the epoch. */
  now: number
  agent: { name: string; owner: string; tier: string; entitlements: readonly string[] }
  instance: { id: string; spiffeId: string }
  task: {
    id: string
    purpose: string
    tools: readonly string[]
    dataClasses: readonly string[]
    depth: number
    parent: string | null
    openedAt: number
    /** SPIFFE IDs of every actor on the delegation path, root first. */
    chain: readonly string[]
  }
  target:
    | { kind: 'tool'; tool: CatalogTool }
    | { kind: 'resource'; server: string; uri: string; sensitivity: Sensitivity }
    | { kind: 'prompt'; server: string; name: string; sensitivity: Sensitivity }
    | { kind: 'list'; server: string }
    /** A server's request to the agent's client, relayed by the gateway. */
    | { kind: 'relay'; server: string; request: 'sampling' | 'elicitation' | 'roots' }
  args: Record<string, unknown>
  approved: boolean
  behaviour: BehaviourAssessment
  /** Calls counted against the `limits` of warden.yaml (each 0 where no limit of that kind applies). */
  usage?: { agent: number; tool: number; task: number }
}

const SEVERITY_ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical']

const uid = (type: string, id: string) => ({ type: `${NAMESPACE}::${type}`, id })

/**
 * Builds the Cedar request for a decision: the slice of entities it touches (owner, agent, instance, server,
 * target) and the context (time, task, tier, sensitivity, approval, signals, risk, typed tool input).
 */
export function buildRequest(
  facts: DecisionFacts,
  engine: PolicyEngine,
): { ok: true; request: PolicyRequest } | { ok: false; error: string } {
  const { agent, instance, task, target } = facts
  const owner = uid('Owner', agent.owner)
  const agentRef = uid('Agent', agent.name)
  const principal = uid('Instance', instance.id)
  const entities: EntityJson[] = [
    { uid: owner, attrs: {}, parents: [] },
    {
      uid: agentRef,
      attrs: { name: agent.name, tier: agent.tier, entitlements: [...agent.entitlements] },
      parents: [owner],
    },
    { uid: principal, attrs: { spiffeId: instance.spiffeId }, parents: [agentRef] },
  ]
  const server = target.kind === 'tool' ? target.tool.server : target.server
  const serverRef = uid('Server', server)
  entities.push({ uid: serverRef, attrs: {}, parents: [] })

  let action: { type: string; id: string }
  let resource: { type: string; id: string }
  let sensitivity: string
  let input: CedarValueJson | undefined
  switch (target.kind) {
    case 'tool': {
      const { tool } = target
      const annotations = tool.definition.annotations ?? {}
      resource = uid('Tool', `${tool.server}/${tool.name}`)
      sensitivity = tool.sensitivity
      // MCP defaults (2025-06-18 schema): readOnly false, destructive true, openWorld true unless stated.
      entities.push({
        uid: resource,
        attrs: {
          name: tool.name,
          server: tool.server,
          readOnly: annotations.readOnlyHint ?? false,
          destructive: annotations.readOnlyHint === true ? false : (annotations.destructiveHint ?? true),
          openWorld: annotations.openWorldHint ?? true,
          sensitivity: tool.sensitivity,
        },
        parents: [serverRef],
      })
      const shape = engine.inputShape(tool.server, tool.name)
      action = shape ? toolAction(tool.server, tool.name) : uid('Action', 'call_tool')
      if (shape) {
        const converted = toCedarValue(facts.args, shape)
        if (!converted.ok) return { ok: false, error: converted.error }
        input = converted.value
      }
      break
    }
    case 'resource':
      action = uid('Action', 'read_resource')
      resource = uid('Resource', `${target.server}/${target.uri}`)
      sensitivity = target.sensitivity
      entities.push({ uid: resource, attrs: { uri: target.uri, sensitivity }, parents: [serverRef] })
      break
    case 'prompt':
      action = uid('Action', 'get_prompt')
      resource = uid('Prompt', `${target.server}/${target.name}`)
      sensitivity = target.sensitivity
      entities.push({ uid: resource, attrs: { name: target.name }, parents: [serverRef] })
      break
    case 'list':
      action = uid('Action', 'list')
      resource = serverRef
      sensitivity = 'public'
      break
    case 'relay':
      action = uid('Action', target.request)
      resource = serverRef
      sensitivity = 'internal'
      break
  }

  const date = new Date(facts.now)
  const toolName = target.kind === 'tool' ? target.tool.name : null
  const worst = facts.behaviour.signals.reduce<number>(
    (max, s) => Math.max(max, SEVERITY_ORDER.indexOf(s.severity)),
    -1,
  )
  const context: Record<string, CedarValueJson> = {
    now: {
      iso: date.toISOString(),
      hour: date.getUTCHours(),
      weekday: date.getUTCDay(),
      epoch: Math.floor(facts.now / 1000),
    },
    task: {
      id: task.id,
      purpose: task.purpose,
      tools: [...task.tools],
      dataClasses: [...task.dataClasses],
      depth: task.depth,
      parent: task.parent ?? '',
      ageSeconds: Math.max(0, Math.floor((facts.now - task.openedAt) / 1000)),
      chain: [...task.chain],
      declared: toolName !== null && task.tools.includes(toolName),
    },
    tier: agent.tier,
    sensitivity,
    approval: { granted: facts.approved },
    risk: Math.round(facts.behaviour.risk),
    signals: [...new Set(facts.behaviour.signals.map((s) => s.kind))],
    signalSeverity: worst < 0 ? 'none' : (SEVERITY_ORDER[worst] as string),
    usage: facts.usage ?? { agent: 0, tool: 0, task: 0 },
  }
  if (input !== undefined) context.input = input
  return { ok: true, request: { principal, action, resource, context, entities } }
}
