import { type Clock, WardenError } from '../kernel/index.js'
import type { Store } from '../store/index.js'
import { openSealedValue, sealValue } from '../tasks/index.js'
import { newWebhookSecret } from './webhook-signature.js'

/** The name a secret is sealed under: not a valid secret name in `secrets`, so one cannot pass for the other. */
const sealedName = (owner: string) => `webhook:${owner}`

/**
 * Each owner's webhook signing secret, kept in the store sealed under the deployment's secrets key (as static
 * secrets are). A secret is shown once: when an operator first asks for it, or when they rotate it. Warden
 * creates one unshown when it must sign before anyone asked, so a delivery is never sent unsigned.
 */
export class WebhookSecrets {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly key: Buffer,
  ) {}

  /** The secret deliveries to `owner` are signed with (created, unshown, when there is none yet). */
  async signingSecret(owner: string): Promise<string> {
    await this.store.run(
      `INSERT INTO owner_webhook_secrets (owner, sealed, created_at) VALUES (?, ?, ?) ON CONFLICT (owner) DO NOTHING`,
      [owner, sealValue(this.key, sealedName(owner), newWebhookSecret()), this.clock.now()],
    )
    return this.read(owner)
  }

  /**
   * Shows the owner's secret once: the first time it is asked for (creating it if needed), or a new one when
   * `rotate` (the old one stops signing at once). Asked again without `rotate`: `WEBHOOK_SECRET_SHOWN`.
   */
  async reveal(owner: string, options: { rotate?: boolean } = {}): Promise<string> {
    const now = this.clock.now()
    if (options.rotate) {
      const secret = newWebhookSecret()
      await this.store.run(
        `INSERT INTO owner_webhook_secrets (owner, sealed, created_at, revealed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (owner) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at, revealed_at = excluded.revealed_at`,
        [owner, sealValue(this.key, sealedName(owner), secret), now, now],
      )
      return secret
    }
    await this.signingSecret(owner)
    // INVARIANT: the conditional update shows a secret to one caller only, even when two ask at once.
    const shown = await this.store.run(
      `UPDATE owner_webhook_secrets SET revealed_at = ? WHERE owner = ? AND revealed_at IS NULL`,
      [now, owner],
    )
    if (shown !== 1) {
      throw new WardenError(
        'WEBHOOK_SECRET_SHOWN',
        `the webhook secret of \`${owner}\` was already shown; rotate it to get a new one`,
      )
    }
    return this.read(owner)
  }

  private async read(owner: string): Promise<string> {
    const row = await this.store.get<{ sealed: string }>(
      `SELECT sealed FROM owner_webhook_secrets WHERE owner = ?`,
      [owner],
    )
    if (!row) throw new WardenError('NOT_FOUND', `no webhook secret for \`${owner}\``)
    return openSealedValue(this.key, sealedName(owner), row.sealed)
  }
}
