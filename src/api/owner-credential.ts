import { createHash } from 'node:crypto'
import type { Context } from 'hono'
import type { IdSource } from '../kernel/index.js'
import type { Store } from '../store/index.js'

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** Owner credentials: an owner answers approvals for their own agents. Stored only as SHA-256 hashes. */
export class OwnerCredentials {
  constructor(
    private readonly store: Store,
    private readonly ids: IdSource,
    private readonly now: () => number,
  ) {}

  /** Mints a token for `owner` (shown once). */
  async mint(owner: string): Promise<string> {
    const token = `wot_${this.ids.secret(32)}`
    await this.store.run(`INSERT INTO owner_tokens (token_hash, owner, created_at) VALUES (?, ?, ?)`, [
      sha256(token),
      owner,
      this.now(),
    ])
    return token
  }

  /** The owner a bearer token belongs to, if it is an owner token. */
  async ownerOf(c: Context): Promise<string | undefined> {
    const match = /^Bearer\s+(wot_\S+)$/i.exec(c.req.header('authorization') ?? '')
    return match?.[1] ? this.ownerOfToken(match[1]) : undefined
  }

  /** The owner `token` belongs to, if it is an owner token. */
  async ownerOfToken(token: string): Promise<string | undefined> {
    if (!token.startsWith('wot_')) return undefined
    const row = await this.store.get<{ owner: string }>(
      `SELECT owner FROM owner_tokens WHERE token_hash = ?`,
      [sha256(token)],
    )
    return row?.owner
  }
}
