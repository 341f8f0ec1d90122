/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | bigint | null | Uint8Array

/** How durable a write must be before it is acknowledged. */
export interface WriteOptions {
  /**
   * Acknowledge once the write survives a process crash, without waiting for the disk flush (it may be lost
   * on power loss): SQLite skips its WAL sync, PostgreSQL runs `synchronous_commit=off`. For short-lived,
   * high-rate records such as proof `jti`s; never for the activity chain.
   */
  relaxed?: boolean
}

/** When a transaction's commit may return. */
export interface TransactionOptions {
  /**
   * `later`: return once committed (it survives a process crash) and leave the disk flush to the next `flush()`,
   * so that the flush can run off the event loop and overlap other work. A store that cannot defer its flush
   * (PostgreSQL commits durably) ignores it. Default `now`: durable when it returns.
   */
  flush?: 'now' | 'later'
}

/**
 * The one storage port. SQL is written once with `?` placeholders in the common subset of SQLite and
 * PostgreSQL; each implementation adapts placeholders and runs it. All calls are async so that a networked
 * implementation fits behind the same interface.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres'
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[], options?: WriteOptions): Promise<number>
  /** The first row of a query, or undefined. */
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>
  /** Every row of a query. */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>
  /** Every row of a query as an array of column values in select order: the fast path for bulk reads. */
  values(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]>
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * INVARIANT: statements outside `work` never interleave with it; they wait until it ends.
   */
  transaction<T>(work: (tx: Store) => Promise<T>, options?: TransactionOptions): Promise<T>
  /**
   * Resolves once every transaction committed before the call is on stable storage (`flush: 'later'` ones
   * included); rejects if the disk refuses. Runs off the event loop.
   */
  flush(): Promise<void>
  /** Flushes and closes; later calls fail with `STORE_UNAVAILABLE`. */
  close(): Promise<void>
}
