import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs'
import Database from 'better-sqlite3'
import { WardenError } from '../kernel/index.js'
import { coalescedFlush } from './coalesced-flush.js'
import type { SqlValue, Store, TransactionOptions, WriteOptions } from './store.js'

type Statement = Database.Statement<unknown[], unknown>

/** How long an operation retries, off the event loop, while another process holds the database's lock. */
const DEFAULT_LOCK_WAIT_MS = 1000

/** `SQLITE_BUSY` and its extended codes: another connection holds a lock this one needs. */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Commits of every SQLite connection of this process that changed rows: what `checkExternal` may not skip. */
let processCommits = 0

/** The table a writing statement changes; undefined for one that names none this way (DDL, pragmas). */
const WRITTEN_TABLE =
  /^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"?(\w+)/i

/**
 * What a store's commits changed: the tables this connection wrote, or `undefined` when something may have changed
 * that cannot be named (a statement of another form, another process's commit).
 */
export type StoreChange = ReadonlySet<string> | undefined

/**
 * The embedded default: one SQLite file in WAL mode. better-sqlite3 is synchronous, so every call completes
 * before it returns; transactions hold a queue so that other callers' statements never land inside them.
 *
 * Durability has one mechanism. SQLite runs `synchronous=NORMAL`: a commit reaches the WAL file (it survives a
 * crash of the process) and checkpoints sync what they copy. In WAL mode the per-commit sync of the WAL file is
 * all that separates FULL from NORMAL, so with durability `full` the store makes that sync itself: an
 * fdatasync of the WAL file after each commit — on the event loop for a plain write or transaction, from the
 * thread pool for a transaction whose flush is deferred (`flush()`).
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const
  private readonly db: Database.Database
  private readonly statements = new Map<string, Statement>()
  private readonly rawStatements = new Map<string, Statement>()
  private queue: Promise<unknown> = Promise.resolve()
  private inTransaction = false
  private closed = false

  /** `full`: an acknowledged write survives power loss, not only a process crash. */
  private readonly durable: boolean
  /** The WAL file, opened for its syncs (SQLite never deletes it while this connection is open). */
  private wal: number | undefined
  /**
   * Set once a sync failed. Linux may drop the pages a failed fdatasync could not write and report the next one as
   * a success, so nothing written after it can be acknowledged as durable: every write is refused until Warden
   * restarts and SQLite recovers from what is on disk (as PostgreSQL stops on a failed fsync). Reads go on.
   */
  private lost: WardenError | undefined
  /** How long a write waits for another process's lock before the store is reported unavailable. */
  private readonly lockWait: number
  /**
   * Set when a write gave up on a lock another process holds; cleared by the next write that succeeds. While it
   * is set, writes try once and fail at once (no wait per request), so a held lock costs a fast 503, not a stall.
   */
  private locked = false
  /** Who hears of committed changes (`onChange`), and the tables written by the transaction under way. */
  private readonly changeListeners: Array<(change: StoreChange) => void> = []
  private written: Set<string> | undefined
  private readonly tableOf = new Map<string, string | null>()
  private dataVersion: Statement | undefined
  private lastDataVersion = 0
  /** `processCommits` when this connection last looked, until the current run of callbacks ends (`checkExternal`). */
  private looked: number | undefined

  constructor(
    private readonly file: string,
    options: { durability?: 'full' | 'normal'; lockWait?: number } = {},
  ) {
    this.durable = options.durability !== 'normal' && file !== ':memory:'
    this.lockWait = options.lockWait ?? DEFAULT_LOCK_WAIT_MS
    try {
      this.db = new Database(file)
      this.db.pragma('journal_mode = WAL')
      this.db.pragma('synchronous = NORMAL')
      this.db.pragma('foreign_keys = ON')
      // better-sqlite3 is synchronous: SQLite's own busy wait would block the event loop for every client while
      // another process holds the lock (an external `BEGIN EXCLUSIVE` stalled every write for the whole timeout).
      // The store waits for locks itself instead, off the event loop (`attempt`).
      this.db.pragma('busy_timeout = 0')
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

  /**
   * Runs `op`; while another process holds a lock it needs (`SQLITE_BUSY`, which leaves nothing done), retries
   * from timers, never blocking the event loop, for up to `lockWait` — or not at all once a write has given up
   * (`locked`) — then fails with `STORE_UNAVAILABLE`. Fail closed, and resume by itself: the first write that
   * gets through clears `locked`.
   */
  private async attempt<T>(op: () => T, write: boolean): Promise<T> {
    const deadline = performance.now() + (this.locked ? 0 : this.lockWait)
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        const result = op()
        if (write) this.locked = false
        return result
      } catch (cause) {
        if (cause instanceof WardenError) throw cause
        if (!isBusy(cause)) throw translateSqliteError(cause)
        if (performance.now() >= deadline) {
          if (write) this.locked = true
          throw new WardenError('STORE_UNAVAILABLE', 'the store is locked by another process', { cause })
        }
      }
      await sleep(delay)
    }
  }

  /** Waits for any open transaction; then runs `op` (synchronously, unless it must wait for a lock). */
  private async outside<T>(op: () => T, write = false): Promise<T> {
    if (this.inTransaction) await this.queue.catch(() => undefined)
    while (this.inTransaction) await this.queue.catch(() => undefined)
    return this.attempt(op, write)
  }

  run(sql: string, params: readonly SqlValue[] = [], options: WriteOptions = {}): Promise<number> {
    return this.outside(() => {
      if (this.lost) throw this.lost
      const changes = this.prepare(sql).run(...params).changes
      // A DML statement that changed no row wrote nothing to make durable: no flush (the outbox poll's UPDATE, each
      // second, otherwise blocked the event loop on an fdatasync of every other write in the WAL).
      if (!options.relaxed && (changes > 0 || this.writtenBy(sql) === null)) this.syncNow()
      if (changes > 0) this.committed(this.noteWrite(sql, new Set()))
      return changes
    }, true)
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.outside(() => {
      const row = this.prepare(sql).get(...params) as T | undefined
      this.readWrote(sql)
      return row
    })
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.outside(() => {
      const rows = this.prepare(sql).all(...params) as T[]
      this.readWrote(sql)
      return rows
    })
  }

  values(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    return this.outside(() => this.prepareRaw(sql).all(...params) as unknown[][])
  }

  transaction<T>(work: (tx: Store) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.lost) throw this.lost
      const tx: Store = {
        dialect: 'sqlite',
        run: async (sql, params = []) =>
          this.exec(() => {
            const changes = this.prepare(sql).run(...params).changes
            if (changes > 0 && this.written) this.written = this.noteWrite(sql, this.written)
            return changes
          }),
        get: async <R>(sql: string, params: readonly SqlValue[] = []) =>
          this.exec(() => {
            this.noteReturning(sql)
            return this.prepare(sql).get(...params) as R | undefined
          }),
        all: async <R>(sql: string, params: readonly SqlValue[] = []) =>
          this.exec(() => {
            this.noteReturning(sql)
            return this.prepare(sql).all(...params) as R[]
          }),
        values: async (sql, params = []) =>
          this.exec(() => {
            this.noteReturning(sql)
            return this.prepareRaw(sql).all(...params) as unknown[][]
          }),
        transaction: (inner) => inner(tx),
        flush: () => this.flush(),
        close: async () => {},
      }
      try {
        // Inside the try: a BEGIN that fails (busy, closed) must still end the transaction's hold on the queue.
        // Taking the write lock may wait for another process (`attempt`); plain reads go on meanwhile.
        await this.attempt(() => {
          if (this.closed) throw new WardenError('STORE_UNAVAILABLE', 'the store is closed')
          this.db.exec('BEGIN IMMEDIATE')
        }, true)
        this.inTransaction = true
        this.written = new Set()
        const result = await work(tx)
        this.exec(() => this.db.exec('COMMIT'))
        const written = this.written
        this.written = undefined
        if (written === undefined || written.size > 0) this.committed(written)
        // A deferred flush: the commit has reached the WAL file only; `flush()` makes it durable. A failed sync
        // throws after the commit: the caller hears the write may not survive a power loss (it is visible now).
        if (options.flush !== 'later') this.syncNow()
        return result
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
        throw error
      } finally {
        this.inTransaction = false
        this.written = undefined
      }
    }
    const next = this.queue.catch(() => undefined).then(run)
    this.queue = next
    return next
  }

  /**
   * Calls `listener` after each commit of this connection that changed rows, with the tables it wrote, and from
   * `checkExternal` when another connection (another process on the same file) committed anything.
   */
  onChange(listener: (change: StoreChange) => void): void {
    this.changeListeners.push(listener)
  }

  /**
   * Looks, synchronously, for commits of other connections since the last look (SQLite's `data_version`);
   * reports them as a change that cannot be named. True when there were some.
   */
  checkExternal(): boolean {
    if (this.closed) return false
    // INVARIANT: a look covers every request served until the current run of callbacks and their microtasks ends
    // (the next tick clears it): each of them arrived (an I/O callback) before that run began, so before the look,
    // and sees what other processes committed before it arrived. A request arriving later runs in a later callback
    // and looks again. Not once per event-loop turn: a turn runs many callbacks, and a request read by a later one
    // would miss a commit made after the first. A commit of any connection of this process looks again at once.
    if (this.looked === processCommits) return false
    this.looked = processCommits
    process.nextTick(() => {
      this.looked = undefined
    })
    this.dataVersion ??= this.db.prepare('PRAGMA data_version').pluck()
    const version = this.dataVersion.get() as number
    if (version === this.lastDataVersion) return false
    const first = this.lastDataVersion === 0
    this.lastDataVersion = version
    if (!first) this.committed(undefined)
    return !first
  }

  /** Adds the table `sql` writes to `tables`; a statement that names none makes the change unnameable. */
  private noteWrite(sql: string, tables: Set<string>): Set<string> | undefined {
    const table = this.writtenBy(sql)
    if (table === null) return undefined
    tables.add(table)
    return tables
  }

  /** The table a statement writes: its name, or null for a statement that does not name one as DML does. */
  private writtenBy(sql: string): string | null {
    let table = this.tableOf.get(sql)
    if (table === undefined) {
      table = WRITTEN_TABLE.exec(sql)?.[1]?.toLowerCase() ?? null
      this.tableOf.set(sql, table)
    }
    return table
  }

  /** A query inside a transaction that writes (`… RETURNING`) counts as a write of its table. */
  private noteReturning(sql: string): void {
    const table = this.writtenBy(sql)
    if (table !== null) this.written?.add(table)
  }

  /** A query outside a transaction that wrote (`… RETURNING`): a commit of its own. */
  private readWrote(sql: string): void {
    const table = this.writtenBy(sql)
    if (table !== null) this.committed(new Set([table]))
  }

  private committed(change: StoreChange): void {
    processCommits += 1
    for (const listener of this.changeListeners) listener(change)
  }

  /** Syncs the WAL file from the thread pool; flushes are coalesced and complete in order. */
  readonly flush = coalescedFlush(() => {
    if (this.closed) return Promise.reject(new WardenError('STORE_UNAVAILABLE', 'the store is closed'))
    return this.durable ? this.syncLater() : Promise.resolve()
  })

  /** Syncs the WAL file before returning: the last commit is on disk (durability `full`). */
  private syncNow(): void {
    if (!this.durable) return
    if (this.lost) throw this.lost
    try {
      fdatasyncSync(this.walFile())
    } catch (cause) {
      throw this.syncFailed(cause)
    }
  }

  private syncLater(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.lost) return reject(this.lost)
      let fd: number
      try {
        fd = this.walFile()
      } catch (cause) {
        return reject(this.syncFailed(cause))
      }
      fdatasync(fd, (cause) => (cause ? reject(this.syncFailed(cause)) : resolve()))
    })
  }

  private walFile(): number {
    this.wal ??= openSync(`${this.file}-wal`, 'r')
    return this.wal
  }

  private syncFailed(cause: unknown): WardenError {
    this.lost ??= new WardenError(
      'STORE_UNAVAILABLE',
      'the store could not flush its log to disk: writes are refused until Warden restarts',
      { cause },
    )
    return this.lost
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.queue.catch(() => undefined)
    await this.flush().catch(() => undefined)
    if (this.wal !== undefined) closeSync(this.wal)
    this.wal = undefined
    this.closed = true
    this.db.pragma('wal_checkpoint(TRUNCATE)')
    this.db.close()
  }
}

function translateSqliteError(cause: unknown): Error {
  const code = (cause as { code?: string }).code ?? ''
  if (isBusy(cause))
    return new WardenError('STORE_UNAVAILABLE', 'the store is locked by another process', { cause })
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
