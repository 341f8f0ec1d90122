import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { type Clock, WardenError } from '../../kernel/index.js'
import type { Store } from '../../store/index.js'
import type { IssuedSecret, LeaseRequest, SecretProvider } from '../secret-provider.js'

const VERSION = 'v1'

/**
 * Seals `value` with AES-256-GCM under `key`, with `name` as additional data so the sealed text cannot be moved
 * to another name. The same sealing keeps static secrets and owners' webhook secrets at rest.
 */
export function sealValue(key: Buffer, name: string, value: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(name))
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()])
  return [VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.')
}

/** Opens what `sealValue` sealed under the same key and name; throws `LEASE_FAILED` when it does not open. */
export function openSealedValue(key: Buffer, name: string, sealed: string): string {
  const [version, iv, ciphertext, tag] = sealed.split('.')
  if (version !== VERSION || !iv || !ciphertext || !tag) {
    throw new WardenError('LEASE_FAILED', `\`${name}\` is stored in an unknown format`)
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(name))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    )
  } catch (cause) {
    throw new WardenError('LEASE_FAILED', `\`${name}\` does not decrypt`, { cause })
  }
}

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
    const sealed = sealValue(this.key, name, value)
    const now = this.clock.now()
    await this.store.run(
      `INSERT INTO secrets (name, ciphertext, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
      [name, sealed, now],
    )
  }

  async issue(request: LeaseRequest): Promise<IssuedSecret> {
    const value = await this.sharedValue(request.secret)
    if (value === undefined)
      throw new WardenError('SECRET_NOT_FOUND', `static secret \`${request.secret}\` has no value yet`)
    return { value, handle: null }
  }

  /** Every lease of a static secret holds its one value. */
  async sharedValue(secret: string): Promise<string | undefined> {
    const row = await this.store.get<{ ciphertext: string }>(
      `SELECT ciphertext FROM secrets WHERE name = ?`,
      [secret],
    )
    return row && openSealedValue(this.key, secret, row.ciphertext)
  }

  async revoke(): Promise<void> {
    // A static value cannot be recalled once read; the lease ending is recorded, and the value must be rotated
    // at its source if the task was compromised.
  }
}
