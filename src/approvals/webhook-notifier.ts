import type { Clock, IdSource, Logger } from '../kernel/index.js'
import type { Store } from '../store/index.js'
import { mayLeaveInWebhook } from './approval-arguments.js'
import { type Approval, type OwnerNotifier, readApproval } from './approvals.js'
import type { WebhookSecrets } from './webhook-secrets.js'
import { signWebhook } from './webhook-signature.js'

/** Where an owner is told of requests about their agents. */
export interface OwnerChannel {
  webhook: string
  format: 'json' | 'slack'
}

/** How deliveries are retried and claimed. */
export interface OutboxOptions {
  /** Attempts before a delivery is given up (`failed`). */
  attempts: number
  /** The wait after the first failed attempt; it doubles after each further one, up to `maxDelayMs`. */
  firstDelayMs: number
  maxDelayMs: number
  /** How long a node holds a claimed delivery; past it, another node (or this one after a restart) retries it. */
  claimMs: number
  /** How often the outbox is read for deliveries that fell due (retries; those written on other nodes). */
  pollMs: number
  /** Each attempt's HTTP timeout. */
  timeoutMs: number
}

export const DEFAULT_OUTBOX: OutboxOptions = {
  attempts: 8,
  firstDelayMs: 5_000,
  maxDelayMs: 3_600_000,
  claimMs: 60_000,
  pollMs: 1_000,
  timeoutMs: 5_000,
}

interface DeliveryRow {
  id: string
  owner: string
  approval: string
  attempts: number
}

/**
 * Notifies an agent's owner of an approval request by webhook (JSON, or a Slack-compatible `text` body), signed
 * per Standard Webhooks with the owner's secret. Deliveries live in the store (an outbox): one is written in
 * the same transaction as the request, and a worker sends it, retrying with backoff, until it is delivered, given
 * up, or its request expired. A restart picks pending deliveries up again; with several nodes on one store, an
 * atomic claim gives each attempt to one node. It never blocks or fails the request it reports.
 */
