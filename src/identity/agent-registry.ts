import { type Clock, WardenError } from '../kernel/index.js'
import type { Store } from '../store/index.js'
import type { IdentityEvents } from './identity-events.js'

/** How much harm an agent can do; sets token lifetimes, proof requirements and policy templates. */
export type Tier = 'critical' | 'high' | 'standard' | 'low'
export const TIERS: readonly Tier[] = ['critical', 'high', 'standard', 'low']

/** A registered kind of workload. */
export interface Agent {
  readonly name: string
  /** The accountable human (e-mail). */
  readonly owner: string
  readonly tier: Tier
  /** Tool names the agent may be granted. */
  readonly entitlements: readonly string[]
  /** Agents this one may delegate tasks to. */
  readonly delegatesTo: readonly string[]
  /** When set, only instances presenting this code digest are attested. */
  readonly codeDigest: string | null
  readonly status: 'active' | 'disabled'
  readonly createdAt: number
  readonly updatedAt: number
}

export type AgentRegistration = Pick<
  Agent,
  'name' | 'owner' | 'tier' | 'entitlements' | 'delegatesTo' | 'codeDigest'
>

interface AgentRow {
  name: string
  owner: string
  tier: Tier
  entitlements: string
  delegates_to: string
  code_digest: string | null
  status: 'active' | 'disabled'
  created_at: number
  updated_at: number
}

function toAgent(row: AgentRow): Agent {
  return {
    name: row.name,
    owner: row.owner,
    tier: row.tier,
    entitlements: JSON.parse(row.entitlements) as string[],
    delegatesTo: JSON.parse(row.delegates_to) as string[],
    codeDigest: row.code_digest,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The agent registry: who may run, who owns it, and at what tier. */
export class AgentRegistry {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly events: IdentityEvents,
  ) {}

  /** Registers an agent; throws `AGENT_EXISTS` when the name is taken. */
  async register(input: AgentRegistration): Promise<Agent> {
    const now = this.clock.now()
    const inserted = await this.store.run(
      `INSERT INTO agents (name, owner, tier, entitlements, delegates_to, code_digest, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?) ON CONFLICT DO NOTHING`,
      [
        input.name,
        input.owner,
        input.tier,
        JSON.stringify(input.entitlements),
        JSON.stringify(input.delegatesTo),
        input.codeDigest,
        now,
        now,
      ],
    )
    if (inserted === 0) throw new WardenError('AGENT_EXISTS', `agent \`${input.name}\` is already registered`)
    await this.events.record({ kind: 'agent.register', agent: input.name, body: { ...input } })
    return this.require(input.name)
  }

  /** The agent, or undefined. */
  async get(name: string): Promise<Agent | undefined> {
    const row = await this.store.get<AgentRow>(`SELECT * FROM agents WHERE name = ?`, [name])
    return row && toAgent(row)
  }

  /** The agent; throws `AGENT_NOT_FOUND`. */
  async require(name: string): Promise<Agent> {
    const agent = await this.get(name)
    if (!agent) throw new WardenError('AGENT_NOT_FOUND', `no agent \`${name}\``)
    return agent
  }

  /** Every agent, by name. */
  async list(): Promise<Agent[]> {
    return (await this.store.all<AgentRow>(`SELECT * FROM agents ORDER BY name`)).map(toAgent)
  }

  /** Changes an agent's owner, tier, entitlements, delegates or code digest; the name stays. */
  async update(name: string, patch: Partial<Omit<AgentRegistration, 'name'>>): Promise<Agent> {
    const current = await this.require(name)
    const next = { ...current, ...patch }
    await this.store.run(
      `UPDATE agents SET owner = ?, tier = ?, entitlements = ?, delegates_to = ?, code_digest = ?, updated_at = ?
       WHERE name = ?`,
      [
        next.owner,
        next.tier,
        JSON.stringify(next.entitlements),
        JSON.stringify(next.delegatesTo),
        next.codeDigest,
        this.clock.now(),
        name,
      ],
    )
    await this.events.record({ kind: 'agent.update', agent: name, body: { ...patch } })
    return this.require(name)
  }

  /**
   * Removes an agent that never ran (no attested instance) with its unused join tokens; one that ran stays, since
   * its instances, tasks and chain records name it: disable it instead (`AGENT_IN_USE`).
   */
  async remove(name: string): Promise<void> {
    await this.require(name)
    const removed = await this.store.transaction(async (tx) => {
      const used = await tx.get(`SELECT id FROM instances WHERE agent = ? LIMIT 1`, [name])
      if (used) return false
      await tx.run(`DELETE FROM join_tokens WHERE agent = ?`, [name])
      await tx.run(`DELETE FROM agents WHERE name = ?`, [name])
      return true
    })
    if (!removed)
      throw new WardenError('AGENT_IN_USE', `agent \`${name}\` has attested instances; disable it instead`)
    await this.events.record({ kind: 'agent.remove', agent: name, body: {} })
  }

  /** Disables or re-enables an agent; a disabled agent's instances stop verifying at once. */
  async setStatus(
    name: string,
    status: Agent['status'],
    by: { operator?: string; reason?: string } = {},
  ): Promise<Agent> {
    const changed = await this.store.run(`UPDATE agents SET status = ?, updated_at = ? WHERE name = ?`, [
      status,
      this.clock.now(),
      name,
    ])
    if (changed === 0) throw new WardenError('AGENT_NOT_FOUND', `no agent \`${name}\``)
    await this.events.record({
      kind: status === 'disabled' ? 'agent.disable' : 'agent.enable',
      agent: name,
      // Who did it, when an operator did, and why (the kill switch's reason).
      body: { ...by },
    })
    return this.require(name)
  }
}
