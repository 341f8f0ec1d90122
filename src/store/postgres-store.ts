import pg from 'pg'
import { WardenError } from '../kernel/index.js'
import { coalescedFlush } from './coalesced-flush.js'
import type { SqlValue, Store, TransactionOptions } from './store.js'

const INT8_OID = 20

/** Rewrites `?` placeholders to PostgreSQL's `$1, $2, …`. SQL in Warden never has `?` inside literals. */
function toPositional(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

/** Node-postgres hands BIGINT back as strings; Warden's BIGINTs are millisecond times and counters. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>

function storeOver(
  client: Queryable,
  transaction: Store['transaction'],
  flush: Store['flush'],
  close: Store['close'],
): Store {
  const query = async <T>(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> => {
    try {
      return await client.query<T & pg.QueryResultRow>(toPositional(sql), params as unknown[])
    } catch (cause) {
      throw translatePgError(cause)
    }
  }
  return {
    dialect: 'postgres',
    run: async (sql, params = [], options = {}) => {
      if (!options.relaxed) return (await query(sql, params)).rowCount ?? 0
      return transaction(async (tx) => {
        await tx.run('SET LOCAL synchronous_commit TO OFF')
        return tx.run(sql, params)
      })
    },
    get: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      (await query<T>(sql, params)).rows[0] as T | undefined,
    all: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      (await query<T>(sql, params)).rows as T[],
    values: async (sql, params = []) => {
      try {
        const result = await client.query({
          text: toPositional(sql),
          values: params as unknown[],
          rowMode: 'array',
        })
        return result.rows as unknown[][]
      } catch (cause) {
        throw translatePgError(cause)
      }
    },
    transaction,
    flush,
    close,
  }
}

/** The scale-out store: a connection pool to PostgreSQL, optionally confined to one schema. */
export function createPostgresStore(options: { url: string; schema?: string; max?: number }): Store {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    types,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  })
  pool.on('error', () => {
    // An idle client lost its connection; the next query gets a fresh one or reports STORE_UNAVAILABLE.
  })
  const transaction = async <T>(
    work: (tx: Store) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> => {
    let client: pg.PoolClient
    try {
      client = await pool.connect()
    } catch (cause) {
      throw new WardenError('STORE_UNAVAILABLE', 'cannot connect to postgres', { cause })
    }
    const tx: Store = storeOver(
      client,
      (inner) => inner(tx),
      flush,
      async () => {},
    )
    try {
      // A deferred flush: the commit returns before its WAL is flushed (it survives a crash of Warden, not of
      // PostgreSQL's host); `flush()` makes it durable. One round trip either way.
      await client.query(options.flush === 'later' ? 'BEGIN; SET LOCAL synchronous_commit TO OFF' : 'BEGIN')
      const result = await work(tx)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }
  /**
   * A durable commit flushes the WAL up to its own commit record, so every commit before it too. Only a
   * transaction that wrote WAL before its commit waits for that flush (a bare transaction id does not: its commit
   * is asynchronous): a transactional logical message is the smallest such write, and needs no table.
   */
  const flush = coalescedFlush(async () => {
    try {
      await pool.query(`SELECT pg_logical_emit_message(true, 'warden.flush', '')`)
    } catch (cause) {
      throw new WardenError('STORE_UNAVAILABLE', 'postgres could not flush its log to disk', { cause })
    }
  })
  let closed = false
  return storeOver(pool, transaction, flush, async () => {
    if (closed) return
    closed = true
    await pool.end()
  })
}

function translatePgError(cause: unknown): Error {
  const code = (cause as { code?: string }).code ?? ''
  // Class 08: connection exception; 53: insufficient resources (disk full); 57P: operator intervention.
  if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P') || code === 'ECONNREFUSED') {
    return new WardenError('STORE_UNAVAILABLE', `postgres is unavailable (${code})`, { cause })
  }
  return cause as Error
}
