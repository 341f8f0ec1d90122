import type { KeyObject } from 'node:crypto'
import { type ChainReader, verifyChain } from '../chain/index.js'
import type { Gateway } from '../gateway/index.js'
import type { Logger } from '../kernel/index.js'
import type { PolicyEngine } from '../policy/index.js'
import type { Store } from '../store/index.js'

/** One probe check: its name, whether it passes, and why not. */
export interface HealthCheck {
  readonly name: 'store' | 'policies' | 'chain' | 'upstreams'
  readonly ok: boolean
  readonly detail?: string
}

/** What `/healthz` and `/readyz` answer. */
export interface HealthReport {
  readonly status: 'ok' | 'failing'
  readonly checks: readonly HealthCheck[]
}

export interface HealthSources {
  readonly store: Store
  readonly engine: PolicyEngine
  readonly gateway: Gateway
  readonly chain: ChainReader
  /** The checkpoint public key, when this node has it (the chain check is skipped without it). */
  readonly publicKey: KeyObject | undefined
  readonly logger: Logger
}

const STORE_TIMEOUT_MS = 2_000

/**
 * Health as a probe needs it, told honestly: `/healthz` fails when the store cannot take a write (down, locked),
 * no policy set is in force (every request would be denied), or the chain is found damaged; `/readyz` also needs
 * every upstream connected. The chain is verified in the background — whole at start, then what was appended
 * since — so a probe never waits on it.
 */
export class Health {
  private verifiedSeq = 0
  private damage: string | undefined
  private verifying: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly sources: HealthSources) {}

  /** Starts background verification of the chain, every `everyMs`. */
  start(everyMs = 30_000): void {
    this.verifyNow().catch(() => undefined)
    this.timer ??= setInterval(() => this.verifyNow().catch(() => undefined), everyMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** Verifies what was appended since the last run (overlapping one record, so the link is checked). */
  verifyNow(): Promise<void> {
    const { publicKey, chain, logger } = this.sources
    if (!publicKey || this.damage) return Promise.resolve()
    this.verifying ??= (async () => {
      const verdict = await verifyChain(chain, publicKey, { from: Math.max(1, this.verifiedSeq) })
      if (verdict.ok) this.verifiedSeq = verdict.head.seq
      else {
        this.damage = `damaged at seq ${verdict.seq}: ${verdict.damage}`
        logger.error('activity chain damaged', { seq: verdict.seq, damage: verdict.damage })
      }
    })().finally(() => {
      this.verifying = undefined
    })
    return this.verifying
  }

  /** Liveness that means something: store writable, policies in force, chain intact. */
  async live(): Promise<HealthReport> {
    return report([await this.storeCheck(), this.policyCheck(), this.chainCheck()])
  }

  /** Readiness: live, and every upstream connected. */
  async ready(): Promise<HealthReport> {
    return report([await this.storeCheck(), this.policyCheck(), this.chainCheck(), this.upstreamCheck()])
  }

  private async storeCheck(): Promise<HealthCheck> {
    let timer: NodeJS.Timeout | undefined
    try {
      // A write transaction, not a read: a locked SQLite file or a read-only replica answers reads.
      await Promise.race([
        this.sources.store.transaction(async (tx) => {
          await tx.get('SELECT 1 AS ok')
        }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 2 s')), STORE_TIMEOUT_MS)
        }),
      ])
      return { name: 'store', ok: true }
    } catch (error) {
      return { name: 'store', ok: false, detail: String((error as Error).message ?? error) }
    } finally {
      clearTimeout(timer)
    }
  }

  private policyCheck(): HealthCheck {
    const { engine } = this.sources
    if (engine.version === null || engine.policyCount === 0)
      return { name: 'policies', ok: false, detail: 'no policy set in force: every request is denied' }
    return { name: 'policies', ok: true, detail: `${engine.policyCount} policies, version ${engine.version}` }
  }

  private chainCheck(): HealthCheck {
    if (this.damage) return { name: 'chain', ok: false, detail: this.damage }
    if (!this.sources.publicKey)
      return { name: 'chain', ok: true, detail: 'not verified here (no public key)' }
    return { name: 'chain', ok: true, detail: `verified to seq ${this.verifiedSeq}` }
  }

  private upstreamCheck(): HealthCheck {
    const down = [...this.sources.gateway.upstreams].filter(([, u]) => !u.connected).map(([name]) => name)
    return down.length > 0
      ? { name: 'upstreams', ok: false, detail: `not connected: ${down.join(', ')}` }
      : { name: 'upstreams', ok: true, detail: `${this.sources.gateway.upstreams.size} connected` }
  }
}

function report(checks: HealthCheck[]): HealthReport {
  return { status: checks.every((check) => check.ok) ? 'ok' : 'failing', checks }
}
