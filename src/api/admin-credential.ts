import { createHash, timingSafeEqual } from 'node:crypto'
import type { IdSource } from '../kernel/index.js'
import type { Store } from '../store/index.js'

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** The admin credential, held only as a SHA-256 hash. */
export interface AdminCredential {
  /** True when `presented` is the admin token (constant-time comparison). */
  matches(presented: string): boolean
}

/**
 * Resolves the admin credential: `WARDEN_ADMIN_TOKEN` when given; else the hash stored at first start; else a
 * new token, returned once in `generated` for the operator and stored only as its hash.
 */
export async function ensureAdminCredential(
  store: Store,
  ids: IdSource,
  fromEnv: string | undefined,
): Promise<{ credential: AdminCredential; generated?: string }> {
  const make = (hash: Buffer): AdminCredential => ({
    matches: (presented) => timingSafeEqual(sha256(presented), hash),
  })
  if (fromEnv) return { credential: make(sha256(fromEnv)) }
  const stored = await store.get<{ value: string }>(
    `SELECT value FROM settings WHERE key = 'admin_token_sha256'`,
  )
  if (stored) return { credential: make(Buffer.from(stored.value, 'hex')) }
  const token = `wat_${ids.secret(32)}`
  const hash = sha256(token)
  await store.run(`INSERT INTO settings (key, value) VALUES ('admin_token_sha256', ?)`, [
    hash.toString('hex'),
  ])
  return { credential: make(hash), generated: token }
}
