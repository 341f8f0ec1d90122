import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Logger } from '../kernel/index.js'

/** What a node hears of the changes other nodes commit to the shared store. */
export type Change =
  /** Rows of this table changed (committed): what was cached of it is stale. */
  | { kind: 'table'; table: string }
  /** The feed was down and is back: anything may have changed meanwhile. */
  | { kind: 'resync' }

/**
 * The fan-out of changes between nodes sharing a store. While `live` is false, changes may be missed: a node
 * must not trust what it cached and reads the store on every use instead (fail closed, never stale).
 */
export interface ChangeFeed {
  readonly live: boolean
  /** Calls `listener` with each change, and with `resync` each time the feed comes back. */
  onChange(listener: (change: Change) => void): void
  /**
   * Learns, synchronously, of changes no notification reaches (another process's commit to the same SQLite
   * file), and tells the listeners before it returns. A cache calls it before each use.
   */
  poll?(): void
  close(): Promise<void>
}

/** A feed with nothing to say: a store no one else writes, changes made only through what drops caches itself. */
export function soleNodeFeed(): ChangeFeed {
  return { live: true, onChange: () => {}, close: async () => {} }
}

/** What a SQLite store reports of its commits (`SqliteStore` implements it). */
export interface CommitSource {
  /** Calls `listener` after each commit with the tables it wrote, or `undefined` when they cannot be named. */
  onChange(listener: (tables: ReadonlySet<string> | undefined) => void): void
  /** Reports other connections' commits since the last call (as an unnamed change); true when there were some. */
  checkExternal(): boolean
}

/**
 * The feed of a node on its own SQLite file: this process's commits, named by table the moment they commit, and
 * other processes' commits to the same file (`warden gateway` beside `warden serve`), seen at the next `poll` as a
 * `resync` since SQLite cannot say what they changed.
 */
export function sqliteFeed(store: CommitSource): ChangeFeed {
  const listeners: Array<(change: Change) => void> = []
  const emit = (change: Change) => {
    for (const listener of listeners) listener(change)
  }
  store.onChange((tables) => {
    if (tables === undefined) emit({ kind: 'resync' })
    else for (const table of tables) emit({ kind: 'table', table })
  })
  store.checkExternal()
  return {
    live: true,
    onChange: (listener) => listeners.push(listener),
    poll: () => void store.checkExternal(),
    close: async () => {},
  }
}

export interface PostgresFeedOptions {
  url: string
  /** The schema the node's tables are in (tests confine a store to one); default: the connection's. */
  schema?: string | undefined
  /** How often the listening connection proves it still works (a silent network partition looks idle). */
  heartbeatMs?: number
  logger: Logger
}

/**
 * `LISTEN warden` on a connection of its own (the triggers of migration 6 `NOTIFY` on commit). Reconnects with
 * backoff; `live` is true only while the connection listens and its heartbeat answers in time.
 */
export class PostgresChangeFeed implements ChangeFeed {
  private client: pg.Client | undefined
  private schema = ''
  private listening = false
  private closed = false
  private retryMs = 50
  private heartbeat: NodeJS.Timeout | undefined
  private readonly listeners: Array<(change: Change) => void> = []
  /** The listening connection's `application_name` in `pg_stat_activity` (one per node). */
  readonly applicationName = `warden-feed-${randomBytes(5).toString('hex')}`

  private constructor(private readonly options: PostgresFeedOptions) {}

  /** Connects and listens; resolves once live (or rejects when the first connection fails). */
  static async open(options: PostgresFeedOptions): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(options)
    await feed.connect()
    feed.heartbeat = setInterval(() => feed.beat(), options.heartbeatMs ?? 1_000)
    feed.heartbeat.unref()
    return feed
  }

  get live(): boolean {
    return this.listening
  }

  onChange(listener: (change: Change) => void): void {
    this.listeners.push(listener)
  }

  private emit(change: Change): void {
    for (const listener of this.listeners) {
      try {
        listener(change)
      } catch (error) {
        this.options.logger.error('a change listener failed', { error: String(error) })
      }
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: this.applicationName,
      ...(this.options.schema ? { options: `-c search_path=${this.options.schema}` } : {}),
    })
    client.on('error', () => this.lost(client))
    client.on('end', () => this.lost(client))
    client.on('notification', (message) => {
      if (message.channel !== 'warden' || !message.payload) return
      const dot = message.payload.indexOf('.')
      // The channel is the database's: other schemas (other deployments, tests) notify on it too.
      if (message.payload.slice(0, dot) !== this.schema) return
      this.emit({ kind: 'table', table: message.payload.slice(dot + 1) })
    })
    try {
      await client.connect()
    } catch (error) {
      client.end().catch(() => undefined)
      throw error
    }
    this.schema =
      (await client.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? ''
    await client.query('LISTEN warden')
    if (this.closed) {
      await client.end()
      return
    }
    this.client = client
    this.listening = true
    this.retryMs = 50
  }

  /** The connection is gone: stop trusting caches, reconnect, and resync once back. */
  private lost(client: pg.Client): void {
    if (this.client !== client) return
    this.client = undefined
    this.listening = false
    client.end().catch(() => undefined)
    if (this.closed) return
    this.options.logger.warn('change feed lost: reading the store on every use until it is back', {})
    this.reconnect()
  }

  private reconnect(): void {
    const delay = this.retryMs
    this.retryMs = Math.min(this.retryMs * 2, 2_000)
    setTimeout(() => {
      if (this.closed) return
      this.connect().then(
        () => {
          if (!this.listening) return
          this.options.logger.info('change feed back', {})
          this.emit({ kind: 'resync' })
        },
        () => this.reconnect(),
      )
    }, delay).unref()
  }

  private beat(): void {
    const client = this.client
    if (!client) return
    const timeout = setTimeout(() => this.lost(client), 2_000)
    client.query('SELECT 1').then(
      () => clearTimeout(timeout),
      () => {
        clearTimeout(timeout)
        this.lost(client)
      },
    )
  }

  async close(): Promise<void> {
    this.closed = true
    this.listening = false
    clearInterval(this.heartbeat)
    const client = this.client
    this.client = undefined
    await client?.end().catch(() => undefined)
  }
}
