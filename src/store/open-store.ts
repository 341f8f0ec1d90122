import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { WardenError } from '../kernel/index.js'
import { createPostgresStore } from './postgres-store.js'
import { SqliteStore } from './sqlite-store.js'
import type { Store } from './store.js'

/** Which store to open: the embedded SQLite file in the data directory, or PostgreSQL. */
export type StoreChoice =
  | { kind: 'sqlite'; durability?: 'full' | 'normal' }
  | { kind: 'postgres'; url: string }

/** The SQLite file inside a data directory. */
export function sqliteFile(dataDir: string): string {
  return join(dataDir, 'warden.db')
}

/**
 * Opens the configured store. With `mustExist`, a missing SQLite file is an error instead of a new empty
 * database (offline tools such as `warden chain verify` must not invent an empty chain).
 */
export function openStore(
  choice: StoreChoice,
  dataDir: string,
  options: { mustExist?: boolean } = {},
): Store {
  if (choice.kind === 'postgres') return createPostgresStore({ url: choice.url })
  const file = sqliteFile(dataDir)
  if (options.mustExist && !existsSync(file)) {
    throw new WardenError('STORE_UNAVAILABLE', `no warden database at \`${file}\``)
  }
  return new SqliteStore(file, choice.durability ? { durability: choice.durability } : {})
}