export class WebhookNotifier implements OwnerNotifier {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<number> | undefined
  private again = false
  private closed = false

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly logger: Logger,
    private readonly channels: Readonly<Record<string, OwnerChannel>>,
    private readonly secrets: WebhookSecrets,
    private readonly options: OutboxOptions = DEFAULT_OUTBOX,
    private readonly post: typeof fetch = fetch,
  ) {}

  async enqueue(tx: Store, approval: Approval): Promise<void> {
    if (!this.channels[approval.owner]) return
    await tx.run(
      `INSERT INTO webhook_deliveries (id, owner, approval, status, attempts, next_at, expires_at, created_at)
       VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`,
      [
        `msg_${this.ids.id()}`,
        approval.owner,
        approval.id,
        approval.createdAt,
        approval.expiresAt,
        approval.createdAt,
      ],
    )
  }

  kick(): void {
    if (this.closed) return
    this.deliverDue().catch((error: unknown) =>
      this.logger.error('webhook outbox failed', { error: String(error) }),
    )
  }

  /** Starts the worker: what is due now (deliveries left pending by a stop) and, from then on, every `pollMs`. */
  start(): void {
    if (this.timer || this.closed) return
    this.timer = setInterval(() => this.kick(), this.options.pollMs)
    this.timer.unref()
    this.kick()
  }

  /** Stops the worker and waits for the attempts in flight; what is still pending stays in the outbox. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    await this.running?.catch(() => undefined)
  }

  /**
   * Sends every delivery that is due and that this node claims; resolves with how many were delivered. A call
   * while a pass runs makes one more pass after it (it may have been kicked by a newer request).
   */
  deliverDue(): Promise<number> {
    if (this.running) {
      this.again = true
      return this.running
    }
    const pass = (async () => {
      let delivered = 0
      do {
        this.again = false
        delivered += await this.pass()
      } while (this.again && !this.closed)
      return delivered
    })().finally(() => {
      this.running = undefined
    })
    this.running = pass
    return pass
  }

  private async pass(): Promise<number> {
    const now = this.clock.now()
    const expired = await this.store.run(
      `UPDATE webhook_deliveries SET status = 'expired', claimed_until = NULL WHERE status = 'pending' AND expires_at <= ?`,
      [now],
    )
    if (expired > 0) this.logger.warn('owner webhook deliveries expired undelivered', { count: expired })
    const due = await this.store.all<DeliveryRow>(
      `SELECT id, owner, approval, attempts FROM webhook_deliveries
       WHERE status = 'pending' AND next_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
       ORDER BY next_at LIMIT 50`,
      [now, now],
    )
    const claimed: DeliveryRow[] = []
    for (const row of due) {
      // INVARIANT: one claim per attempt across nodes — the conditional update succeeds for one of them only.
      const won = await this.store.run(
        `UPDATE webhook_deliveries SET claimed_until = ?, attempts = attempts + 1
         WHERE id = ? AND status = 'pending' AND attempts = ? AND (claimed_until IS NULL OR claimed_until <= ?)`,
        [now + this.options.claimMs, row.id, row.attempts, now],
      )
      if (won === 1) claimed.push({ ...row, attempts: row.attempts + 1 })
    }
    const results = await Promise.all(claimed.map((row) => this.attempt(row)))
    return results.filter(Boolean).length
  }

  /** One attempt at one claimed delivery; records the outcome. Resolves true when the receiver accepted it. */
  private async attempt(row: DeliveryRow): Promise<boolean> {
    const channel = this.channels[row.owner]
    const approval = await readApproval(this.store, row.approval)
    if (!channel || !approval) {
      await this.finish(
        row,
        'failed',
        channel ? 'the approval is gone' : 'the owner has no webhook configured',
      )
      return false
    }
    let error: string
    try {
      const body = this.body(channel, approval)
      const signed = signWebhook(await this.secrets.signingSecret(row.owner), row.id, this.clock.now(), body)
      const res = await this.post(channel.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signed },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      })
      await res.body?.cancel()
      if (res.ok) {
        await this.finish(row, 'delivered', null)
        return true
      }
      error = `status ${res.status}`
    } catch (cause) {
      error = String(cause)
    }
    this.logger.warn('owner webhook failed', {
      delivery: row.id,
      approval: row.approval,
      attempt: row.attempts,
      error,
    })
    if (row.attempts >= this.options.attempts) {
      this.logger.error('owner webhook gave up', {
        delivery: row.id,
        approval: row.approval,
        owner: row.owner,
      })
      await this.finish(row, 'failed', error)
    } else {
      const delay = Math.min(this.options.firstDelayMs * 2 ** (row.attempts - 1), this.options.maxDelayMs)
      await this.store.run(
        `UPDATE webhook_deliveries SET next_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?`,
        [this.clock.now() + delay, error, row.id],
      )
    }
    return false
  }

  private async finish(
    row: DeliveryRow,
    status: 'delivered' | 'failed',
    error: string | null,
  ): Promise<void> {
    await this.store.run(
      `UPDATE webhook_deliveries SET status = ?, claimed_until = NULL, last_error = ?, delivered_at = ? WHERE id = ?`,
      [status, error, status === 'delivered' ? this.clock.now() : null, row.id],
    )
  }

  /**
   * The request as the owner is told of it. Argument values leave Warden only for a public or internal tool;
   * for a confidential or restricted one the webhook names the arguments and the approver looks in Warden.
   */
  private body(channel: OwnerChannel, approval: Approval): string {
    const shareValues = mayLeaveInWebhook(approval.sensitivity)
    const args = approval.arguments
    if (channel.format === 'slack') {
      const summary = `Warden: ${approval.tool ?? 'a request'} on ${approval.server ?? 'no server'} by ${approval.agent} in task ${approval.task} needs approval (${approval.reasons.join(', ')})`
      const shown =
        args === null
          ? ''
          : shareValues
            ? `\nArguments: ${JSON.stringify(args)}`
            : `\nArguments (${approval.sensitivity}, values in Warden): ${Object.keys(args).join(', ')}`
      return JSON.stringify({
        text: `${summary}${shown}\nApprove: warden approvals approve ${approval.id} --reason "…"\nDeny: warden approvals deny ${approval.id} --reason "…"`,
      })
    }
    const data: Record<string, unknown> = { ...approval }
    if (!shareValues) {
      data.arguments = null
      data.argumentNames = args === null ? [] : Object.keys(args)
    }
    return JSON.stringify({
      type: 'warden.approval.requested',
      timestamp: new Date(approval.createdAt).toISOString(),
      data,
    })
  }
}
