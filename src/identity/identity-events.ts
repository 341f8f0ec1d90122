import type { ActivityChain, ActivityEventV1, ActivityKind, AppendOptions } from '../chain/index.js'

/** Kinds of identity event, each an activity-chain kind. */
export type IdentityEventKind = Extract<
  ActivityKind,
  | 'agent.register'
  | 'agent.disable'
  | 'agent.enable'
  | 'agent.update'
  | 'agent.remove'
  | 'join_token.create'
  | 'instance.attest'
  | 'instance.quarantine'
  | 'svid.issue'
  | 'key.rotate'
  | 'key.prepare'
  | 'key.activate'
  | 'key.taint'
  | 'key.revoke'
  | 'auth.fail'
>

export interface IdentityEventInput {
  kind: IdentityEventKind
  /** The agent's name. */
  agent?: string | null
  /** The instance's SPIFFE ID, when the event is about one instance. */
  subject?: string | null
  body: Record<string, unknown>
}

/**
 * Records identity events in the activity chain. The chain's `agent` is the instance's SPIFFE ID, or for
 * registry events the agent's own ID `spiffe://<td>/agent/<name>`, under which all its instances sit.
 */
export class IdentityEvents {
  constructor(
    private readonly chain: ActivityChain,
    private readonly trustDomain: string,
  ) {}

  /** Appends an event; resolves once it is durable. */
  async record(input: IdentityEventInput, options?: AppendOptions): Promise<ActivityEventV1> {
    const agentId = input.agent ? `spiffe://${this.trustDomain}/agent/${input.agent}` : null
    return this.chain.append(
      {
        kind: input.kind,
        agent: input.subject ?? agentId,
        task: null,
        body: input.agent ? { agent: input.agent, ...input.body } : input.body,
      },
      options,
    )
  }
}
