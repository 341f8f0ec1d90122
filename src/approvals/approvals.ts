import { EventEmitter } from 'node:events'
import type { ActivityChain } from '../chain/index.js'
import { type Clock, type IdSource, type Logger, WardenError } from '../kernel/index.js'
import type { Store } from '../store/index.js'
import { type ArgumentSensitivity, showArguments } from './approval-arguments.js'

/** A human's answer to an escalation, bound to one exact call. */
export interface Approval {
  id: string
  task: string
  /** The instance's SPIFFE ID. */
  agent: string
  owner: string
  server: string | null
  tool: string | null
  /** SHA-256 over task, tool definition digest and arguments: the exact call the approval is for. */
  callDigest: string
  decisionId: string
  /** The exact arguments, redacted for the approver (`showArguments`); null on requests older than version 7. */
  arguments: Record<string, unknown> | null
  /** JSON pointers (into `arguments`) of the values hidden from the approver. */
  redacted: string[]
  /** The tool's sensitivity label when the request was made. */
  sensitivity: ArgumentSensitivity
  /** Why the call was held: the policies that escalated it. */
  reasons: string[]
  /** The behaviour signals the decision saw. */
  signals: Array<{ kind: string; severity: string; evidence: number[] }>
  status: 'pending' | 'approved' | 'denied' | 'expired' | 'used'
  createdAt: number
  expiresAt: number
  decidedAt: number | null
  decidedBy: string | null
  /** The answering person's reason, when they gave one. */
  answerReason: string | null
}

interface ApprovalRow {
  id: string
  task: string
  agent: string
  owner: string
  server: string | null
  tool: string | null
  call_digest: string
  decision_id: string
  reasons: string
  signals: string
  status: Approval['status']
  created_at: number
  expires_at: number
  decided_at: number | null
  decided_by: string | null
  arguments: string | null
  redacted: string | null
  sensitivity: string | null
  answer_reason: string | null
}

function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    task: row.task,
    agent: row.agent,
    owner: row.owner,
    server: row.server,
    tool: row.tool,
    callDigest: row.call_digest,
    decisionId: row.decision_id,
    arguments: row.arguments === null ? null : (JSON.parse(row.arguments) as Record<string, unknown>),
    redacted: row.redacted === null ? [] : (JSON.parse(row.redacted) as string[]),
    sensitivity: row.sensitivity as ArgumentSensitivity,
    reasons: JSON.parse(row.reasons) as string[],
    signals: JSON.parse(row.signals) as Approval['signals'],
    status: row.status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    answerReason: row.answer_reason,
  }
}

/** One approval request as stored, or undefined. */
export async function readApproval(store: Store, id: string): Promise<Approval | undefined> {
  const row = await store.get<ApprovalRow>(`SELECT * FROM approvals WHERE id = ?`, [id])
  return row && toApproval(row)
}

/**
 * Tells an owner of a request. The notification is written in the request's own transaction (an outbox), so a
 * request is never committed without it; sending, retrying and logging failures are the notifier's, never the
 * caller's.
 */
export interface OwnerNotifier {
  /** Writes the notification of `approval` inside `tx` (nothing, when the owner has no channel). */
  enqueue(tx: Store, approval: Approval): Promise<void>
  /** Sends what is due, in the background (after a commit that wrote one). */
  kick(): void
}

/** A request as the pipeline makes it: the raw arguments, which are redacted before they are stored. */
export type NewApproval = Pick<
  Approval,
  | 'task'
  | 'agent'
  | 'owner'
  | 'server'
  | 'tool'
  | 'callDigest'
  | 'decisionId'
  | 'reasons'
  | 'signals'
  | 'sensitivity'
> & { args: Record<string, unknown> }

/**
 * Approval requests for escalated calls. An approval is single-use and bound to exactly one call (task, tool
 * definition, arguments); it expires. Every request, answer, use and expiry goes into the activity chain.
 */
export class Approvals {
  private readonly answered = new EventEmitter()

  constructor(
    private readonly store: Store,
    private readonly chain: ActivityChain,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly logger: Logger,
    private readonly notifier: OwnerNotifier,
    private readonly ttl: number,
    /** The values the task's leases hold (never shown in an approval's arguments). */
    private readonly heldValues: (task: string) => Promise<string[]> = async () => [],
  ) {
    this.answered.setMaxListeners(0)
  }

