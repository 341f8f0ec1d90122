import { type Clock, isWardenError, type Logger } from '../kernel/index.js'
import type { IdentityEvents } from './identity-events.js'

/** One refused attempt to authenticate, as recorded: never the credential itself. */
export interface FailedAttempt {
  /** What was presented: `task_token`, `svid`, `attestation`, `token_exchange`. */
  what: string
  /** The request the credential came with (method and URL without query), when over HTTP. */
  method?: string | undefined
  url?: string | undefined
  /** The agent or instance the attempt names, when known (an attestation's agent, a token's task). */
  agent?: string | null | undefined
  task?: string | null | undefined
}

export interface AuthFailureOptions {
  /** Records allowed at once … */
  burst: number
  /** … and refilled per second; beyond that, failures are counted and recorded as one summary. */
  perSecond: number
}

/**
 * Records refused authentications in the activity chain (`auth.fail`), rate-bounded so a flood of bad credentials
 * cannot flood the chain (or the disk) in turn: past the bound they are counted, and the count is recorded with
 * the next record or within a second. Recording never delays or changes the refusal.
 */
export class AuthFailures {
  private tokens: number
  private refilledAt: number
  private suppressed = 0
  private summary: NodeJS.Timeout | undefined

  constructor(
    private readonly events: IdentityEvents,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: AuthFailureOptions = { burst: 200, perSecond: 50 },
  ) {
    this.tokens = options.burst
    this.refilledAt = clock.now()
  }

  /** Records `error` as a refused `attempt` (failures of Warden itself — store, bugs — are not refusals). */
  record(error: unknown, attempt: FailedAttempt): void {
    if (!isWardenError(error) || error.code === 'STORE_UNAVAILABLE' || error.code === 'INTERNAL') return
    const now = this.clock.now()
    this.tokens = Math.min(
      this.options.burst,
      this.tokens + ((now - this.refilledAt) / 1000) * this.options.perSecond,
    )
    this.refilledAt = now
    if (this.tokens < 1) {
      this.suppressed += 1
      this.summary ??= setTimeout(() => this.flushSummary(), 1_000)
      this.summary.unref?.()
      return
    }
    this.tokens -= 1
    const url = attempt.url ? stripQuery(attempt.url) : undefined
    this.write(
      {
        what: attempt.what,
        code: error.code,
        ...(attempt.method ? { method: attempt.method } : {}),
        ...(url ? { url } : {}),
        ...(attempt.task ? { task: attempt.task } : {}),
        ...(this.suppressed > 0 ? { suppressedBefore: this.takeSuppressed() } : {}),
      },
      attempt.agent ?? null,
    )
  }

  private takeSuppressed(): number {
    const count = this.suppressed
    this.suppressed = 0
    clearTimeout(this.summary)
    this.summary = undefined
    return count
  }

  private flushSummary(): void {
    this.summary = undefined
    if (this.suppressed > 0) this.write({ what: 'summary', suppressed: this.takeSuppressed() }, null)
  }

  private write(body: Record<string, unknown>, agent: string | null): void {
    // Lazy: joins the next commit instead of costing a disk flush of its own; nobody waits for it.
    this.events
      .record({ kind: 'auth.fail', agent, body }, { lazy: true })
      .catch((error: unknown) =>
        this.logger.error('recording a refused authentication failed', { error: String(error) }),
      )
  }
}

function stripQuery(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return url.slice(0, 200)
  }
}
