import { join } from 'node:path'
import { SqliteStore, type Store } from '../../src/store/index.js'

/**
 * The data directory's real SQLite store, whose disk flushes a test can hold, release or fail, and whose
 * transactions it can count. Everything else is the real store's.
 */
export interface FlushControl {
  store: Store
  /** Transactions begun so far. */
  readonly transactions: number
  /** Flushes from now on wait until `release` (or fail with `fail`). */
  hold(): void
  release(): void
  fail(error: Error): void
}

export function controlledStore(dataDir: string): FlushControl {
  const real = new SqliteStore(join(dataDir, 'warden.db'))
  let held: { promise: Promise<void>; settle: (error?: Error) => void } | undefined
  let transactions = 0
  const store: Store = {
    dialect: real.dialect,
    run: (sql, params, options) => real.run(sql, params, options),
    get: (sql, params) => real.get(sql, params),
    all: (sql, params) => real.all(sql, params),
    values: (sql, params) => real.values(sql, params),
    transaction: (work, options) => {
      transactions += 1
      return real.transaction(work, options)
    },
    flush: async () => {
      await held?.promise
      await real.flush()
    },
    close: () => real.close(),
  }
  return {
    store,
    get transactions() {
      return transactions
    },
    hold() {
      let settle!: (error?: Error) => void
      const promise = new Promise<void>((resolve, reject) => {
        settle = (error) => (error ? reject(error) : resolve())
      })
      promise.catch(() => undefined)
      held = { promise, settle }
    },
    release() {
      held?.settle()
      held = undefined
    },
    fail(error) {
      held?.settle(error)
    },
  }
}