  /** Opens a request (or returns the pending one for the same call) and notifies the owner. */
  async request(input: NewApproval): Promise<Approval> {
    const pending = await this.store.get<ApprovalRow>(
      `SELECT * FROM approvals WHERE call_digest = ? AND status = 'pending' AND expires_at > ?`,
      [input.callDigest, this.clock.now()],
    )
    if (pending) return toApproval(pending)
    const now = this.clock.now()
    const shown = showArguments(input.args, input.sensitivity, await this.heldValues(input.task))
    const { args: _raw, ...fields } = input
    const approval: Approval = {
      ...fields,
      id: this.ids.id(),
      arguments: shown.arguments,
      redacted: shown.redacted,
      status: 'pending',
      createdAt: now,
      expiresAt: now + this.ttl,
      decidedAt: null,
      decidedBy: null,
      answerReason: null,
    }
    // The request and its notification commit together: a crash cannot leave a request no one is told of.
    await this.store.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO approvals (id, task, agent, owner, server, tool, call_digest, decision_id, arguments, redacted, sensitivity, reasons, signals, status, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        [
          approval.id,
          approval.task,
          approval.agent,
          approval.owner,
          approval.server,
          approval.tool,
          approval.callDigest,
          approval.decisionId,
          JSON.stringify(approval.arguments),
          JSON.stringify(approval.redacted),
          approval.sensitivity,
          JSON.stringify(approval.reasons),
          JSON.stringify(approval.signals),
          approval.createdAt,
          approval.expiresAt,
        ],
      )
      await this.notifier.enqueue(tx, approval)
    })
    await this.record(approval, 'requested')
    this.notifier.kick()
    return approval
  }

  get(id: string): Promise<Approval | undefined> {
    return readApproval(this.store, id)
  }

  async require(id: string): Promise<Approval> {
    const approval = await this.get(id)
    if (!approval) throw new WardenError('APPROVAL_NOT_FOUND', `no approval \`${id}\``)
    return approval
  }

  /** Requests, newest first; expired pending ones are marked expired first. */
  async list(
    filter: { status?: Approval['status'] | undefined; owner?: string | undefined } = {},
  ): Promise<Approval[]> {
    await this.expire()
    const rows = await this.store.all<ApprovalRow>(
      `SELECT * FROM approvals WHERE (CAST(? AS TEXT) IS NULL OR status = ?) AND (CAST(? AS TEXT) IS NULL OR owner = ?)
       ORDER BY created_at DESC LIMIT 500`,
      [filter.status ?? null, filter.status ?? null, filter.owner ?? null, filter.owner ?? null],
    )
    return rows.map(toApproval)
  }

  /**
   * A human's answer, with their reason if they gave one (recorded in the chain). Only a pending, unexpired
   * request can be answered.
   */
  async decide(
    id: string,
    answer: 'approved' | 'denied',
    by: string,
    reason: string | null = null,
  ): Promise<Approval> {
    await this.expire()
    const changed = await this.store.run(
      `UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, answer_reason = ? WHERE id = ? AND status = 'pending'`,
      [answer, this.clock.now(), by, reason, id],
    )
    if (changed === 0) {
      await this.require(id)
      throw new WardenError('APPROVAL_CLOSED', `approval \`${id}\` is no longer pending`)
    }
    const approval = await this.require(id)
    await this.record(approval, answer)
    this.answered.emit(id, approval)
    return approval
  }

  /** A human's refusal of exactly this call that still stands (unexpired), if any. */
  async findDenied(callDigest: string): Promise<Approval | undefined> {
    const row = await this.store.get<ApprovalRow>(
      `SELECT * FROM approvals WHERE call_digest = ? AND status = 'denied' AND expires_at > ? ORDER BY decided_at DESC LIMIT 1`,
      [callDigest, this.clock.now()],
    )
    return row && toApproval(row)
  }

  /** The approved, unused, unexpired approval for exactly this call, if any (not consumed). */
  async findApproved(callDigest: string): Promise<Approval | undefined> {
    const row = await this.store.get<ApprovalRow>(
      `SELECT * FROM approvals WHERE call_digest = ? AND status = 'approved' AND expires_at > ? ORDER BY decided_at LIMIT 1`,
      [callDigest, this.clock.now()],
    )
    return row && toApproval(row)
  }

  /**
   * Consumes the approval for exactly this call, if a human approved it and it has not expired or been used.
   * INVARIANT: the conditional update makes an approval single-use even under concurrent identical calls.
   */
  async consume(callDigest: string): Promise<Approval | undefined> {
    const row = await this.store.get<ApprovalRow>(
      `SELECT * FROM approvals WHERE call_digest = ? AND status = 'approved' AND expires_at > ? ORDER BY decided_at LIMIT 1`,
      [callDigest, this.clock.now()],
    )
    if (!row) return undefined
    const used = await this.store.run(
      `UPDATE approvals SET status = 'used' WHERE id = ? AND status = 'approved'`,
      [row.id],
    )
    if (used !== 1) return undefined
    const approval = { ...toApproval(row), status: 'used' as const }
    await this.record(approval, 'used')
    return approval
  }

  /** Waits up to `ms` for a human's answer to a request; resolves with the request as it then stands. */
  async wait(id: string, ms: number): Promise<Approval> {
    const current = await this.require(id)
    if (current.status !== 'pending') return current
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        this.answered.off(id, finish)
        resolve()
      }
      const timer = setTimeout(finish, ms)
      this.answered.once(id, finish)
    })
    return this.require(id)
  }

  /**
   * Releases the calls held on this node whose request was answered on another node sharing the store: each
   * request a call waits for is read again (called when approvals change anywhere).
   */
  async wakeAnswered(): Promise<void> {
    for (const name of this.answered.eventNames()) {
      const approval = await this.get(String(name))
      if (approval && approval.status !== 'pending') this.answered.emit(String(name), approval)
    }
  }

  /** Marks pending requests past their expiry as expired (recorded in the chain). */
  async expire(): Promise<void> {
    const rows = await this.store.all<ApprovalRow>(
      `SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= ?`,
      [this.clock.now()],
    )
    for (const row of rows) {
      const changed = await this.store.run(
        `UPDATE approvals SET status = 'expired' WHERE id = ? AND status = 'pending'`,
        [row.id],
      )
      if (changed === 1) await this.record({ ...toApproval(row), status: 'expired' }, 'expired')
    }
  }

  private async record(approval: Approval, event: string): Promise<void> {
    await this.chain.append({
      kind: 'approval',
      task: approval.task,
      agent: approval.agent,
      body: {
        approval: approval.id,
        event,
        decisionId: approval.decisionId,
        tool: approval.tool,
        server: approval.server,
        owner: approval.owner,
        by: approval.decidedBy,
        ...(event === 'approved' || event === 'denied' ? { reason: approval.answerReason } : {}),
      },
    })
    this.logger.info('approval', { approval: approval.id, event, task: approval.task })
  }
}
