import type { ActivityChain } from '../chain/index.js'
import { type Clock, type IdSource, type Logger, WardenError } from '../kernel/index.js'
import type { Store } from '../store/index.js'
import type { IssuedSecret, LeaseRequest, SecretProvider } from './secret-provider.js'
import type { Task } from './task-registry.js'

/** A configured secret: its provider and the agents that may lease it. */
export interface LeasableSecret {
  provider: SecretProvider
  agents: readonly string[]
}

/** A lease as the caller receives it; the value appears nowhere else (not in logs, errors or the chain). */
export interface Lease {
  leaseId: string
  secret: string
  value: string
  expiresAt: number
}

interface LeaseRow {
  id: string
  task: string
  secret: string
  provider: string
  handle: string | null
  expires_at: number
}

/** Ephemeral secrets leased to a task for its lifetime and revoked when it ends. */
export class Leases {
  constructor(
    private readonly store: Store,
    private readonly chain: ActivityChain,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly logger: Logger,
    private readonly secrets: ReadonlyMap<string, LeasableSecret>,
  ) {}

  /** Leases `secret` to an open task until the task's end. */
  async lease(task: Task, secret: string): Promise<Lease> {
    const configured = this.secrets.get(secret)
    if (!configured) throw new WardenError('SECRET_NOT_FOUND', `no secret \`${secret}\` is configured`)
    if (!configured.agents.includes(task.agent)) {
      throw new WardenError('LEASE_NOT_ALLOWED', `agent \`${task.agent}\` may not lease \`${secret}\``)
    }
    const request: LeaseRequest = { leaseId: this.ids.id(), task: task.id, secret, expiresAt: task.expiresAt }
    // Recorded before issuing, so a crash between the two leaves a row the sweeper revokes.
    await this.store.run(
      `INSERT INTO leases (id, task, secret, provider, status, issued_at, expires_at) VALUES (?, ?, ?, ?, 'active', ?, ?)`,
      [request.leaseId, task.id, secret, configured.provider.kind, this.clock.now(), request.expiresAt],
    )
    let issued: IssuedSecret
    try {
      issued = await configured.provider.issue(request)
    } catch (error) {
      await this.store.run(`UPDATE leases SET status = 'failed', revoked_at = ? WHERE id = ?`, [
        this.clock.now(),
        request.leaseId,
      ])
      throw error
    }
    await this.store.run(`UPDATE leases SET handle = ? WHERE id = ?`, [issued.handle, request.leaseId])
    await this.chain.append({
      kind: 'lease.issue',
      task: task.id,
      agent: task.spiffeId,
      body: {
        lease: request.leaseId,
        secret,
        provider: configured.provider.kind,
        expiresAt: request.expiresAt,
      },
    })
    return { leaseId: request.leaseId, secret, value: issued.value, expiresAt: request.expiresAt }
  }

  /**
   * The values the task's active leases hold, where Warden can know them (a static secret's one value): what it
   * must never show, e.g. in an approval's arguments. A dynamic provider's values are known only to the caller.
   */
  async heldValues(task: string): Promise<string[]> {
    const rows = await this.store.all<{ secret: string }>(
      `SELECT DISTINCT secret FROM leases WHERE task = ? AND status = 'active'`,
      [task],
    )
    const values: string[] = []
    for (const row of rows) {
      const value = await this.secrets.get(row.secret)?.provider.sharedValue?.(row.secret)
      if (value) values.push(value)
    }
    return values
  }

  /** Revokes every active lease of the given tasks; failures are logged and retried by the next sweep. */
  async revokeFor(tasks: readonly Task[]): Promise<void> {
    for (const task of tasks) {
      const rows = await this.store.all<LeaseRow>(
        `SELECT id, task, secret, provider, handle, expires_at FROM leases WHERE task = ? AND status = 'active'`,
        [task.id],
      )
      for (const row of rows) await this.revoke(row, task)
    }
  }

  /** Revokes active leases whose task has ended (catches any a crash or a provider failure left behind). */
  async sweep(): Promise<void> {
    const rows = await this.store.all<LeaseRow & { spiffe_id: string }>(
      `SELECT l.id, l.task, l.secret, l.provider, l.handle, l.expires_at, t.spiffe_id FROM leases l
       JOIN tasks t ON t.id = l.task WHERE l.status = 'active' AND (t.status = 'closed' OR l.expires_at <= ?)`,
      [this.clock.now()],
    )
    for (const row of rows) await this.revoke(row, { id: row.task, spiffeId: row.spiffe_id })
  }

  private async revoke(row: LeaseRow, task: Pick<Task, 'id' | 'spiffeId'>): Promise<void> {
    const configured = this.secrets.get(row.secret)
    try {
      await configured?.provider.revoke(row.handle, {
        leaseId: row.id,
        task: row.task,
        secret: row.secret,
        expiresAt: row.expires_at,
      })
    } catch (error) {
      this.logger.error('lease revocation failed; will retry', {
        lease: row.id,
        secret: row.secret,
        error: String(error),
      })
      return
    }
    await this.store.run(`UPDATE leases SET status = 'revoked', revoked_at = ? WHERE id = ?`, [
      this.clock.now(),
      row.id,
    ])
    await this.chain.append({
      kind: 'lease.revoke',
      task: task.id,
      agent: task.spiffeId,
      body: { lease: row.id, secret: row.secret, provider: row.provider },
    })
  }
}
