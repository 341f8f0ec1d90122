import type { Clock, IdSource } from '../kernel/index.js'
import type { Store } from '../store/index.js'

/** Kinds of identity event; each becomes an activity-chain event when the chain records them. */
export type IdentityEventKind =
  | 'agent.register'
  | 'agent.disable'
  | 'agent.enable'
  | 'join_token.create'
  | 'instance.attest'
  | 'instance.quarantine'
  | 'svid.issue'
  | 'key.rotate'

/** An identity event, shaped like an activity-chain event (`seq`, `id`, `ts`, `kind`, `agent`, body). */
export interface IdentityEvent {
  readonly seq: number
  readonly id: string
  readonly ts: number
  readonly kind: IdentityEventKind
  /** The agent's name. */
  readonly agent: string | null
  /** The instance's SPIFFE ID, when the event is about one instance. */
  readonly subject: string | null
  readonly body: Readonly<Record<string, unknown>>
}

export interface IdentityEventInput {
  kind: IdentityEventKind
  agent?: string | null
  subject?: string | null
  body: Record<string, unknown>
}

/** The durable log of identity events. */
export class IdentityEvents {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ids: IdSource,
  ) {}

  /** Appends an event; resolves once it is stored. */
  async record(input: IdentityEventInput): Promise<void> {
    // One statement, so `seq` is assigned and the row written atomically without a separate transaction.
    await this.store.run(
      `INSERT INTO identity_events (seq, id, ts, kind, agent, subject, body)
       SELECT COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ? FROM identity_events`,
      [
        this.ids.id(),
        this.clock.now(),
        input.kind,
        input.agent ?? null,
        input.subject ?? null,
        JSON.stringify(input.body),
      ],
    )
  }

  /** Events in order, optionally for one agent. */
  async list(filter: { agent?: string; limit?: number } = {}): Promise<IdentityEvent[]> {
    const rows = await this.store.all<Omit<IdentityEvent, 'body'> & { body: string }>(
      `SELECT seq, id, ts, kind, agent, subject, body FROM identity_events
       WHERE (CAST(? AS TEXT) IS NULL OR agent = ?) ORDER BY seq LIMIT ?`,
      [filter.agent ?? null, filter.agent ?? null, filter.limit ?? 1000],
    )
    return rows.map((row) => ({ ...row, body: JSON.parse(row.body) as Record<string, unknown> }))
  }
}
