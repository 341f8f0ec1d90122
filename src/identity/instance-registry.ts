import { type Clock, WardenError } from '../kernel/index.js'
import type { Store } from '../store/index.js'
import type { AttestMethod } from './attestors/attestor.js'
import type { IdentityEvents } from './identity-events.js'

/** One running copy of an agent, with its own SPIFFE ID and key. */
export interface Instance {
  readonly id: string
  readonly agent: string
  readonly spiffeId: string
  /** Thumbprint (RFC 7638) of the instance's public key; every SVID is bound to it (`cnf.jkt`). */
  readonly jkt: string
  readonly method: AttestMethod
  /** Who the attestation vouched for (join token id, OIDC `iss#sub`, federated SPIFFE ID). */
  readonly subject: string
  readonly codeDigest: string | null
  readonly status: 'active' | 'quarantined'
  readonly createdAt: number
  readonly quarantinedAt: number | null
  readonly quarantineReason: string | null
  readonly lastSvidAt: number | null
}

interface InstanceRow {
  id: string
  agent: string
  spiffe_id: string
  jkt: string
  method: AttestMethod
  subject: string
  code_digest: string | null
  status: Instance['status']
  created_at: number
  quarantined_at: number | null
  quarantine_reason: string | null
  last_svid_at: number | null
}

function toInstance(row: InstanceRow): Instance {
  return {
    id: row.id,
    agent: row.agent,
    spiffeId: row.spiffe_id,
    jkt: row.jkt,
    method: row.method,
    subject: row.subject,
    codeDigest: row.code_digest,
    status: row.status,
    createdAt: row.created_at,
    quarantinedAt: row.quarantined_at,
    quarantineReason: row.quarantine_reason,
    lastSvidAt: row.last_svid_at,
  }
}

export type NewInstance = Pick<
  Instance,
  'id' | 'agent' | 'spiffeId' | 'jkt' | 'method' | 'subject' | 'codeDigest'
>

/** Attested instances and their quarantine state. */
export class InstanceRegistry {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly events: IdentityEvents,
  ) {}

  /** Records a newly attested instance; throws `KEY_IN_USE` (or `INSTANCE_QUARANTINED`) when its key is bound already. */
  async create(input: NewInstance): Promise<Instance> {
    const holder = await this.findByJkt(input.jkt)
    if (holder) {
      // A quarantined instance must not escape by attesting again with the same key.
      if (holder.status === 'quarantined') {
        throw new WardenError('INSTANCE_QUARANTINED', 'this key belongs to a quarantined instance')
      }
      throw new WardenError('KEY_IN_USE', 'this key is already bound to another instance')
    }
    const inserted = await this.store.run(
      `INSERT INTO instances (id, agent, spiffe_id, jkt, method, subject, code_digest, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?) ON CONFLICT DO NOTHING`,
      [
        input.id,
        input.agent,
        input.spiffeId,
        input.jkt,
        input.method,
        input.subject,
        input.codeDigest,
        this.clock.now(),
      ],
    )
    if (inserted === 0) throw new WardenError('KEY_IN_USE', 'this key is already bound to another instance')
    await this.events.record({
      kind: 'instance.attest',
      agent: input.agent,
      subject: input.spiffeId,
      body: { instance: input.id, method: input.method, attested: input.subject, jkt: input.jkt },
    })
    return this.require(input.id)
  }

  async get(id: string): Promise<Instance | undefined> {
    const row = await this.store.get<InstanceRow>(`SELECT * FROM instances WHERE id = ?`, [id])
    return row && toInstance(row)
  }

  /** The instance; throws `INSTANCE_NOT_FOUND`. */
  async require(id: string): Promise<Instance> {
    const instance = await this.get(id)
    if (!instance) throw new WardenError('INSTANCE_NOT_FOUND', `no instance \`${id}\``)
    return instance
  }

  async findBySpiffeId(spiffeId: string): Promise<Instance | undefined> {
    const row = await this.store.get<InstanceRow>(`SELECT * FROM instances WHERE spiffe_id = ?`, [spiffeId])
    return row && toInstance(row)
  }

  private async findByJkt(jkt: string): Promise<Instance | undefined> {
    const row = await this.store.get<InstanceRow>(`SELECT * FROM instances WHERE jkt = ?`, [jkt])
    return row && toInstance(row)
  }

  /** Instances, newest first, optionally of one agent. */
  async list(filter: { agent?: string } = {}): Promise<Instance[]> {
    const rows = await this.store.all<InstanceRow>(
      `SELECT * FROM instances WHERE (CAST(? AS TEXT) IS NULL OR agent = ?) ORDER BY created_at DESC, id`,
      [filter.agent ?? null, filter.agent ?? null],
    )
    return rows.map(toInstance)
  }

  /**
   * Quarantines an instance: its SVIDs stop verifying at once and nothing more is issued to it. The record names
   * the `operator` who did it, when one did.
   */
  async quarantine(id: string, reason: string, operator?: string): Promise<Instance> {
    const instance = await this.require(id)
    if (instance.status === 'quarantined') return instance
    await this.store.run(
      `UPDATE instances SET status = 'quarantined', quarantined_at = ?, quarantine_reason = ? WHERE id = ?`,
      [this.clock.now(), reason, id],
    )
    await this.events.record({
      kind: 'instance.quarantine',
      agent: instance.agent,
      subject: instance.spiffeId,
      body: { instance: id, reason, ...(operator === undefined ? {} : { operator }) },
    })
    return this.require(id)
  }

  /** Notes that an SVID was just issued to the instance. */
  async touch(id: string): Promise<void> {
    await this.store.run(`UPDATE instances SET last_svid_at = ? WHERE id = ?`, [this.clock.now(), id])
  }
}
