import { createHash } from 'node:crypto'
import type { Approvals } from '../approvals/index.js'
import {
  type BehaviourAnalyzer,
  INSTRUCTION_THRESHOLD,
  instructionScore,
  type Signal,
} from '../behaviour/index.js'
import type { CatalogTool, ToolCatalog } from '../catalog/index.js'
import { type ActivityChain, type AppendOptions, canonicalJson, summarizeOutput } from '../chain/index.js'
import type { ProofContext } from '../identity/index.js'
import { type Clock, type IdSource, isWardenError } from '../kernel/index.js'
import {
  type ArgumentValidator,
  buildRequest,
  type DecisionFacts,
  type Effect,
  type PolicyDecision,
  type PolicyEngine,
  type PolicyRequest,
  withoutNullOptionals,
} from '../policy/index.js'
import type { ActorChain, AuthenticatedTask, Task, TaskLifecycle } from '../tasks/index.js'
import { canonicalArguments, canonicalPath } from './canonical-arguments.js'
import { judge } from './judge.js'
import type { RateLimits, Usage } from './rate-limits.js'

/**
 * A request to be decided: a tool call (or, from the gateway, a resource read or subscription, a prompt, an
 * argument completion or a listing). A subscription is decided as a read of its resource (updates tell what
 * changed); a completion as a read of the prompt or resource template it completes (suggested values come from
 * the same data).
 */
export type ToolRequest =
  | { action: 'tools/call'; server?: string | undefined; tool: string; args: Record<string, unknown> }
  | { action: 'resources/read' | 'resources/subscribe'; server: string; uri: string }
  | { action: 'prompts/get'; server: string; name: string; args: Record<string, unknown> }
  | {
      action: 'completion/complete'
      server: string
      ref: { type: 'prompt'; name: string } | { type: 'resource'; uri: string }
      args: Record<string, unknown>
    }
  | { action: 'tools/list' | 'resources/list' | 'resources/templates/list' | 'prompts/list'; server: string }
  /** A server's request to the agent's client, relayed by the gateway. */
  | { action: 'sampling/createMessage' | 'elicitation/create' | 'roots/list'; server: string }

/** A decision, as a value: effect, why, which signals, any errors, and the id it is recorded under. */
export interface Decision {
  decisionId: string
  effect: Effect
  reasons: string[]
  signals: Signal[]
  errors: string[]
  policyVersion: string | null
  task: string
  /** The chain id of the call this decision is about. */
  call: string
  /** The catalog tool, for a tool call that resolved. */
  tool?: CatalogTool
  /**
   * A tool call's arguments as decided and recorded, path arguments canonical: what the enforcement point must
   * forward (docs/decisions/008).
   */
  args?: Record<string, unknown>
  /** For an escalation: the approval request a human answers; for an approved call: the approval it used. */
  approval?: string
  /** The task's behavioural risk the policies saw (recorded, so `warden policy eval --from-record` sees it too). */
  risk?: number
  /** The time the policies saw (recorded, so `warden replay` decides at the same instant, not the record's). */
  now?: number
}

/** SPIFFE IDs on a task's delegation path, root first. */
export function delegationPath(principal: string, act: ActorChain | null): string[] {
  const actors: string[] = []
  for (let node: ActorChain | undefined = act ?? undefined; node; node = node.act) actors.unshift(node.sub)
  return actors[0] === principal ? actors : [principal, ...actors]
}

/** What a decision knows of who acts and in which task: the task, its agent and its instance. */
export function taskFacts(
  task: Task,
  agent: { name: string; owner: string; entitlements: readonly string[] },
): Pick<DecisionFacts, 'agent' | 'instance' | 'task'> {
  return {
    agent: { name: agent.name, owner: agent.owner, tier: task.tier, entitlements: agent.entitlements },
    instance: { id: task.instanceId, spiffeId: task.spiffeId },
    task: {
      id: task.id,
      purpose: task.intent.purpose,
      tools: task.scope,
      dataClasses: task.intent.dataClasses ?? [],
      depth: task.depth,
      parent: task.parent,
      openedAt: task.openedAt,
      chain: delegationPath(task.principal, task.act),
    },
  }
}

