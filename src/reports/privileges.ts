import type { Agent, Tier } from '../identity/index.js'
import { stricterTier } from '../tasks/index.js'
import { agentPath, type PeriodRecords } from './report-sources.js'
import { isWider, type TemplateEffect, type TierTemplate } from './tier-template.js'

/** One delegation path the registry allows, root first, with what the task at its end may do. */
export interface GrantedPath {
  agents: string[]
  /** The tier of the task at the end: the strictest on the path (a delegated task is never weaker). */
  tier: Tier
  /** Every tool in the narrowed scope (the entitlements of every agent on the path), with its template effect. */
  tools: Array<{ tool: string; effect: TemplateEffect }>
}

/** A tool an agent reaches, on its own tasks or through the agents it may delegate to. */
export interface Reach {
  tool: string
  /** The widest effect over every path. */
  effect: TemplateEffect
  /** The effect on the agent's own tasks (its own tier). */
  own: TemplateEffect
  /** The paths that reach the tool with `effect`, as `a > b`. */
  via: string[]
}

/** One entitlement and its use in the period by the agent's own instances (as root or as a delegate). */
export interface Entitlement {
  tool: string
  /** The template's effect at the agent's own tier. */
  effect: TemplateEffect
  allowed: number
  denied: number
  escalated: number
}

export interface AgentPrivileges {
  agent: string
  owner: string
  tier: Tier
  status: Agent['status']
  entitlements: Entitlement[]
  delegatesTo: string[]
  /** Delegation paths rooted at this agent (one hop or more), within the depth limit. */
  paths: GrantedPath[]
  reach: Reach[]
}

/** A delegation path the chain shows was used in the period. */
export interface UsedPath {
  agents: string[]
  /** Delegations made along it (tasks opened at its end). */
  delegations: number
  /** Calls allowed on the tasks at its end. */
  calls: number
  tools: string[]
  /** Every edge is in the registry now and the path is within the depth limit. */
  granted: boolean
  /** Reviewed as a whole: a one-hop path by its registry grant, a longer one only if listed as reviewed. */
  reviewed: boolean
  /** Chain seqs of the delegation records (at most five). */
  examples: number[]
}

export interface PrivilegeFindings {
  /** Entitlements no instance of the agent used in the period: grants to remove. */
  unusedGrants: Array<{ agent: string; tool: string }>
  /** Delegation grants not used in the period. */
  unusedDelegations: Array<{ from: string; to: string }>
  /** Paths of two hops or more that ran in the period and nobody reviewed as a whole. */
  unreviewedPaths: UsedPath[]
  /** Agents that reach a tool, through delegation, wider than their own tier's template lets them. */
  exceedsTier: Array<{
    agent: string
    tier: Tier
    tool: string
    own: TemplateEffect
    reached: TemplateEffect
    via: string[]
  }>
  /** Tools a low-tier agent reaches only when delegation puts it on a task of a stronger tier. */
  lowTierOnlyViaDelegation: Array<{
    agent: string
    role: 'root' | 'delegate'
    tool: string
    reached: TemplateEffect
    via: string[]
  }>
}

export interface PrivilegeReport {
  kind: 'privileges'
  generatedAt: string
  period: { since: string; until: string }
  maxDelegationDepth: number
  /** Set when the report covers one agent (`--agent`). */
  agent: string | null
  /** Set when the report covers one owner's agents (the API, for an owner). */
  owner: string | null
  agents: AgentPrivileges[]
  usedPaths: UsedPath[]
  findings: PrivilegeFindings
  /** Every narrowing rule the paths are bounded by, as Warden enforces them. */
  rules: string[]
  notes: string[]
}

export interface PrivilegeInput {
  agents: readonly Agent[]
  template: TierTemplate
  maxDelegationDepth: number
  period: PeriodRecords
  /** Paths reviewed as a whole, root first. */
  reviewed?: ReadonlyArray<readonly string[]> | undefined
  agent?: string | undefined
  /** Only this owner's agents (paths through others' agents still show). */
  owner?: string | undefined
  now: number
}

/** The rules of `TaskLifecycle.exchange` and the policies the paths are bounded by. */
export const NARROWING_RULES = [
  'an agent delegates only to the agents its registry entry names (`delegatesTo`); a disabled agent cannot take a delegation',
  "a child task's scope is within its parent's scope and its own agent's entitlements (scope ⊆ parent ∩ entitlements)",
  'a child task is one level deeper than its parent, and no deeper than `tasks.maxDelegationDepth`',
  "a child task's tier is the stricter of its parent's and its agent's; the policy set in force decides each tool at that tier",
]

const key = (path: readonly string[]) => path.join(' > ')

/**
 * Effective privilege: for each agent, its entitlements, the paths it may delegate along (transitively, bounded by
 * every narrowing rule above), the tools reachable on each and what the tier template lets through there; against
 * what the chain shows was used in the period.
 */
