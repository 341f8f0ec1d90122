import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ActivityChain, ActivityEventV1 } from '../chain/index.js'
import type { Pipeline } from '../enforcement/index.js'
import type { Gateway } from '../gateway/index.js'
import type { Clock } from '../kernel/index.js'
import type { Store } from '../store/index.js'
import type { TaskLifecycle } from '../tasks/index.js'

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** What the metrics read from a running Warden. */
export interface MetricSources {
  readonly store: Store
  readonly clock: Clock
  readonly chain: ActivityChain
  readonly pipeline: Pipeline
  readonly lifecycle: TaskLifecycle
  readonly gateway: Gateway
}

/**
 * Warden's Prometheus metrics (`GET /metrics`), on a registry of its own (never prom-client's global one, so two
 * Wardens in one process — tests, the demo — count apart). Decisions and token checks are counted where they
 * happen; upstreams, approvals and checkpoints are read at scrape time.
 */
export class WardenMetrics {
  readonly registry = new Registry()
  readonly decisions: Counter<'effect' | 'tier' | 'tool' | 'policy'>
  readonly decisionSeconds: Histogram<'effect'>
  readonly gatewaySeconds: Histogram<'upstream' | 'status'>
  readonly httpRequests: Counter<'route' | 'status'>
  readonly tokenVerifications: Counter<'outcome'>
  readonly refusals: Counter<'code'>
  readonly appendLagSeconds: Histogram<never>
  readonly shadowDifferences: Counter<'effect' | 'shadow_effect'>

  constructor(private readonly sources: MetricSources) {
    const registers = [this.registry]
    this.decisions = new Counter({
      name: 'warden_decisions_total',
      help: 'Decisions by effect, agent tier, tool and deciding policy (one count per policy named in the reasons, `none` without).',
      labelNames: ['effect', 'tier', 'tool', 'policy'],
      registers,
    })
    this.decisionSeconds = new Histogram({
      name: 'warden_decision_duration_seconds',
      help: 'Time to decide a request (resolve, observe, correlate, decide, record), by effect.',
      labelNames: ['effect'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.gatewaySeconds = new Histogram({
      name: 'warden_gateway_request_duration_seconds',
      help: 'Time to answer an HTTP request on the MCP gateway (/mcp/<upstream>), by upstream and status.',
      labelNames: ['upstream', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.httpRequests = new Counter({
      name: 'warden_http_requests_total',
      help: 'HTTP requests answered, by route and status.',
      labelNames: ['route', 'status'],
      registers,
    })
    this.tokenVerifications = new Counter({
      name: 'warden_token_verifications_total',
      help: 'Task-token verifications (token, proof, task standing), by outcome.',
      labelNames: ['outcome'],
      registers,
    })
    this.refusals = new Counter({
      name: 'warden_token_refusals_total',
      help: 'Task-token verifications refused, by error code.',
      labelNames: ['code'],
      registers,
    })
    this.shadowDifferences = new Counter({
      name: 'warden_shadow_differences_total',
      help: 'Decisions the candidate policy set (policy.shadow, @mode("log_only")) made otherwise than the set in force.',
      labelNames: ['effect', 'shadow_effect'],
      registers,
    })
    this.appendLagSeconds = new Histogram({
      name: 'warden_chain_append_lag_seconds',
      help: 'Time from an append to its commit in the activity chain.',
      buckets: LATENCY_BUCKETS,
      registers,
    })
    const { gateway, store, clock, chain } = sources
    new Gauge({
      name: 'warden_upstream_up',
      help: 'Whether the gateway holds a live connection to the upstream (1) or not (0).',
      labelNames: ['upstream'],
      registers,
      collect() {
        for (const [name, upstream] of gateway.upstreams)
          this.set({ upstream: name }, upstream.connected ? 1 : 0)
      },
    })
    new Counter({
      name: 'warden_upstream_restarts_total',
      help: 'Times the connection to the upstream was lost and started again.',
      labelNames: ['upstream'],
      registers,
      collect() {
        this.reset()
        for (const [name, upstream] of gateway.upstreams) this.inc({ upstream: name }, upstream.restarts)
      },
    })
    new Gauge({
      name: 'warden_approvals_pending',
      help: 'Approval requests waiting for a human.',
      registers,
      async collect() {
        const row = await store.get<{ n: number | string }>(
          `SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending'`,
        )
        this.set(Number(row?.n ?? 0))
      },
    })
    new Gauge({
      name: 'warden_chain_checkpoint_age_seconds',
      help: 'Age of the newest signed checkpoint of the activity chain (-1 when there is none yet).',
      registers,
      async collect() {
        const last = await store.get<{ ts: number | string }>(
          `SELECT ts FROM chain_checkpoints ORDER BY seq DESC LIMIT 1`,
        )
        this.set(last ? Math.max(0, (clock.now() - Number(last.ts)) / 1000) : -1)
      },
    })
    new Gauge({
      name: 'warden_chain_head_seq',
      help: 'Sequence number of the last record in the activity chain.',
      registers,
      async collect() {
        this.set((await chain.head()).seq)
      },
    })
  }

  /**
   * Counts decisions and token checks where they happen, by wrapping the pipeline's `decide` and the lifecycle's
   * `authenticate` (instrumentation in the manner of OpenTelemetry's: the domain code knows nothing of metrics).
   */
  instrument(): void {
    const { pipeline, lifecycle, chain, clock } = this.sources
    const decide = pipeline.decide.bind(pipeline)
    pipeline.decide = async (caller, request, options) => {
      const started = process.hrtime.bigint()
      const decision = await decide(caller, request, options)
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      this.decisionSeconds.observe({ effect: decision.effect }, seconds)
      const tool =
        request.action === 'tools/call'
          ? request.tool
          : request.action === 'prompts/get'
            ? request.name
            : request.action
      const policies = decision.reasons.length > 0 ? decision.reasons : ['none']
      for (const policy of policies)
        this.decisions.inc({ effect: decision.effect, tier: caller.agent.tier, tool, policy })
      return decision
    }
    const authenticate = lifecycle.authenticate.bind(lifecycle)
    lifecycle.authenticate = async (...args) => {
      try {
        const caller = await authenticate(...args)
        this.tokenVerifications.inc({ outcome: 'ok' })
        return caller
      } catch (error) {
        this.tokenVerifications.inc({ outcome: 'refused' })
        this.refusals.inc({ code: (error as { code?: string }).code ?? 'INTERNAL' })
        throw error
      }
    }
    chain.onAppend((events: readonly ActivityEventV1[]) => {
      const now = clock.now()
      for (const event of events) {
        this.appendLagSeconds.observe(Math.max(0, now - event.ts) / 1000)
        if (event.kind === 'decision.shadow')
          this.shadowDifferences.inc({
            effect: String(event.body.effect),
            shadow_effect: String(event.body.shadowEffect),
          })
      }
    })
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType }
  }
}
