import { type FileHandle, open } from 'node:fs/promises'
import Database from 'better-sqlite3'
import { WardenError } from '../kernel/index.js'
import type { SqlValue, Store, TransactionOptions, WriteOptions } from './store.js'

type Statement = Database.Statement<unknown[], unknown>

/**
 * The embedded default: one SQLite file in WAL mode. better-sqlite3 is synchronous, so every call completes
 * before it returns; transactions hold a queue so that other callers' statements never land inside them.
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const
  private readonly db: Database.Database
  private readonly statements = new Map<string, Statement>()
  private readonly rawStatements = new Map<string, Statement>()
  private queue: Promise<unknown> = Promise.resolve()
  private inTransaction = false
  private closed = false

  private readonly synchronous: 'FULL' | 'NORMAL'
  /** The flush running now, and the one queued behind it (it covers commits the running one may not). */
  private flushing: Promise<void> | undefined
  private flushNext: Promise<void> | undefined
  private wal: Promise<FileHandle> | undefined

  constructor(
    private readonly file: string,
    options: { durability?: 'full' | 'normal' } = {},
  ) {
    this.synchronous = options.durability === 'normal' ? 'NORMAL' : 'FULL'
    try {
      this.db = new Database(file)
      this.db.pragma('journal_mode = WAL')
      // FULL: an acknowledged write survives power loss, not only a process crash (NORMAL: only the latter).
      this.db.pragma(`synchronous = ${this.synchronous}`)
      this.db.pragma('foreign_keys = ON')
      this.db.pragma('busy_timeout = 5000')
    } catch (cause) {
      throw new WardenError('STORE_UNAVAILABLE', `cannot open sqlite database \`${file}\``, { cause })
    }
  }

  private prepare(sql: string): Statement {
    if (this.closed) throw new WardenError('STORE_UNAVAILABLE', 'the store is closed')
    let statement = this.statements.get(sql)
    if (!statement) {
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }

  private prepareRaw(sql: string): Statement {
    if (this.closed) throw new WardenError('STORE_UNAVAILABLE', 'the store is closed')
    let statement = this.rawStatements.get(sql)
    if (!statement) {
      statement = this.db.prepare(sql).raw(true)
      this.rawStatements.set(sql, statement)
    }
    return statement
  }

  private exec<T>(op: () => T): T {
    try {
      return op()
    } catch (cause) {
      if (cause instanceof WardenError) throw cause
      throw translateSqliteError(cause)
    }
  }

  /** Waits for any open transaction; then runs `op` synchronously. */
  private async outside<T>(op: () => T): Promise<T> {
    if (this.inTransaction) await this.queue.catch(() => undefined)
    while (this.inTransaction) await this.queue.catch(() => undefined)
    return this.exec(op)
  }

  run(sql: string, params: readonly SqlValue[] = [], options: WriteOptions = {}): Promise<number> {
    if (!options.relaxed) return this.outside(() => this.prepare(sql).run(...params).changes)
    return this.outside(() => {
      // Synchronous, so no other statement runs between the two pragmas.
      this.db.pragma('synchronous = NORMAL')
      try {
        return this.prepare(sql).run(...params).changes
      } finally {
        this.db.pragma(`synchronous = ${this.synchronous}`)
      }
    })
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.outside(() => this.prepare(sql).get(...params) as T | undefined)
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.outside(() => this.prepare(sql).all(...params) as T[])
  }

  values(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    return this.outside(() => this.prepareRaw(sql).all(...params) as unknown[][])
  }

  transaction<T>(work: (tx: Store) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    // A deferred flush: the commit only reaches the WAL file (as NORMAL does); `flush()` makes it durable.
    const deferred = options.flush === 'later' && this.synchronous === 'FULL'
    const run = async (): Promise<T> => {
      this.inTransaction = true
      const tx: Store = {
        dialect: 'sqlite',
        run: async (sql, params = []) => this.exec(() => this.prepare(sql).run(...params).changes),
        get: async <R>(sql: string, params: readonly SqlValue[] = []) =>
          this.exec(() => this.prepare(sql).get(...params) as R | undefined),
        all: async <R>(sql: string, params: readonly SqlValue[] = []) =>
          this.exec(() => this.prepare(sql).all(...params) as R[]),
        values: async (sql, params = []) =>
          this.exec(() => this.prepareRaw(sql).all(...params) as unknown[][]),
        transaction: (inner) => inner(tx),
        flush: () => this.flush(),
        close: async () => {},
      }
      // Synchronous up to BEGIN, and no other statement runs until the transaction ends: the setting is its own.
      if (deferred) this.db.pragma('synchronous = NORMAL')
      this.exec(() => this.db.exec('BEGIN IMMEDIATE'))
      try {
        const result = await work(tx)
        this.exec(() => this.db.exec('COMMIT'))
        return result
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
        throw error
      } finally {
        if (deferred) this.db.pragma(`synchronous = ${this.synchronous}`)
        this.inTransaction = false
      }
    }
    const next = this.queue.catch(() => undefined).then(run)
    this.queue = next
    return next
  }

  /**
   * In WAL mode a commit is durable once its WAL frames are: FULL syncs the WAL file at every commit, which is
   * all that separates it from NORMAL. A deferred commit gets that same sync here, from the thread pool: an
   * fdatasync of the WAL file (the inode SQLite writes; it is never deleted while this connection is open).
   * Checkpoints sync the WAL and the database file themselves in both modes.
   */
  flush(): Promise<void> {
    if (this.synchronous === 'NORMAL' || this.file === ':memory:') return Promise.resolve()
    if (!this.flushing) {
      const running = this.syncWal().finally(() => {
        if (this.flushing === running) this.flushing = undefined
      })
      this.flushing = running
      return running
    }
    // The running sync may have started before this caller's commit: queue one more, shared by every caller
    // that arrives meanwhile.
    this.flushNext ??= this.flushing
      .catch(() => undefined)
      .then(() => {
        this.flushNext = undefined
        return this.flush()
      })
    return this.flushNext
  }

  private async syncWal(): Promise<void> {
    try {
      this.wal ??= open(`${this.file}-wal`, 'r')
      await (await this.wal).datasync()
    } catch (cause) {
      // The next flush opens the file again (a handle that failed is not trusted twice).
      const failed = this.wal
      this.wal = undefined
      failed?.then((handle) => handle.close()).catch(() => undefined)
      throw new WardenError('STORE_UNAVAILABLE', 'the store could not flush its log to disk', { cause })
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.queue.catch(() => undefined)
    await this.flushing?.catch(() => undefined)
    await this.flushNext?.catch(() => undefined)
    await (await this.wal?.catch(() => undefined))?.close().catch(() => undefined)
    this.closed = true
    this.db.pragma('wal_checkpoint(TRUNCATE)')
    this.db.close()
  }
}

function translateSqliteError(cause: unknown): Error {
  const code = (cause as { code?: string }).code ?? ''
  if (
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_IOERR' ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_READONLY'
  ) {
    return new WardenError('STORE_UNAVAILABLE', `the store cannot be written (${code})`, { cause })
  }
  return cause as Error
}
