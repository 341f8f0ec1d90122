import { hash as digest } from 'node:crypto'
import { type Clock, type IdSource, type Logger, WardenError } from '../kernel/index.js'
import type { SqlValue, Store } from '../store/index.js'
import {
  type ActivityEventV1,
  type ActivityInput,
  type ActivityKind,
  GENESIS_HASH,
} from './activity-event.js'
import type { Checkpoint, CheckpointSigner } from './checkpoint-key.js'
import { redactToText } from './redact.js'

/** A stored chain row: the event's fields, with `body` and `redacted` kept as their canonical JSON text. */
export interface ChainRow {
  v: number
  seq: number
  id: string
  ts: number
  task: string | null
  agent: string | null
  kind: string
  prev: string
  hash: string
  body: string
  redacted: string
}

const ROW_COLUMNS = 'v, seq, id, ts, task, agent, kind, prev, hash, body, redacted'
const ROW_PLACEHOLDERS = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
const ROW_WIDTH = 11
/** Rows per INSERT statement (11 values each; SQLite allows 32,766 and PostgreSQL 65,535 per statement). */
const INSERT_ROWS = 64
/** The INSERT of `n` rows, built once per `n` (the store keys its prepared statements by text). */
const INSERTS: string[] = []
function insertRows(n: number): string {
  INSERTS[n] ??=
    `INSERT INTO chain_events (${ROW_COLUMNS}) VALUES ${Array(n).fill(ROW_PLACEHOLDERS).join(', ')}`
  return INSERTS[n]
}

/** Builds rows from positional values (the store's bulk-read path; 2x cheaper than driver-built objects). */
function toRow(values: unknown[]): ChainRow {
  const [v, seq, id, ts, task, agent, kind, prev, hash, body, redacted] = values
  return { v, seq, id, ts, task, agent, kind, prev, hash, body, redacted } as ChainRow
}

/**
 * The canonical JSON (sorted keys) of an event without its `hash`, assembled from the stored text so that
 * verification never re-serialises the body. Equal to `canonicalJson(event minus hash)`.
 */
export function hashInput(row: Omit<ChainRow, 'hash'>): string {
  const q = JSON.stringify
  return `{"agent":${q(row.agent)},"body":${row.body},"id":${q(row.id)},"kind":${q(row.kind)},"prev":${q(row.prev)},"redacted":${row.redacted},"seq":${row.seq},"task":${q(row.task)},"ts":${row.ts},"v":${row.v}}`
}

/** SHA-256 over the canonical JSON of the event; `prev` inside it links the record to its predecessor. */
export function eventHash(row: Omit<ChainRow, 'hash'>): string {
  return digest('sha256', hashInput(row), 'hex')
}

/** Filters for chain queries; `agent` matches a SPIFFE ID or any ID below it (an agent's instances). */
export interface ChainQuery {
  task?: string | undefined
  agent?: string | undefined
  kind?: ActivityKind | undefined
  since?: number | undefined
  until?: number | undefined
  /** Only records with `seq` greater than this (pagination cursor). */
  after?: number | undefined
  limit?: number | undefined
}

export interface ActivityChainOptions {
  /** Sign a checkpoint after this many new records. */
  checkpointEvery: number
  /** Most records committed in one transaction. */
  maxBatch: number
  /**
   * A checkpoint of an unchanged head is signed again (with a fresh `ts`) once the last is this old, so a running
   * deployment's newest checkpoint is always recent, and a store rolled back to a backup shows its age.
   */
  resignAfter?: number
}

/** A promise with its settle functions (Node 20 has no `Promise.withResolvers`). */
interface Settable<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

function settable<T>(): Settable<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Handled here as well: a caller that waits for one stage only must not leave the other unhandled.
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

interface Pending {
  /** The row to store; `seq` and `prev` are set when its commit places it. */
  row: Omit<ChainRow, 'hash'>
  event: Omit<ActivityEventV1, 'seq' | 'prev' | 'hash'>
  /** Committed: visible to reads, and it survives a crash of this process. */
  committed: Settable<ActivityEventV1>
  /** On stable storage: it survives a power loss too. */
  onDisk: Settable<ActivityEventV1>
}

/** How long an append may wait for its commit. */
export interface AppendOptions {
  /**
   * `disk` (default): resolve once the record is on stable storage. `commit`: once it is committed, before its
   * disk flush, for a caller that waits for the flush later (`onDisk()`) while doing other work.
   */
  until?: 'commit' | 'disk'
  /**
   * The record need not be committed at once: it joins the next commit, or commits `LAZY_MS` later. For records
   * nobody waits for (a forwarded call's result), so that they share the next decision's disk flush instead of
   * adding one of their own. Reads on this node still see it at once.
   */
  lazy?: boolean
}

