import type { Tier } from '../identity/index.js'
import { type Clock, WardenError } from '../kernel/index.js'
import type { Store } from '../store/index.js'

/** What a task declared when it opened. */
export interface Intent {
  purpose: string
  /** The principal's request, verbatim. */
  prompt?: string | undefined
  tools?: string[] | undefined
  resources?: string[] | undefined
  dataClasses?: string[] | undefined
  /** Milliseconds. */
  maxDuration?: number | undefined
}

/** The RFC 8693 §4.1 actor chain: the current actor, with prior actors nested. */
export interface ActorChain {
  sub: string
  act?: ActorChain
}

/** One unit of work an instance opened; credentials live and die with it. */
export interface Task {
  id: string
  agent: string
  instanceId: string
  /** The SPIFFE ID of the instance acting in this task. */
  spiffeId: string
  /** The SPIFFE ID on whose authority the task runs: the root task's instance (`sub` of every token in the tree). */
  principal: string
  parent: string | null
  /** Ancestor ids from the root, `/root/child/…/id`; a prefix match finds every descendant. */
  path: string
  depth: number
  tier: Tier
  scope: string[]
  intent: Intent
  intentDigest: string
  act: ActorChain | null
  status: 'open' | 'closed'
  closeReason: string | null
  openedAt: number
  /** The task's end: opened + max duration (a child never ends after its parent). */
  expiresAt: number
  closedAt: number | null
}

interface TaskRow {
  id: string
  agent: string
  instance_id: string
  spiffe_id: string
  principal: string
  parent: string | null
  path: string
  depth: number
  tier: Tier
  scope: string
  intent: string
  intent_digest: string
  act: string | null
  status: Task['status']
  close_reason: string | null
  opened_at: number
  expires_at: number
  closed_at: number | null
}

function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    agent: row.agent,
    instanceId: row.instance_id,
    spiffeId: row.spiffe_id,
    principal: row.principal,
    parent: row.parent,
    path: row.path,
    depth: row.depth,
    tier: row.tier,
    scope: JSON.parse(row.scope) as string[],
    intent: JSON.parse(row.intent) as Intent,
    intentDigest: row.intent_digest,
    act: row.act ? (JSON.parse(row.act) as ActorChain) : null,
    status: row.status,
    closeReason: row.close_reason,
    openedAt: row.opened_at,
    expiresAt: row.expires_at,
    closedAt: row.closed_at,
  }
}

/**
 * A task's standing as of now: the only fields of a task, its instance and its agent that change — and those of
 * every task above it, since a delegated token stands only while the whole delegation path does.
 */
export interface TaskStanding {
  status: Task['status']
  closeReason: string | null
  closedAt: number | null
  instanceStatus: 'active' | 'quarantined'
  agentStatus: 'active' | 'disabled'
  /** The first task on the path (root first) whose instance is quarantined or whose agent is disabled. */
  blockedBy: { task: string; instance: string; agent: string } | null
}

export type NewTask = Omit<Task, 'status' | 'closeReason' | 'closedAt' | 'openedAt'>

