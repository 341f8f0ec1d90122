import type { KeyStore, StoredKey } from '../identity/index.js'
import type { Clock } from '../kernel/index.js'
import type { Store } from '../store/index.js'
import type { KeyEncryptionKey } from './key-encryption-key.js'

/**
 * The deployment's key material kept in the store every node shares (`shared_keys`), each value sealed under
 * the key-encryption key (never stored in the clear). A key is made once per deployment: the first node to
 * need it creates it, every other node reads that one.
 */
export class SharedKeys {
  constructor(
    private readonly store: Store,
    private readonly kek: KeyEncryptionKey,
    private readonly clock: Clock,
  ) {}

  /** The value stored under `name`, or undefined. A value sealed by the previous KEK is sealed again. */
  async load<T>(name: string): Promise<T | undefined> {
    const row = await this.store.get<{ sealed: string }>(`SELECT sealed FROM shared_keys WHERE name = ?`, [
      name,
    ])
    if (!row) return undefined
    const { plaintext, stale } = await this.kek.open(name, row.sealed)
    if (stale) {
      // KEK rotation: the first node given the new KEK seals again what the old one sealed (compare-and-set).
      await this.store.run(
        `UPDATE shared_keys SET sealed = ?, updated_at = ? WHERE name = ? AND sealed = ?`,
        [await this.kek.seal(name, plaintext), this.clock.now(), name, row.sealed],
      )
    }
    return JSON.parse(plaintext) as T
  }

  /** Stores `value` under `name`, replacing what was there. */
  async save<T>(name: string, value: T): Promise<void> {
    await this.store.run(
      `INSERT INTO shared_keys (name, sealed, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      [name, await this.kek.seal(name, JSON.stringify(value)), this.clock.now()],
    )
  }

  /**
   * The value under `name`; when there is none, `create` makes one and the first node to store it wins (nodes
   * starting together agree on one key). `created` is true on the node whose value was kept.
   */
  async getOrCreate<T>(name: string, create: () => Promise<T>): Promise<{ value: T; created: boolean }> {
    const stored = await this.load<T>(name)
    if (stored !== undefined) return { value: stored, created: false }
    const fresh = await create()
    const inserted = await this.store.run(
      `INSERT INTO shared_keys (name, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
      [name, await this.kek.seal(name, JSON.stringify(fresh)), this.clock.now()],
    )
    if (inserted === 1) return { value: fresh, created: true }
    return { value: (await this.load<T>(name)) as T, created: false }
  }

  /** Seals every stored value again under the current KEK (after a KEK rotation); returns how many. */
  async reseal(): Promise<number> {
    const rows = await this.store.all<{ name: string }>(`SELECT name FROM shared_keys ORDER BY name`)
    for (const { name } of rows) await this.save(name, await this.load(name))
    return rows.length
  }

  /**
   * The signing keys of SVIDs and task tokens as a key-ring store: one JWKS for the whole deployment, and a
   * rotation serialised across nodes by a lock in the store.
   */
  signingKeyStore(): KeyStore {
    const keyStore: KeyStore = {
      load: async () => (await this.load<{ keys: StoredKey[] }>('signing-keys'))?.keys ?? [],
      save: (keys) => this.save('signing-keys', { keys: [...keys] }),
    }
    // SQLite has one writer process; on PostgreSQL a transaction-scoped advisory lock, held while `work` runs
    // on other connections of the pool.
    if (this.store.dialect === 'postgres') {
      keyStore.exclusive = (work) =>
        this.store.transaction(async (tx) => {
          await tx.get(`SELECT pg_advisory_xact_lock(hashtext('warden.keys.' || current_schema()))`)
          return work()
        })
    }
    return keyStore
  }
}
