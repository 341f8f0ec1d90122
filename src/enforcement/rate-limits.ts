import { type Clock, WardenError } from '../kernel/index.js'
import type { Store } from '../store/index.js'

/** One limit of `limits` in warden.yaml: at most `calls` tool calls per agent, per tool or per task. */
export interface RateLimit {
  /** What is counted apart: each agent's calls, each tool's (`server/tool`, whoever calls), or each task's. */
  per: 'agent' | 'tool' | 'task'
  calls: number
  /** The window, in milliseconds; absent (only with `per: task`): a quota over the task's life. */
  window?: number | undefined
  /** Only calls of these tools count (default: every tool). */
  tools?: readonly string[] | undefined
  /** Only calls of these agents count (default: every agent). */
  agents?: readonly string[] | undefined
}

/** Calls counted so far in the current window of the first limit of each kind that applies (0: none applies). */
export interface Usage {
  agent: number
  tool: number
  task: number
}

/** The call a limit is checked against. */
export interface LimitedCall {
  agent: string
  server: string
  tool: string
  task: string
  /** When the task ends (a quota's counter is kept that long). */
  taskEnds: number
}

/**
 * Rate limits and quotas, counted in the store every node shares (fixed windows, one row per key and window):
 * a call counts against every limit that applies or against none — over any one of them it is refused with
 * when to retry, and the counters it would have taken are left as they were.
 */
export class RateLimits {
  private lastSweep = 0

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limits: readonly RateLimit[],
  ) {}

  /** True when no limit is configured (nothing to count). */
  get empty(): boolean {
    return this.limits.length === 0
  }

  /**
   * Counts the call against every limit that applies; resolves with the usage, or throws `RATE_LIMITED` with
   * `retryAfterSeconds` (absent for a quota used up for the task's life).
   */
  async take(call: LimitedCall): Promise<Usage> {
    const now = this.clock.now()
    const usage: Usage = { agent: 0, tool: 0, task: 0 }
    const seen = new Set<RateLimit['per']>()
    const applying = this.limits
      .map((limit, index) => ({ limit, index }))
      .filter(
        ({ limit }) =>
          (!limit.tools || limit.tools.includes(call.tool)) &&
          (!limit.agents || limit.agents.includes(call.agent)),
      )
    if (applying.length === 0) return usage
    this.sweep(now)
    await this.store.transaction(
      async (tx) => {
        for (const { limit, index } of applying) {
          const subject =
            limit.per === 'agent'
              ? call.agent
              : limit.per === 'tool'
                ? `${call.server}/${call.tool}`
                : call.task
          const start = limit.window ? now - (now % limit.window) : 0
          const expires = limit.window ? start + limit.window : call.taskEnds
          // One statement counts and checks: concurrent calls on any node serialise on the counter's row.
          const row = await tx.get<{ count: number }>(
            `INSERT INTO rate_counters (key, window_start, count, expires_at) VALUES (?, ?, 1, ?)
             ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
             WHERE rate_counters.count < ? RETURNING count`,
            [`${index}:${limit.per}:${subject}`, start, expires, limit.calls],
          )
          if (!row || row.count > limit.calls) {
            const retryAfterSeconds = limit.window
              ? Math.max(1, Math.ceil((expires - now) / 1000))
              : undefined
            // Thrown inside the transaction: the counters this call took before are rolled back.
            throw new WardenError(
              'RATE_LIMITED',
              `${limit.calls} calls${limit.window ? ` per ${limit.window / 1000} s` : ' per task'} per ${limit.per} used up`,
              {
                details: {
                  per: limit.per,
                  subject,
                  calls: limit.calls,
                  ...(limit.window ? { windowSeconds: limit.window / 1000 } : {}),
                  ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
                },
              },
            )
          }
          if (!seen.has(limit.per)) {
            seen.add(limit.per)
            usage[limit.per] = Number(row.count)
          }
        }
      },
      // Counters are not worth a disk flush of their own per call: they survive a crash of Warden.
      { flush: 'later' },
    )
    return usage
  }

  /** Drops counters of windows that have ended, at most once a minute. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return
    this.lastSweep = now
    this.store.run(`DELETE FROM rate_counters WHERE expires_at < ?`, [now]).catch(() => undefined)
  }
}
