import type { Clock } from '../kernel/index.js'
import type { Store } from '../store/index.js'

/** A claim waiting for the batch of its event-loop turn. */
interface PendingClaim {
  key: string
  expiresAt: number
  resolve: (claimed: boolean) => void
  reject: (error: unknown) => void
}

/**
 * Rows per INSERT: a batch is cut into statements of these sizes (its binary digits), so the store prepares at
 * most this many distinct statements, and one statement carries a turn of 32 concurrent requests.
 */
const CHUNKS = [64, 32, 16, 8, 4, 2, 1] as const

/** The INSERT of `rows` claims: the rows it returns are exactly the ones it inserted, the others were claimed. */
function insertOf(rows: number): string {
  const values = Array.from({ length: rows }, () => '(?, ?)').join(', ')
  return `INSERT INTO proof_jtis (jti, expires_at) VALUES ${values} ON CONFLICT DO NOTHING RETURNING jti`
}
const INSERTS = new Map(CHUNKS.map((rows) => [rows, insertOf(rows)]))

/**
 * Remembers one-time values (proof `jti`s) until they expire, durably, so a replay fails even after a restart.
 * The claims of one event-loop turn are written together: one transaction of multi-row `INSERT … ON CONFLICT DO
 * NOTHING RETURNING`, which says claim by claim which were new. Single use holds across nodes: the store's
 * primary key decides, and PostgreSQL makes a second node's insert of the same key wait for the first's commit,
 * then skip it.
 */
export class ReplayCache {
  private lastPurge = 0
  private pending: PendingClaim[] = []

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Claims `key` until `expiresAt`; false when it was claimed before. */
  claim(key: string, expiresAt: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.commit())
      this.pending.push({ key, expiresAt, resolve, reject })
    })
  }

  private async commit(): Promise<void> {
    const batch = this.pending
    this.pending = []
    // INVARIANT: one row per key in a batch. The first claim of a key in the turn is the one written; any other is
    // a replay, refused here (a multi-row insert would otherwise return the key once, for both).
    const first = new Map<string, PendingClaim>()
    for (const claim of batch) {
      if (first.has(claim.key)) claim.resolve(false)
      else first.set(claim.key, claim)
    }
    // Sorted, so two nodes inserting the same keys lock them in one order (PostgreSQL would otherwise deadlock).
    const claims = [...first.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
    const now = this.clock.now()
    const purge = now - this.lastPurge > 60_000
    if (purge) this.lastPurge = now
    try {
      // Relaxed durability (`flush: 'later'`): a claimed jti survives a Warden crash (so a replay after restart
      // still fails) without a disk flush per batch; the flush of the decision's record that follows covers it.
      const inserted = await this.store.transaction(
        async (tx) => {
          if (purge) await tx.run(`DELETE FROM proof_jtis WHERE expires_at < ?`, [now])
          const keys = new Set<string>()
          for (let at = 0; at < claims.length; ) {
            const rows = CHUNKS.find((size) => size <= claims.length - at) ?? 1
            const params = claims.slice(at, at + rows).flatMap((claim) => [claim.key, claim.expiresAt])
            for (const row of await tx.all<{ jti: string }>(INSERTS.get(rows) as string, params))
              keys.add(row.jti)
            at += rows
          }
          return keys
        },
        { flush: 'later' },
      )
      for (const claim of claims) claim.resolve(inserted.has(claim.key))
    } catch (error) {
      // Fail closed: a claim the store did not confirm is no claim.
      for (const claim of claims) claim.reject(error)
    }
  }
}