/** Durable task state: open, closed (with the reason), and the delegation tree. */
export class TaskRegistry {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(task: NewTask): Promise<Task> {
    await this.store.run(
      `INSERT INTO tasks (id, agent, instance_id, spiffe_id, principal, parent, path, depth, tier, scope, intent,
         intent_digest, act, status, opened_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
      [
        task.id,
        task.agent,
        task.instanceId,
        task.spiffeId,
        task.principal,
        task.parent,
        task.path,
        task.depth,
        task.tier,
        JSON.stringify(task.scope),
        JSON.stringify(task.intent),
        task.intentDigest,
        task.act ? JSON.stringify(task.act) : null,
        this.clock.now(),
        task.expiresAt,
      ],
    )
    return this.require(task.id)
  }

  async get(id: string): Promise<Task | undefined> {
    const row = await this.store.get<TaskRow>(`SELECT * FROM tasks WHERE id = ?`, [id])
    return row && toTask(row)
  }

  /**
   * What can change about a task after it opened, with the standing of its instance and agent and of every
   * ancestor's (the ids in its `path`): one indexed read, for a caller that holds the rest (a re-check on every
   * request of a session). Undefined for no such task.
   */
  async standing(task: Pick<Task, 'id' | 'path'>): Promise<TaskStanding | undefined> {
    const ids = task.path.split('/').filter(Boolean)
    if (!ids.includes(task.id)) ids.push(task.id)
    const rows = await this.store.all<{
      id: string
      depth: number
      status: Task['status']
      close_reason: string | null
      closed_at: number | null
      instance_id: string
      agent: string
      instance_status: 'active' | 'quarantined'
      agent_status: 'active' | 'disabled'
    }>(
      `SELECT t.id, t.depth, t.status, t.close_reason, t.closed_at, t.instance_id, t.agent,
              i.status AS instance_status, a.status AS agent_status
         FROM tasks t JOIN instances i ON i.id = t.instance_id JOIN agents a ON a.name = t.agent
        WHERE t.id IN (${ids.map(() => '?').join(', ')}) ORDER BY t.depth`,
      ids,
    )
    const own = rows.find((row) => row.id === task.id)
    if (!own) return undefined
    // INVARIANT: a path the store no longer holds in full does not stand (fail closed).
    const blocked =
      rows.length < ids.length
        ? own
        : rows.find((row) => row.instance_status !== 'active' || row.agent_status !== 'active')
    return {
      status: own.status,
      closeReason: own.close_reason,
      closedAt: own.closed_at,
      instanceStatus: blocked && blocked.instance_status !== 'active' ? 'quarantined' : own.instance_status,
      agentStatus:
        blocked && (blocked.agent_status !== 'active' || rows.length < ids.length)
          ? 'disabled'
          : own.agent_status,
      blockedBy: blocked ? { task: blocked.id, instance: blocked.instance_id, agent: blocked.agent } : null,
    }
  }

  /** The task; throws `TASK_NOT_FOUND`. */
  async require(id: string): Promise<Task> {
    const task = await this.get(id)
    if (!task) throw new WardenError('TASK_NOT_FOUND', `no task \`${id}\``)
    return task
  }

  /** Tasks, newest first, optionally filtered. */
  async list(
    filter: { agent?: string | undefined; status?: Task['status'] | undefined; limit?: number } = {},
  ): Promise<Task[]> {
    const rows = await this.store.all<TaskRow>(
      `SELECT * FROM tasks WHERE (CAST(? AS TEXT) IS NULL OR agent = ?) AND (CAST(? AS TEXT) IS NULL OR status = ?)
       ORDER BY opened_at DESC, id LIMIT ?`,
      [
        filter.agent ?? null,
        filter.agent ?? null,
        filter.status ?? null,
        filter.status ?? null,
        filter.limit ?? 100,
      ],
    )
    return rows.map(toTask)
  }

  /**
   * Closes a task and every open descendant in one statement; returns the tasks that were open and are now
   * closed (the task itself first when it was open).
   */
  async closeTree(task: Task, reason: string): Promise<Task[]> {
    return this.store.transaction(async (tx) => {
      const rows = await tx.all<TaskRow>(
        `SELECT * FROM tasks WHERE status = 'open' AND (id = ? OR path LIKE ?) ORDER BY depth`,
        [task.id, `${task.path}/%`],
      )
      const now = this.clock.now()
      for (const row of rows) {
        await tx.run(
          `UPDATE tasks SET status = 'closed', close_reason = ?, closed_at = ? WHERE id = ? AND status = 'open'`,
          [row.id === task.id ? reason : `ancestor \`${task.id}\` closed: ${reason}`, now, row.id],
        )
      }
      return rows.map((row) => ({ ...toTask(row), status: 'closed' as const, closedAt: now }))
    })
  }

  /** Open tasks whose maximum duration has passed. */
  async overdue(): Promise<Task[]> {
    const rows = await this.store.all<TaskRow>(
      `SELECT * FROM tasks WHERE status = 'open' AND expires_at <= ?`,
      [this.clock.now()],
    )
    return rows.map(toTask)
  }
}
