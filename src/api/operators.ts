import { createHash } from 'node:crypto'
import type { ActivityChain } from '../chain/index.js'
import type { OperatorRole } from '../config/index.js'
import { type Clock, type IdSource, WardenError } from '../kernel/index.js'
import type { Store } from '../store/index.js'
import type { AdminCredential } from './admin-credential.js'
import type { OidcOperators } from './operator-oidc.js'

/** A person acting on Warden, as a request presents them. */
export interface Operator {
  /** The name the chain records: `admin` (the admin token), a named operator, or `oidc:<claim>`. */
  readonly name: string
  readonly roles: readonly OperatorRole[]
  /** How they signed in: the break-glass admin token, a named operator's token, or the identity provider. */
  readonly source: 'admin-token' | 'token' | 'oidc'
  /** When the credential stops being valid (an OIDC token's `exp`), in milliseconds. */
  readonly expiresAt?: number
}

/** A named operator as stored (never its token). */
export interface OperatorRecord {
  name: string
  role: OperatorRole
  createdAt: number
  createdBy: string
  revokedAt: number | null
  revokedBy: string | null
}

interface OperatorRow {
  name: string
  role: OperatorRole
  created_at: number | string
  created_by: string
  revoked_at: number | string | null
  revoked_by: string | null
}

const toRecord = (row: OperatorRow): OperatorRecord => ({
  name: row.name,
  role: row.role,
  createdAt: Number(row.created_at),
  createdBy: row.created_by,
  revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  revokedBy: row.revoked_by,
})

/** The name of the break-glass admin token's holder; no named operator may take it. */
export const ADMIN_OPERATOR = 'admin'

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * Named operators with a role and a token (`wop_…`, shown once, stored only as its SHA-256 hash), the break-glass
 * admin token (role `admin`), and optionally operators signed in by an identity provider. A token is looked up
 * by its hash — the store compares digests, never the token — and a revoked one is refused on its next request.
 */
export class Operators {
  constructor(
    private readonly store: Store,
    private readonly chain: ActivityChain,
    private readonly ids: IdSource,
    private readonly clock: Clock,
    private readonly admin: AdminCredential,
    private readonly oidc: OidcOperators | undefined,
  ) {}

  /** Gives `name` a role and a new token (returned once); recorded in the chain as done by `by`. */
  async add(
    name: string,
    role: OperatorRole,
    by: Operator,
  ): Promise<{ operator: OperatorRecord; token: string }> {
    if (name === ADMIN_OPERATOR)
      throw new WardenError('OPERATOR_EXISTS', '`admin` is the admin token; choose another name')
    const token = `wop_${this.ids.secret(32)}`
    const inserted = await this.store.run(
      `INSERT INTO operators (name, role, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO NOTHING`,
      [name, role, sha256(token), this.clock.now(), by.name],
    )
    if (inserted === 0) throw new WardenError('OPERATOR_EXISTS', `an operator \`${name}\` exists or existed`)
    await this.chain.append({ kind: 'operator.add', body: { operator: by.name, name, role } })
    return { operator: await this.require(name), token }
  }

  /** Revokes `name`'s token: refused from its next request on, on every node (it is read on every request). */
  async revoke(name: string, by: Operator): Promise<OperatorRecord> {
    const current = await this.require(name)
    if (current.revokedAt !== null) return current
    await this.store.run(
      `UPDATE operators SET revoked_at = ?, revoked_by = ? WHERE name = ? AND revoked_at IS NULL`,
      [this.clock.now(), by.name, name],
    )
    await this.chain.append({ kind: 'operator.revoke', body: { operator: by.name, name } })
    return this.require(name)
  }

  /** Every named operator, revoked ones included. */
  async list(): Promise<OperatorRecord[]> {
    return (await this.store.all<OperatorRow>(`SELECT * FROM operators ORDER BY name`)).map(toRecord)
  }

  async require(name: string): Promise<OperatorRecord> {
    const row = await this.store.get<OperatorRow>(`SELECT * FROM operators WHERE name = ?`, [name])
    if (!row) throw new WardenError('OPERATOR_NOT_FOUND', `no operator \`${name}\``)
    return toRecord(row)
  }

  /** The operator a bearer token signs in, or undefined (an owner's or an agent's token, or none valid). */
  async authenticate(token: string): Promise<Operator | undefined> {
    if (this.admin.matches(token)) return { name: ADMIN_OPERATOR, roles: ['admin'], source: 'admin-token' }
    if (token.startsWith('wop_')) {
      const row = await this.store.get<OperatorRow>(
        `SELECT * FROM operators WHERE token_hash = ? AND revoked_at IS NULL`,
        [sha256(token)],
      )
      return row && { name: row.name, roles: [row.role], source: 'token' }
    }
    return this.oidc?.verify(token)
  }

  /** True while a signed-in operator's credential stands (a console session asks on every request). */
  async isActive(operator: Operator): Promise<boolean> {
    if (operator.expiresAt !== undefined && operator.expiresAt <= this.clock.now()) return false
    if (operator.source !== 'token') return true
    const row = await this.store.get<{ role: OperatorRole }>(
      `SELECT role FROM operators WHERE name = ? AND revoked_at IS NULL`,
      [operator.name],
    )
    return row !== undefined
  }
}
