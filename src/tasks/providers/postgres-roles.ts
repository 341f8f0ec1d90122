import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { WardenError } from '../../kernel/index.js'
import type { IssuedSecret, LeaseRequest, SecretProvider } from '../secret-provider.js'

export interface PostgresRolesOptions {
  /** An admin connection that may create and drop roles. */
  url: string
  /** Roles the leased role is made a member of (its grants). */
  roles: readonly string[]
}

/**
 * Ephemeral PostgreSQL credentials: a login role per lease with `VALID UNTIL` the task's end, member of the
 * configured roles. Revocation terminates the role's sessions and drops it.
 */
export class PostgresRoles implements SecretProvider {
  readonly kind = 'postgres'

  constructor(private readonly options: PostgresRolesOptions) {}

  private async withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.options.url })
    try {
      await client.connect()
      return await work(client)
    } catch (cause) {
      if (cause instanceof WardenError) throw cause
      throw new WardenError('LEASE_FAILED', 'the postgres secret provider failed', { cause })
    } finally {
      await client.end().catch(() => undefined)
    }
  }

  async issue(request: LeaseRequest): Promise<IssuedSecret> {
    const role = `warden_lease_${request.leaseId}`
    const password = randomBytes(24).toString('base64url')
    await this.withAdmin(async (client) => {
      const name = client.escapeIdentifier(role)
      await client.query(
        `CREATE ROLE ${name} LOGIN PASSWORD ${client.escapeLiteral(password)} VALID UNTIL ${client.escapeLiteral(new Date(request.expiresAt).toISOString())}`,
      )
      for (const member of this.options.roles)
        await client.query(`GRANT ${client.escapeIdentifier(member)} TO ${name}`)
    })
    const url = new URL(this.options.url)
    url.username = role
    url.password = password
    return { value: url.toString(), handle: role }
  }

  async revoke(handle: string | null): Promise<void> {
    if (!handle) return
    await this.withAdmin(async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [handle])
      if (exists.rowCount === 0) return
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [
        handle,
      ])
      const name = client.escapeIdentifier(handle)
      await client.query(`DROP OWNED BY ${name}`)
      await client.query(`DROP ROLE ${name}`)
    })
  }
}
