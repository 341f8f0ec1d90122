import type { Clock } from '../kernel/index.js'
import type { Store } from '../store/index.js'

/** Remembers one-time values (proof `jti`s) until they expire, durably, so a replay fails even after a restart. */
export class ReplayCache {
  private lastPurge = 0

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Claims `key` until `expiresAt`; false when it was claimed before. */
  async claim(key: string, expiresAt: number): Promise<boolean> {
    const now = this.clock.now()
    if (now - this.lastPurge > 60_000) {
      this.lastPurge = now
      await this.store.run(`DELETE FROM proof_jtis WHERE expires_at < ?`, [now])
    }
    // Relaxed durability: a claimed jti survives a Warden crash (so a replay after restart still fails), and
    // the hot path does not wait ~200 µs for a disk flush per proof.
    const inserted = await this.store.run(
      `INSERT INTO proof_jtis (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
      [key, expiresAt],
      { relaxed: true },
    )
    return inserted === 1
  }
}
