import { createHash } from 'node:crypto'
import { type Clock, type IdSource, WardenError } from '../../kernel/index.js'
import type { Store } from '../../store/index.js'
import type { IdentityEvents } from '../identity-events.js'
import type { AttestationEvidence, Attestor } from './attestor.js'

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Single-use, expiring join tokens minted by an admin for one agent. Only their SHA-256 is stored. */
export class JoinTokenAttestor implements Attestor {
  readonly method = 'join_token' as const

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly events: IdentityEvents,
    private readonly ttl: number,
  ) {}

  /** Mints a join token for `agent`; the caller must have checked that the agent exists. */
  async create(agent: string): Promise<{ token: string; expiresAt: number }> {
    const token = `wjt_${this.ids.secret(32)}`
    const now = this.clock.now()
    const expiresAt = now + this.ttl
    const hash = digest(token)
    await this.store.run(
      `INSERT INTO join_tokens (token_hash, agent, expires_at, created_at) VALUES (?, ?, ?, ?)`,
      [hash, agent, expiresAt, now],
    )
    await this.events.record({
      kind: 'join_token.create',
      agent,
      body: { tokenId: hash.slice(0, 16), expiresAt },
    })
    return { token, expiresAt }
  }

  async attest(token: string): Promise<AttestationEvidence> {
    const hash = digest(token)
    const now = this.clock.now()
    return this.store.transaction(async (tx) => {
      const row = await tx.get<{ agent: string; expires_at: number; used_at: number | null }>(
        `SELECT agent, expires_at, used_at FROM join_tokens WHERE token_hash = ?`,
        [hash],
      )
      if (!row) throw new WardenError('JOIN_TOKEN_INVALID', 'the join token is unknown')
      if (row.used_at !== null) throw new WardenError('JOIN_TOKEN_USED', 'the join token was already used')
      if (row.expires_at <= now) throw new WardenError('JOIN_TOKEN_EXPIRED', 'the join token has expired')
      // INVARIANT: the conditional update makes the token single-use even under concurrent attempts.
      const claimed = await tx.run(
        `UPDATE join_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`,
        [now, hash],
      )
      if (claimed !== 1) throw new WardenError('JOIN_TOKEN_USED', 'the join token was already used')
      return { agent: row.agent, subject: `join_token:${hash.slice(0, 16)}` }
    })
  }
}