export interface DecideOptions {
  /** A human approved this exact call (a held call decided again). */
  approved?: boolean
  /** The call's chain id, when it is decided again. */
  call?: string
  /**
   * When the decision may return: once the call and the decision are on disk (default), or once committed
   * (`commit`), for an enforcement point that waits for the disk (`ActivityChain.onDisk`) before it answers
   * and lets the flush overlap the forwarded call.
   */
  until?: AppendOptions['until']
  /** The HTTP request that carried the call (`X-Request-Id`), named in its call and decision records. */
  requestId?: string | undefined
}

/** Server-to-client requests, by the Cedar action they are decided as. */
const RELAYED = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
} as const

const LISTINGS: ReadonlySet<string> = new Set([
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'prompts/list',
])

/**
 * Signals as a decision records them: evidence names chain records that exist before the decision. The call being
 * decided is observed live before it has a place in the chain (its evidence reads 0); the decision names it by
 * `call` already.
 */
function recordedSignals(signals: readonly Signal[]): Signal[] {
  return signals.map((signal) =>
    signal.evidence.includes(0) ? { ...signal, evidence: signal.evidence.filter((seq) => seq > 0) } : signal,
  )
}

function digest(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`
}

/**
 * The enforcement pipeline, one function that reads top to bottom:
 * authenticate → resolve → observe → correlate → decide → record. Each step that fails denies, with the reason.
 * The same pipeline serves the HTTP decision API, the MCP gateway and offline replay.
 */
export class Pipeline {
  constructor(
    private readonly lifecycle: TaskLifecycle,
    private readonly catalog: ToolCatalog,
    private readonly engine: PolicyEngine,
    /** Rebuilds the policy set from its directory and the current catalog. */
    private readonly reloadPolicies: () => Promise<unknown>,
    private readonly validator: ArgumentValidator,
    private readonly behaviour: BehaviourAnalyzer,
    private readonly chain: ActivityChain,
    private readonly approvals: Approvals,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    /** Upstreams of `kind: memory`: their writes are memory writes to the detectors. */
    private readonly memoryServers: ReadonlySet<string> = new Set(),
    /** A candidate set decided beside the one in force, when there is one (`policy.shadow`, log-only policies). */
    private readonly shadow: () => PolicyEngine | undefined = () => undefined,
    /** `limits` of warden.yaml, counted in the shared store. */
    private readonly limits?: RateLimits,
  ) {}

  /** ① Authenticates a task token (throws on failure: no task, no decision), then decides the request. */
  async authorize(
    token: string,
    proof: ProofContext,
    request: ToolRequest,
    options: DecideOptions = {},
  ): Promise<Decision> {
    const caller = await this.lifecycle.authenticate(token, proof)
    return this.decide(caller, request, options)
  }

  /** ②–⑥ for a caller already authenticated (an MCP session bound to its task). */
  async decide(
    caller: AuthenticatedTask,
    request: ToolRequest,
    options: DecideOptions = {},
  ): Promise<Decision> {
    const { task, agent, instance } = caller
    const until = options.until ?? 'disk'
    const { requestId } = options
    // A held call decided again after a human's answer keeps its id: it is the same call, counted once.
    const call = options.call ?? this.ids.id()
    const decisionId = this.ids.id()
    let observed: Promise<void> = Promise.resolve()
    const deny = (reasons: string[], errors: string[], signals: Signal[] = []) =>
      this.record(instance.spiffeId, observed, until, requestId, {
        decisionId,
        effect: 'deny',
        reasons,
        errors,
        signals,
        policyVersion: this.engine.version,
        task: task.id,
        call,
      })

    // ② resolve the target
    let target: DecisionFacts['target'] | undefined
    let unresolved: string | undefined
    let args: Record<string, unknown> = {}
    let tool: CatalogTool | undefined
    if (request.action === 'tools/call') {
      args = request.args
      const servers = request.server ? [request.server] : await this.catalog.serversOf(request.tool)
      tool = servers.length === 1 ? await this.catalog.get(servers[0] as string, request.tool) : undefined
      if (tool) target = { kind: 'tool', tool }
      else if (servers.length > 1) unresolved = `tool \`${request.tool}\` is ambiguous: name its server`
      else
        unresolved = `unknown tool \`${request.tool}\`${request.server ? ` on server \`${request.server}\`` : ''}`
    } else if (request.action === 'resources/read' || request.action === 'resources/subscribe') {
      target = { kind: 'resource', server: request.server, uri: request.uri, sensitivity: 'internal' }
    } else if (request.action === 'prompts/get') {
      args = request.args
      target = { kind: 'prompt', server: request.server, name: request.name, sensitivity: 'internal' }
    } else if (request.action === 'completion/complete') {
      args = request.args
      const { ref, server } = request
      target =
        ref.type === 'prompt'
          ? { kind: 'prompt', server, name: ref.name, sensitivity: 'internal' }
          : { kind: 'resource', server, uri: ref.uri, sensitivity: 'internal' }
    } else if (LISTINGS.has(request.action)) {
      target = { kind: 'list', server: request.server }
    } else if (request.action in RELAYED) {
      const relayed = RELAYED[request.action as keyof typeof RELAYED]
      target = { kind: 'relay', server: request.server, request: relayed }
    } else {
      // INVARIANT: an action this pipeline does not know (a cast request from a trace or an adapter) is denied.
      unresolved = `unsupported action \`${String((request as { action: unknown }).action)}\``
    }

    // Path arguments in their canonical form before anything reads them (docs/decisions/008): detectors, the
    // chain record, Cedar and the upstream all see one value. Only a tool call's arguments are forwarded as
    // decided; elsewhere a path that is not already canonical is refused, as is one with no canonical form.
    const canonical = canonicalArguments(args)
    if (!canonical.ok) unresolved = canonical.error
    else if (request.action === 'tools/call') args = canonical.args
    else if (canonical.changed.length > 0)
      unresolved = `argument \`${canonical.changed[0]}\` is not a canonical path`
    const uri =
      'uri' in request
        ? request.uri
        : request.action === 'completion/complete' && request.ref.type === 'resource'
          ? request.ref.uri
          : undefined
    if (uri !== undefined && /^file:/i.test(uri)) {
      const path = canonicalPath(uri)
      if (!path.ok || path.path !== uri) unresolved = `resource \`${uri}\` is not a canonical file URI`
    }
    if (unresolved !== undefined) target = undefined

    // Rate limits and quotas, before the call enters the chain: over a limit, it is refused with when to retry
    // (a held call decided again after its approval was counted the first time).
    let usage: Usage | undefined
    if (tool && this.limits && !this.limits.empty && options.call === undefined) {
      try {
        usage = await this.limits.take({
          agent: agent.name,
          server: tool.server,
          tool: tool.name,
          task: task.id,
          taskEnds: task.expiresAt,
        })
      } catch (error) {
        if (isWardenError(error, 'RATE_LIMITED')) {
          await this.chain.append({
            kind: 'rate_limited',
            task: task.id,
            agent: instance.spiffeId,
            body: { call, server: tool.server, tool: tool.name, ...error.details },
          })
        }
        throw error
      }
    }

    // The task's behavioural state, rebuilt from the chain first if this node has not seen the task (another
    // node, a restart). Before ③, so the rebuild does not wait for this request's own append.
    await this.behaviour.open(task.id, task.intent)

    // ③ observe: the request enters the task's chain whatever follows. Not awaited here: the decision's
    // record awaits it, so both usually share one group commit (one disk flush) instead of two in a row.
    observed = this.observe(caller, call, request, args, tool, until, requestId)
    // INVARIANT: a handler is attached at once, so a failed append cannot crash the process as an unhandled
    // rejection before `record` awaits it (and denies by rejecting).
    observed.catch(() => undefined)
    if (!target) return deny([], [unresolved ?? 'unresolved target'])

    if (tool?.status === 'quarantined') {
      const signal: Signal = {
        kind: 'tool_definition_changed',
        severity: 'high',
        summary: `the definition of \`${tool.name}\` changed since it was approved`,
        evidence: [],
        refs: ['OWASP-ASI:ASI04', 'MAESTRO:L3'],
      }
      return deny([], [`tool \`${tool.name}\` is quarantined until its new definition is approved`], [signal])
    }

    if (tool && !this.engine.knows(tool)) {
      // A tool added or re-approved since the policy set was built: rebuild the schema before deciding.
      await this.reloadPolicies()
      if (!this.engine.knows(tool)) {
        return deny([], [`the policy set in force does not cover tool \`${tool.server}/${tool.name}\``])
      }
    }

    // ④ correlate: the call joins the task's behavioural state, then the detectors judge it against the history
    const traits = tool
      ? { memory: this.memoryServers.has(tool.server), sensitivity: tool.sensitivity }
      : undefined
    if (request.action === 'tools/call') {
      this.behaviour.observe({
        kind: 'tool.call',
        seq: 0,
        task: task.id,
        call,
        tool: request.tool,
        args,
        definition: tool?.definition,
        traits,
      })
    }
    const behaviour = await this.behaviour.assess({
      task: task.id,
      agent: instance.spiffeId,
      action: request.action,
      server: tool?.server ?? ('server' in request ? (request.server ?? null) : null),
      tool: tool?.name ?? null,
      args,
      definition: tool?.definition,
      traits,
    })

    // ⑤ decide: arguments against the pinned schema, then Cedar
    const who = taskFacts(task, agent)
    const facts: DecisionFacts = {
      now: this.clock.now(),
      agent: who.agent,
      instance: who.instance,
      task: who.task,
      target,
      args,
      approved: options.approved ?? false,
      behaviour,
    }
    if (usage) facts.usage = usage
    let policy: PolicyDecision = judge(this.engine, this.validator, facts)
    let approval: string | undefined
    // An approval binds to exactly this call: the task, the pinned tool definition and the arguments. Only a
    // call not allowed without one needs it.
    let digestOfCall: string | undefined
    const callDigest = () =>
      (digestOfCall ??= digest({
        task: task.id,
        server: tool?.server ?? null,
        tool: tool?.digest ?? request.action,
        args,
      }))
    // A human's approval of this exact call is looked for only where the call is not allowed without one.
    const approved =
      policy.effect !== 'allow' && options.approved !== true && tool
        ? await this.approvals.findApproved(callDigest())
        : undefined
    if (approved) {
      const withApproval = judge(this.engine, this.validator, { ...facts, approved: true })
      // INVARIANT: single use — a concurrent identical call that loses the race is decided without it.
      if (withApproval.effect === 'allow' && (await this.approvals.consume(callDigest()))) {
        policy = withApproval
        approval = approved.id
      }
    }
    const refused = policy.effect === 'escalate' ? await this.approvals.findDenied(callDigest()) : undefined
    if (refused) {
      policy = {
        ...policy,
        effect: 'deny',
        errors: [`a human refused this exact call (approval \`${refused.id}\`)`],
      }
      approval = refused.id
    } else if (policy.effect === 'escalate') {
      const requested = await this.approvals.request({
        task: task.id,
        agent: instance.spiffeId,
        owner: agent.owner,
        server: tool?.server ?? null,
        tool: tool?.name ?? null,
        callDigest: callDigest(),
        decisionId,
        args,
        sensitivity: tool?.sensitivity ?? null,
        reasons: policy.reasons,
        signals: recordedSignals(behaviour.signals).map((s) => ({
          kind: s.kind,
          severity: s.severity,
          evidence: s.evidence,
        })),
      })
      approval = requested.id
    }

    // The candidate set decides the same facts; it never changes the outcome, only what is recorded.
    this.compareShadow(facts, policy, { task: task.id, agent: instance.spiffeId, call, decisionId })

    // An allowed call's targets join the agent's baseline (novelty); the chain's decision record rebuilds it.
    this.behaviour.observe({
      kind: 'decision',
      seq: 0,
      task: task.id,
      call,
      effect: policy.effect,
      agent: instance.spiffeId,
    })

    // ⑥ record
    return this.record(instance.spiffeId, observed, until, requestId, {
      decisionId,
      effect: policy.effect,
      reasons: policy.reasons,
      errors: policy.errors,
      signals: recordedSignals(behaviour.signals),
      policyVersion: policy.policyVersion,
      risk: behaviour.risk,
      now: facts.now,
      task: task.id,
      call,
      ...(tool ? { tool } : {}),
      ...(approval ? { approval } : {}),
      ...(request.action === 'tools/call' ? { args } : {}),
    })
  }

  /**
   * Records, without waiting, a call the candidate set decides otherwise than the set in force (`decision.shadow`):
   * what a policy change would have done to real traffic, before it is enforced.
   */
  private compareShadow(
    facts: DecisionFacts,
    enforced: PolicyDecision,
    at: { task: string; agent: string; call: string; decisionId: string },
  ): void {
    const shadow = this.shadow()
    if (!shadow) return
    const candidate = judge(shadow, this.validator, facts)
    if (candidate.effect === enforced.effect) return
    this.chain
      .append(
        {
          kind: 'decision.shadow',
          task: at.task,
          agent: at.agent,
          body: {
            call: at.call,
            decisionId: at.decisionId,
            effect: enforced.effect,
            policyVersion: enforced.policyVersion,
            shadowEffect: candidate.effect,
            shadowReasons: candidate.reasons,
            shadowErrors: candidate.errors,
            shadowVersion: candidate.policyVersion,
          },
        },
        { lazy: true },
      )
      .catch(() => undefined)
  }

  /**
   * Step ⑤ alone, recorded nowhere: what the policies in force decide on `facts`, and the Cedar request they decide
   * it from (`warden policy eval`). The same `judge` as every live decision.
   */
  explain(facts: DecisionFacts): { decision: PolicyDecision; request: PolicyRequest | null } {
    const decision = judge(this.engine, this.validator, facts)
    const tool = facts.target.kind === 'tool' ? facts.target.tool : undefined
    const args = tool ? withoutNullOptionals(tool, facts.args) : facts.args
    const built = buildRequest({ ...facts, args }, this.engine)
    return { decision, request: built.ok ? built.request : null }
  }

  /** The catalog's tools of one server (the gateway lists them to the agent as pinned). */
  catalogTools(server: string): Promise<CatalogTool[]> {
    return this.catalog.list(server)
  }

  /**
   * ⑦ observe a result: the output joins the task's behavioural state (provenance, taint) and the chain
   * records its digest, size and labels — never the output itself.
   */
  async observeResult(
    caller: AuthenticatedTask,
    call: string,
    output: string,
    error?: string,
    options: Pick<AppendOptions, 'lazy'> = {},
  ): Promise<void> {
    await this.behaviour.adopt?.(caller.task.id, call, caller.task.intent)
    this.behaviour.observe({ kind: 'tool.result', seq: 0, task: caller.task.id, call, output })
    // Keyed fingerprints of the output's values, so a node that did not see it can rebuild provenance.
    const found = this.behaviour.prints(caller.task.id, call)
    const labels =
      found?.labels ?? (instructionScore(output) >= INSTRUCTION_THRESHOLD ? ['instructions-in-data'] : [])
    await this.chain.append(
      {
        kind: 'tool.result',
        task: caller.task.id,
        agent: caller.instance.spiffeId,
        body: {
          call,
          ...summarizeOutput(output, labels),
          ...(found ? { prints: { clean: found.clean, planted: found.planted } } : {}),
          ...(error ? { error } : {}),
        },
      },
      options,
    )
  }

  private async observe(
    caller: AuthenticatedTask,
    call: string,
    request: ToolRequest,
    args: Record<string, unknown>,
    tool: CatalogTool | undefined,
    until: NonNullable<AppendOptions['until']>,
    requestId: string | undefined,
  ): Promise<void> {
    const body: Record<string, unknown> = { call, action: request.action, argsDigest: digest(args) }
    if (requestId !== undefined) body.requestId = requestId
    if (request.action === 'tools/call') {
      body.tool = request.tool
      body.server = tool?.server ?? request.server ?? null
      body.toolDigest = tool?.digest ?? null
      body.args = args
    } else if (request.action === 'resources/read' || request.action === 'resources/subscribe') {
      body.server = request.server
      body.uri = request.uri
    } else if (request.action === 'completion/complete') {
      body.server = request.server
      body.ref = request.ref
    } else {
      body.server = request.server
    }
    await this.chain.append(
      { kind: 'tool.call', task: caller.task.id, agent: caller.instance.spiffeId, body },
      { until },
    )
  }

  /**
   * Appends the decision; resolves once it and the observed call are durable, or committed with `until:
   * 'commit'` (either failing rejects).
   */
  private async record(
    agentId: string,
    observed: Promise<void>,
    until: NonNullable<AppendOptions['until']>,
    requestId: string | undefined,
    decision: Decision,
  ): Promise<Decision> {
    const body: Record<string, unknown> = {
      call: decision.call,
      decisionId: decision.decisionId,
      effect: decision.effect,
      reasons: decision.reasons,
      errors: decision.errors,
      signals: decision.signals.map((s) => ({
        kind: s.kind,
        severity: s.severity,
        evidence: s.evidence,
      })),
      policyVersion: decision.policyVersion,
      approval: decision.approval ?? null,
    }
    // Set, not spread: this runs on every decision, and spreads of fresh objects are slow.
    if (decision.risk !== undefined) body.risk = decision.risk
    if (decision.now !== undefined) body.now = decision.now
    if (requestId !== undefined) body.requestId = requestId
    const recorded = this.chain.append(
      { kind: 'decision', task: decision.task, agent: agentId, body },
      { until },
    )
    await Promise.all([observed, recorded])
    return decision
  }
}
