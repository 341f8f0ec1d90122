import type { Logger } from '../kernel/index.js'
import type { Approval, OwnerNotifier } from './approvals.js'

export interface OwnerChannel {
  webhook: string
  format: 'json' | 'slack'
}

/**
 * Notifies an agent's owner of an approval request by webhook (JSON, or a Slack-compatible `text` body),
 * retrying with backoff in the background. It never blocks or fails the request it reports.
 */
export class WebhookNotifier implements OwnerNotifier {
  constructor(
    private readonly channels: Readonly<Record<string, OwnerChannel>>,
    private readonly logger: Logger,
    private readonly options: { attempts: number; firstDelayMs: number; publicUrl?: string } = {
      attempts: 5,
      firstDelayMs: 500,
    },
    private readonly post: typeof fetch = fetch,
  ) {}

  notify(approval: Approval): void {
    const channel = this.channels[approval.owner]
    if (!channel) return
    void this.deliver(channel, approval)
  }

  private body(channel: OwnerChannel, approval: Approval): string {
    const summary = `Warden: ${approval.tool ?? 'a request'} by ${approval.agent} in task ${approval.task} needs approval (${approval.reasons.join(', ')})`
    if (channel.format === 'slack') {
      return JSON.stringify({
        text: `${summary}\nApprove: warden approvals approve ${approval.id}\nDeny: warden approvals deny ${approval.id}`,
      })
    }
    return JSON.stringify({ type: 'warden.approval.requested', approval })
  }

  private async deliver(channel: OwnerChannel, approval: Approval): Promise<void> {
    let delay = this.options.firstDelayMs
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      try {
        const res = await this.post(channel.webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: this.body(channel, approval),
          signal: AbortSignal.timeout(5000),
        })
        if (res.ok) return
        this.logger.warn('owner webhook refused', { approval: approval.id, status: res.status, attempt })
      } catch (error) {
        this.logger.warn('owner webhook failed', { approval: approval.id, attempt, error: String(error) })
      }
      await new Promise((resolve) => setTimeout(resolve, delay).unref())
      delay *= 2
    }
    this.logger.error('owner webhook gave up', { approval: approval.id, owner: approval.owner })
  }
}