/** The longest a lazy append waits for a commit to join. */
const LAZY_MS = 10

/** Reads the chain: queries, raw rows for verification and export, checkpoints. Needs no key. */
export class ChainReader {
  constructor(protected readonly store: Store) {}

  /** The head: the last record's seq and hash. */
  async head(): Promise<{ seq: number; hash: string }> {
    return (
      (await this.store.get<{ seq: number; hash: string }>(
        `SELECT seq, hash FROM chain_head WHERE id = 1`,
      )) ?? {
        seq: 0,
        hash: GENESIS_HASH,
      }
    )
  }

  /** Records matching `query`, in chain order, at most `limit` (default 100, max 10,000). */
  async query(query: ChainQuery = {}): Promise<ActivityEventV1[]> {
    const where: string[] = []
    const params: SqlValue[] = []
    if (query.task !== undefined) {
      where.push('task = ?')
      params.push(query.task)
    }
    if (query.agent !== undefined) {
      where.push(`(agent = ? OR agent LIKE ? ESCAPE '\\')`)
      params.push(query.agent, `${query.agent.replace(/[%_\\]/g, '\\$&')}/%`)
    }
    if (query.kind !== undefined) {
      where.push('kind = ?')
      params.push(query.kind)
    }
    if (query.since !== undefined) {
      where.push('ts >= ?')
      params.push(query.since)
    }
    if (query.until !== undefined) {
      where.push('ts < ?')
      params.push(query.until)
    }
    if (query.after !== undefined) {
      where.push('seq > ?')
      params.push(query.after)
    }
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 10_000)
    const sql = `SELECT ${ROW_COLUMNS} FROM chain_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq LIMIT ${limit}`
    const rows = (await this.store.values(sql, params)).map(toRow)
    return rows.map(toEvent)
  }

  /** Stored rows from `fromSeq` on, `limit` at a time, for verification and export. */
  async rows(fromSeq: number, limit: number): Promise<ChainRow[]> {
    const rows = await this.store.values(
      `SELECT ${ROW_COLUMNS} FROM chain_events WHERE seq >= ? ORDER BY seq LIMIT ?`,
      [fromSeq, limit],
    )
    return rows.map(toRow)
  }

  /** Every checkpoint, by seq. */
  async checkpoints(): Promise<Checkpoint[]> {
    return this.store.all<Checkpoint>(
      `SELECT seq, hash, ts, kid, signature FROM chain_checkpoints ORDER BY seq`,
    )
  }
}

/**
 * The activity chain: one append-only, hash-chained log per deployment. Appends are group-committed: every
 * append waiting when a commit starts goes into the same transaction, and each promise resolves only once its
 * record is on disk. The head lives in the store (`chain_head`), read under the transaction's lock, so several
 * Warden nodes on one PostgreSQL extend one chain.
 */
export class ActivityChain extends ChainReader {
  private pending: Pending[] = []
  private running: Promise<void> | undefined
  private lazyTimer: NodeJS.Timeout | undefined
  /** The most recent append, for `settled` and `onDisk`. */
  private last: Pending | undefined
  private readonly listeners: Array<(events: readonly ActivityEventV1[]) => void> = []
  private annotator: ((input: ActivityInput) => Record<string, unknown> | undefined) | undefined
  private readonly checkpointListeners: Array<(checkpoint: Checkpoint) => void> = []
  /** The checkpoint the transaction under way signed, announced once it commits. */
  private signed: Checkpoint | undefined

  constructor(
    store: Store,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly signer: CheckpointSigner,
    private readonly logger: Logger,
    private readonly options: ActivityChainOptions,
  ) {
    super(store)
  }

  /** The public key (PEM) that verifies this deployment's checkpoints. */
  get publicKeyPem(): string {
    return this.signer.publicKeyPem
  }

