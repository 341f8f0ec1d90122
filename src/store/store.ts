/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | bigint | null | Uint8Array

/** How durable a write must be before it is acknowledged. */
export interface WriteOptions {
  /**
   * Acknowledge once the write survives a process crash, without waiting for the disk flush (it may be lost
   * on power loss): SQLite `synchronous=NORMAL`, PostgreSQL `synchronous_commit=off`. For short-lived,
   * high-rate records such as proof `jti`s; never for the activity chain.
   */
  relaxed?: boolean
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
  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T>
  /** Flushes and closes; later calls fail with `STORE_UNAVAILABLE`. */
  close(): Promise<void>
}
