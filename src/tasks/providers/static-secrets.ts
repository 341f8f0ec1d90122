import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { type Clock, WardenError } from '../../kernel/index.js'
import type { Store } from '../../store/index.js'
import type { IssuedSecret, LeaseRequest, SecretProvider } from '../secret-provider.js'

const VERSION = 'v1'

/**
 * Static secrets, stored encrypted with AES-256-GCM under a key kept in the data directory (not in the
 * database), with the secret's name as additional data so a ciphertext cannot be moved to another name.
 * Values leave only through a task's lease.
 */
export class StaticSecrets implements SecretProvider {
  readonly kind = 'static'

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly key: Buffer,
  ) {
    if (key.length !== 32) throw new TypeError('the static-secrets key must be 32 bytes')
  }

  /** Stores (or replaces) a value. */
  async put(name: string, value: string): Promise<void> {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(name))
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()])
    const sealed = [VERSION, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.')
    const now = this.clock.now()
    await this.store.run(
      `INSERT INTO secrets (name, ciphertext, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
      [name, sealed, now],
    )
  }

  async issue(request: LeaseRequest): Promise<IssuedSecret> {
    const row = await this.store.get<{ ciphertext: string }>(
      `SELECT ciphertext FROM secrets WHERE name = ?`,
      [request.secret],
    )
    if (!row)
      throw new WardenError('SECRET_NOT_FOUND', `static secret \`${request.secret}\` has no value yet`)
    const [version, iv, ciphertext, tag] = row.ciphertext.split('.')
    if (version !== VERSION || !iv || !ciphertext || !tag) {
      throw new WardenError(
        'LEASE_FAILED',
        `static secret \`${request.secret}\` is stored in an unknown format`,
      )
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'))
      decipher.setAAD(Buffer.from(request.secret))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      const value = Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8')
      return { value, handle: null }
    } catch (cause) {
      throw new WardenError('LEASE_FAILED', `static secret \`${request.secret}\` does not decrypt`, { cause })
    }
  }

  async revoke(): Promise<void> {
    // A static value cannot be recalled once read; the lease ending is recorded, and the value must be rotated
    // at its source if the task was compromised.
  }
}
