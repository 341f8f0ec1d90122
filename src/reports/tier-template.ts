import type { CatalogTool } from '../catalog/index.js'
import type { Tier } from '../identity/index.js'
import { TIERS } from '../identity/index.js'
import { buildRequest, type PolicyEngine } from '../policy/index.js'

/**
 * What the policy set in force lets a task at a tier do with a tool, before behaviour has a say: `allow`,
 * `escalate` (a human approves each call), `deny`, or `uncatalogued` (no server offers a tool of that name, so the
 * gateway refuses it as unknown).
 */
export type TemplateEffect = 'allow' | 'escalate' | 'deny' | 'uncatalogued'

/** The tier template as a lookup: tool name × tier → effect. */
export interface TierTemplate {
  effect(tool: string, tier: Tier): TemplateEffect
}

const RANK: Record<TemplateEffect, number> = { uncatalogued: 0, deny: 1, escalate: 2, allow: 3 }

/** True when `a` lets more through than `b` (allow > escalate > deny). */
export function isWider(a: TemplateEffect, b: TemplateEffect): boolean {
  return RANK[a] > RANK[b]
}

/** A placeholder for each required argument, so a typed tool's request builds (values are never judged here). */
function placeholder(schema: unknown): unknown {
  const s = (schema ?? {}) as { type?: unknown; properties?: Record<string, unknown>; required?: unknown }
  const type = Array.isArray(s.type) ? s.type[0] : s.type
  switch (type) {
    case 'string':
      return ''
    case 'number':
    case 'integer':
      return 0
    case 'boolean':
      return false
    case 'array':
      return []
    default: {
      const out: Record<string, unknown> = {}
      const required = Array.isArray(s.required) ? (s.required as string[]) : []
      for (const key of required) out[key] = placeholder(s.properties?.[key])
      return out
    }
  }
}

/**
 * Probes the policy set in force for every catalogued tool at every tier: a task that declared the tool (and
 * restricted data), no behavioural risk, no signals, placeholder arguments — the most a grant can ever give. The
 * same request builder and engine decide live traffic, so a custom policy directory is probed as it is.
 */
export function probeTierTemplate(
  engine: PolicyEngine,
  tools: readonly CatalogTool[],
  now: number,
): TierTemplate {
  const effects = new Map<string, Record<Tier, TemplateEffect>>()
  for (const tool of tools) {
    if (tool.status !== 'approved') continue
    const previous = effects.get(tool.name)
    const row = {} as Record<Tier, TemplateEffect>
    for (const tier of TIERS) {
      const built = buildRequest(
        {
          now,
          agent: { name: 'probe', owner: 'probe@warden.local', tier, entitlements: [tool.name] },
          instance: { id: 'probe', spiffeId: 'spiffe://warden.local/agent/probe/probe' },
          task: {
            id: 'probe',
            purpose: 'probe',
            tools: [tool.name],
            dataClasses: ['restricted'],
            depth: 0,
            parent: null,
            openedAt: now,
            chain: [],
          },
          target: { kind: 'tool', tool },
          args: placeholder(tool.definition.inputSchema) as Record<string, unknown>,
          approved: false,
          behaviour: { risk: 0, signals: [] },
        },
        engine,
      )
      const effect: TemplateEffect = built.ok ? engine.decide(built.request).effect : 'deny'
      // A name offered by several servers: the grant reaches the widest of them.
      const before = previous?.[tier]
      row[tier] = before && isWider(before, effect) ? before : effect
    }
    effects.set(tool.name, row)
  }
  return { effect: (tool, tier) => effects.get(tool)?.[tier] ?? 'uncatalogued' }
}