  /**
   * Appends one event; resolves with the stored record once it is durable (or only committed, with
   * `until: 'commit'`). Credentials are redacted first.
   */
  append(input: ActivityInput, options: AppendOptions = {}): Promise<ActivityEventV1> {
    const extra = this.annotator?.(input)
    // Redacted and written as canonical JSON in one walk; the body is copied only where something was redacted.
    const { body, redacted, text } = redactToText(extra ? { ...input.body, ...extra } : input.body)
    const event = {
      v: 1 as const,
      id: this.ids.id(),
      ts: this.clock.now(),
      task: input.task ?? null,
      agent: input.agent ?? null,
      kind: input.kind,
      body,
      redacted,
    }
    const row = {
      v: event.v,
      seq: 0,
      id: event.id,
      ts: event.ts,
      task: event.task,
      agent: event.agent,
      kind: event.kind,
      prev: '',
      body: text,
      redacted: JSON.stringify(redacted),
    }
    const item: Pending = { row, event, committed: settable(), onDisk: settable() }
    this.pending.push(item)
    this.last = item
    if (!options.lazy) this.schedule()
    else this.lazyTimer ??= setTimeout(() => this.schedule(), LAZY_MS)
    return options.until === 'commit' ? item.committed.promise : item.onDisk.promise
  }

  /**
   * Resolves once every append made before the call has been committed (or has failed). Appends commit in order,
   * so that is the last one's promise — later appends, however many, do not hold the caller.
   */
  async settled(): Promise<void> {
    if (this.pending.length > 0) this.schedule()
    await this.last?.committed.promise.catch(() => undefined)
  }

  /** Starts a commit of what is pending. setImmediate lets every append of this turn join the same commit. */
  private schedule(): void {
    clearTimeout(this.lazyTimer)
    this.lazyTimer = undefined
    this.running ??= new Promise<void>((done) => setImmediate(done)).then(() => this.drain())
  }

  /**
   * Resolves once every append made before the call is on stable storage; rejects if the last of them could not
   * be stored or flushed (commits and flushes complete in order, so the last one covers the others).
   */
  async onDisk(): Promise<void> {
    if (this.pending.length > 0) this.schedule()
    await this.last?.onDisk.promise
  }

  // Reads on this node see its own appends, including those still waiting for their group commit.
  override async head(): Promise<{ seq: number; hash: string }> {
    await this.settled()
    return super.head()
  }

  override async query(query: ChainQuery = {}): Promise<ActivityEventV1[]> {
    await this.settled()
    return super.query(query)
  }

  override async rows(fromSeq: number, limit: number): Promise<ChainRow[]> {
    await this.settled()
    return super.rows(fromSeq, limit)
  }

  /**
   * Fields added to the body of each record before it is hashed (the HTTP request id of a call); `annotate`
   * returns undefined to add nothing.
   */
  annotateWith(annotate: (input: ActivityInput) => Record<string, unknown> | undefined): void {
    this.annotator = annotate
  }

  /** Calls `listener` with each checkpoint once it is committed (witnesses outside the store). */
  onCheckpoint(listener: (checkpoint: Checkpoint) => void): void {
    this.checkpointListeners.push(listener)
  }

  private announce(checkpoint: Checkpoint | undefined): void {
    if (!checkpoint) return
    for (const listener of this.checkpointListeners) {
      try {
        listener(checkpoint)
      } catch (error) {
        this.logger.error('checkpoint listener failed', { error: String(error) })
      }
    }
  }

  /** Calls `listener` with each committed batch, in order (exporters, behaviour). */
  onAppend(listener: (events: readonly ActivityEventV1[]) => void): void {
    this.listeners.push(listener)
  }