export function analysePrivileges(input: PrivilegeInput): PrivilegeReport {
  const { template, maxDelegationDepth, period } = input
  const byName = new Map(input.agents.map((agent) => [agent.name, agent]))
  const notes: string[] = []
  if (period.truncated)
    notes.push('the period holds more records than one report reads: use counts are partial')

  // Use in the period: each call's tool (from tool.call) and its decisions, by the agent whose instance called.
  const callTool = new Map<string, { tool: string; task: string }>()
  const use = new Map<string, Map<string, { allowed: number; denied: number; escalated: number }>>()
  const allowedCallsOnTask = new Map<string, { calls: number; tools: Set<string> }>()
  for (const event of period.records) {
    if (event.kind === 'tool.call' && event.task) {
      const body = event.body as { call?: string; tool?: string; action?: string }
      if (body.action === 'tools/call' && body.call && body.tool)
        callTool.set(body.call, { tool: body.tool, task: event.task })
    } else if (event.kind === 'decision' && event.task) {
      const body = event.body as { call?: string; effect?: 'allow' | 'deny' | 'escalate' }
      const call = body.call ? callTool.get(body.call) : undefined
      const agent = period.tasks.get(event.task)?.agent
      if (!call || !agent || !body.effect) continue
      const tools = use.get(agent) ?? new Map()
      use.set(agent, tools)
      const counts = tools.get(call.tool) ?? { allowed: 0, denied: 0, escalated: 0 }
      tools.set(call.tool, counts)
      if (body.effect === 'allow') {
        counts.allowed += 1
        const onTask = allowedCallsOnTask.get(event.task) ?? { calls: 0, tools: new Set<string>() }
        onTask.calls += 1
        onTask.tools.add(call.tool)
        allowedCallsOnTask.set(event.task, onTask)
      } else if (body.effect === 'deny') counts.denied += 1
      else counts.escalated += 1
    }
  }

  // Granted paths: every chain of `delegatesTo` from each agent, within the depth limit. An agent already on the
  // path is not visited again: scope only narrows and tier only hardens, so a cycle reaches nothing new.
  const pathsFrom = (root: Agent): GrantedPath[] => {
    const found: GrantedPath[] = []
    const walk = (path: Agent[], scope: string[], tier: Tier) => {
      const last = path.at(-1) as Agent
      if (path.length - 1 >= maxDelegationDepth) return
      for (const next of last.delegatesTo) {
        const agent = byName.get(next)
        if (agent?.status !== 'active' || path.includes(agent)) continue
        const narrowed = scope.filter((tool) => agent.entitlements.includes(tool))
        const childTier = stricterTier(tier, agent.tier)
        const extended = [...path, agent]
        found.push({
          agents: extended.map((a) => a.name),
          tier: childTier,
          tools: narrowed.map((tool) => ({ tool, effect: template.effect(tool, childTier) })),
        })
        walk(extended, narrowed, childTier)
      }
    }
    walk([root], [...root.entitlements], root.tier)
    return found
  }

  const agents: AgentPrivileges[] = []
  const allPaths: GrantedPath[] = []
  for (const agent of input.agents) {
    for (const target of agent.delegatesTo) {
      if (!byName.has(target))
        notes.push(`\`${agent.name}\` may delegate to \`${target}\`, which is not registered`)
    }
    const paths = agent.status === 'active' ? pathsFrom(agent) : []
    allPaths.push(...paths)
    const own = (tool: string) => template.effect(tool, agent.tier)
    const reach = new Map<string, Reach>()
    for (const tool of agent.entitlements)
      reach.set(tool, { tool, effect: own(tool), own: own(tool), via: [agent.name] })
    for (const path of paths) {
      for (const { tool, effect } of path.tools) {
        const current = reach.get(tool) as Reach
        if (isWider(effect, current.effect)) reach.set(tool, { ...current, effect, via: [key(path.agents)] })
        else if (effect === current.effect && effect !== 'deny') current.via.push(key(path.agents))
      }
    }
    const used = use.get(agent.name)
    agents.push({
      agent: agent.name,
      owner: agent.owner,
      tier: agent.tier,
      status: agent.status,
      entitlements: agent.entitlements.map((tool) => ({
        tool,
        effect: own(tool),
        ...(used?.get(tool) ?? { allowed: 0, denied: 0, escalated: 0 }),
      })),
      delegatesTo: [...agent.delegatesTo],
      paths,
      reach: [...reach.values()],
    })
  }

  // Used paths: every delegation in the period, by the agents on the child task's path.
  const reviewed = new Set((input.reviewed ?? []).map(key))
  const usedPaths = new Map<string, UsedPath>()
  for (const event of period.records) {
    if (event.kind !== 'delegation') continue
    const child = (event.body as { child?: string }).child
    if (!child) continue
    const agentsOnPath = agentPath(period.tasks, child)
    if (agentsOnPath.length < 2) continue
    const id = key(agentsOnPath)
    const entry = usedPaths.get(id) ?? {
      agents: agentsOnPath,
      delegations: 0,
      calls: 0,
      tools: [],
      granted:
        agentsOnPath.length - 1 <= maxDelegationDepth &&
        agentsOnPath
          .slice(1)
          .every((to, i) => byName.get(agentsOnPath[i] as string)?.delegatesTo.includes(to)),
      reviewed: false,
      examples: [],
    }
    entry.reviewed = entry.granted && (agentsOnPath.length === 2 || reviewed.has(id))
    entry.delegations += 1
    if (entry.examples.length < 5) entry.examples.push(event.seq)
    const onTask = allowedCallsOnTask.get(child)
    if (onTask) {
      entry.calls += onTask.calls
      entry.tools = [...new Set([...entry.tools, ...onTask.tools])].sort()
    }
    usedPaths.set(id, entry)
  }

  const usedEdges = new Set<string>()
  for (const path of usedPaths.values()) {
    for (let i = 1; i < path.agents.length; i++)
      usedEdges.add(key([path.agents[i - 1] as string, path.agents[i] as string]))
  }
  const findings: PrivilegeFindings = {
    unusedGrants: agents.flatMap((a) =>
      a.entitlements.filter((e) => e.allowed === 0).map((e) => ({ agent: a.agent, tool: e.tool })),
    ),
    unusedDelegations: agents.flatMap((a) =>
      a.delegatesTo.filter((to) => !usedEdges.has(key([a.agent, to]))).map((to) => ({ from: a.agent, to })),
    ),
    unreviewedPaths: [...usedPaths.values()].filter((path) => !path.reviewed),
    exceedsTier: agents.flatMap((a) =>
      a.reach
        .filter((r) => isWider(r.effect, r.own))
        .map((r) => ({
          agent: a.agent,
          tier: a.tier,
          tool: r.tool,
          own: r.own,
          reached: r.effect,
          via: r.via,
        })),
    ),
    lowTierOnlyViaDelegation: [],
  }
  // A low-tier agent as root reaching wider through a delegate, or as a delegate on a stronger tier's task.
  for (const a of agents) {
    if (a.tier !== 'low') continue
    for (const r of a.reach) {
      if (isWider(r.effect, r.own))
        findings.lowTierOnlyViaDelegation.push({
          agent: a.agent,
          role: 'root',
          tool: r.tool,
          reached: r.effect,
          via: r.via,
        })
    }
    const asDelegate = new Map<string, { reached: TemplateEffect; via: string[] }>()
    for (const path of allPaths) {
      if (path.agents.at(-1) !== a.agent) continue
      for (const { tool, effect } of path.tools) {
        if (!isWider(effect, template.effect(tool, 'low'))) continue
        const current = asDelegate.get(tool)
        if (!current || isWider(effect, current.reached))
          asDelegate.set(tool, { reached: effect, via: [key(path.agents)] })
        else if (effect === current.reached) current.via.push(key(path.agents))
      }
    }
    for (const [tool, found] of asDelegate)
      findings.lowTierOnlyViaDelegation.push({ agent: a.agent, role: 'delegate', tool, ...found })
  }

  const focus =
    input.agent === undefined && input.owner === undefined
      ? undefined
      : new Set(
          input.agents
            .filter(
              (a) =>
                (input.agent === undefined || a.name === input.agent) &&
                (input.owner === undefined || a.owner === input.owner),
            )
            .map((a) => a.name),
        )
  const concerns = (names: readonly string[]) => focus === undefined || names.some((name) => focus.has(name))
  if (input.agent !== undefined && !byName.has(input.agent))
    notes.push(`no agent \`${input.agent}\` is registered`)
  return {
    kind: 'privileges',
    generatedAt: new Date(input.now).toISOString(),
    period: {
      since: new Date(period.period.since).toISOString(),
      until: new Date(period.period.until).toISOString(),
    },
    maxDelegationDepth,
    agent: input.agent ?? null,
    owner: input.owner ?? null,
    agents: agents.filter((a) => concerns([a.agent])),
    usedPaths: [...usedPaths.values()].filter((path) => concerns(path.agents)),
    findings: {
      unusedGrants: findings.unusedGrants.filter((f) => concerns([f.agent])),
      unusedDelegations: findings.unusedDelegations.filter((f) => concerns([f.from, f.to])),
      unreviewedPaths: findings.unreviewedPaths.filter((path) => concerns(path.agents)),
      exceedsTier: findings.exceedsTier.filter((f) => concerns([f.agent])),
      lowTierOnlyViaDelegation: findings.lowTierOnlyViaDelegation.filter(
        (f) => concerns([f.agent]) || f.via.some((v) => concerns(v.split(' > '))),
      ),
    },
    rules: NARROWING_RULES,
    notes,
  }
}