  /**
   * Commits the pending appends in batches. A batch's disk flush runs off the event loop while the next batch
   * commits; flushes complete in order, each covering every commit before it.
   */
  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.options.maxBatch)
        let events: ActivityEventV1[]
        try {
          this.signed = undefined
          events = await this.store.transaction((tx) => this.commit(tx, batch), { flush: 'later' })
        } catch (cause) {
          const error = this.failure('the activity chain could not be written', cause)
          this.logger.error('chain append failed', { count: batch.length, code: error.code })
          for (const item of batch) {
            item.committed.reject(error)
            item.onDisk.reject(error)
          }
          continue
        }
        for (const [i, item] of batch.entries()) item.committed.resolve(events[i] as ActivityEventV1)
        this.announce(this.signed)
        this.signed = undefined
        this.store.flush().then(
          () => {
            for (const [i, item] of batch.entries()) item.onDisk.resolve(events[i] as ActivityEventV1)
          },
          (cause: unknown) => {
            const error = this.failure('the activity chain could not be flushed to disk', cause)
            this.logger.error('chain flush failed', { count: batch.length, code: error.code })
            for (const item of batch) item.onDisk.reject(error)
          },
        )
        for (const listener of this.listeners) {
          try {
            listener(events)
          } catch (error) {
            this.logger.error('chain listener failed', { error: String(error) })
          }
        }
      }
    } finally {
      this.running = undefined
    }
  }

  private failure(message: string, cause: unknown): WardenError {
    return cause instanceof WardenError ? cause : new WardenError('STORE_UNAVAILABLE', message, { cause })
  }

  private async commit(tx: Store, batch: readonly Pending[]): Promise<ActivityEventV1[]> {
    const head = await this.lockHead(tx)
    let { seq, hash } = head
    const events: ActivityEventV1[] = []
    const values: SqlValue[] = []
    for (const item of batch) {
      const prev = hash
      seq += 1
      const r = item.row
      r.seq = seq
      r.prev = prev
      hash = eventHash(r)
      values.push(r.v, seq, r.id, r.ts, r.task, r.agent, r.kind, prev, hash, r.body, r.redacted)
      // Built field by field: an object spread of the pending event was a tenth of this commit's time.
      const e = item.event
      events.push({
        v: e.v,
        id: e.id,
        ts: e.ts,
        task: e.task,
        agent: e.agent,
        kind: e.kind,
        body: e.body,
        redacted: e.redacted,
        seq,
        prev,
        hash,
      })
    }
    // Several rows per statement: one round trip to PostgreSQL for up to INSERT_ROWS records, not one each.
    const width = ROW_WIDTH * INSERT_ROWS
    for (let i = 0; i < values.length; i += width) {
      const rows = i === 0 && values.length <= width ? values : values.slice(i, i + width)
      await tx.run(insertRows(rows.length / ROW_WIDTH), rows)
    }
    // The head moves, and says in the same round trip where the last checkpoint is.
    const last = await tx.get<{ seq: number | null }>(
      `UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1 RETURNING (SELECT MAX(seq) FROM chain_checkpoints) AS seq`,
      [seq, hash],
    )
    if (seq - (last?.seq ?? 0) >= this.options.checkpointEvery)
      this.signed = await this.insertCheckpoint(tx, seq, hash)
    return events
  }

  private async lockHead(tx: Store): Promise<{ seq: number; hash: string }> {
    // SQLite's BEGIN IMMEDIATE already holds the write lock; PostgreSQL needs the row lock.
    const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : ''
    const head = await tx.get<{ seq: number; hash: string }>(
      `SELECT seq, hash FROM chain_head WHERE id = 1${lock}`,
    )
    return head ?? { seq: 0, hash: GENESIS_HASH }
  }

  private async insertCheckpoint(tx: Store, seq: number, hash: string): Promise<Checkpoint> {
    const cp = this.signer.sign({ seq, hash, ts: this.clock.now() })
    await tx.run(
      `INSERT INTO chain_checkpoints (seq, hash, ts, kid, signature) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [cp.seq, cp.hash, cp.ts, cp.kid, cp.signature],
    )
    return cp
  }

  /**
   * Waits for every pending append, then signs a checkpoint of the head if it moved since the last one — or, when
   * it did not, signs the last again with a fresh `ts` once `resignAfter` has passed.
   */
  async checkpoint(): Promise<Checkpoint | undefined> {
    await this.settled()
    const signed = await this.store.transaction(async (tx) => {
      const head = await this.lockHead(tx)
      const last = await tx.get<{ seq: number; ts: number }>(
        `SELECT seq, ts FROM chain_checkpoints ORDER BY seq DESC LIMIT 1`,
      )
      if (head.seq === 0) return undefined
      if (head.seq !== last?.seq) return this.insertCheckpoint(tx, head.seq, head.hash)
      const resignAfter = this.options.resignAfter
      if (resignAfter === undefined || this.clock.now() - last.ts < resignAfter) return undefined
      const cp = this.signer.sign({ seq: head.seq, hash: head.hash, ts: this.clock.now() })
      await tx.run(`UPDATE chain_checkpoints SET ts = ?, kid = ?, signature = ? WHERE seq = ?`, [
        cp.ts,
        cp.kid,
        cp.signature,
        cp.seq,
      ])
      return cp
    })
    this.announce(signed)
    return signed
  }
}

/** The event a row stores. */
export function toEvent(row: ChainRow): ActivityEventV1 {
  return {
    v: 1,
    seq: row.seq,
    id: row.id,
    ts: row.ts,
    task: row.task,
    agent: row.agent,
    kind: row.kind as ActivityKind,
    body: JSON.parse(row.body) as Record<string, unknown>,
    redacted: JSON.parse(row.redacted) as string[],
    prev: row.prev,
    hash: row.hash,
  }
}
