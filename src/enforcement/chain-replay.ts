import { type BehaviourAssessment, BehaviourEngine, type Signal } from '../behaviour/index.js'
import type { CatalogTool } from '../catalog/index.js'
import type { ActivityEventV1 } from '../chain/index.js'
import { silentLogger } from '../kernel/index.js'
import {
  ArgumentValidator,
  type DecisionFacts,
  type Effect,
  PolicyEngine,
  type PolicySource,
  withoutLogOnly,
} from '../policy/index.js'
import type { ActorChain } from '../tasks/index.js'
import { canonicalArguments, canonicalPath } from './canonical-arguments.js'
import { judge } from './judge.js'
import { delegationPath } from './pipeline.js'

/**
 * Where a replayed decision's behavioural facts come from: `detect` runs the detectors again over the recorded
 * activity (checks a detector change too; provenance needs the deployment's fingerprint key), `recorded` takes the
 * signals and risk each decision recorded (checks a policy change against exactly what the policies saw).
 */
export type ReplayBehaviour = 'detect' | 'recorded'

/** What a chain replay needs beside the records: the policy set, the tool catalog, and how to judge behaviour. */
export interface ChainReplayOptions {
  policies: readonly PolicySource[]
  /** The catalog's tools (definitions and sensitivity): the chain holds a tool's digest, not its definition. */
  tools: readonly CatalogTool[]
  behaviour: ReplayBehaviour
  /** The deployment's fingerprint key (`detect`): without it, no argument can be traced to a recorded output. */
  fingerprintKey?: Uint8Array
  /** Upstreams of `kind: memory` (their writes are memory writes to the detectors). */
  memoryServers?: ReadonlySet<string>
  /** Requests validated against the schema, as `policy.validateRequests` has the live engine do. */
  validateRequests?: boolean
}

/** One recorded decision and the decision the replay makes on the same call. */
export interface ChainReplayDecision {
  /** The recorded decision's seq. */
  seq: number
  /** The seq of the call's record. */
  callSeq: number
  call: string
  task: string
  agent: string | null
  action: string
  server: string | null
  tool: string | null
  recorded: { effect: Effect; reasons: string[]; signals: string[]; approval: string | null }
  replayed: { effect: Effect; reasons: string[]; errors: string[]; signals: string[]; risk: number }
  /** The effect differs. */
  changed: boolean
  /** JSON pointers (in the call record) of argument values the chain holds redacted: the replay saw the mask. */
  redacted: string[]
  /** Where the behavioural facts came from: the detectors run again, or the decision's record. */
  behaviour: 'detected' | 'recorded'
  /** What the replay could not take as it was (a tool's definition changed since, an unknown agent, …). */
  notes: string[]
}

interface AgentFacts {
  owner: string
  tier: string
  entitlements: string[]
}

interface TaskFacts {
  id: string
  agent: string
  spiffeId: string
  instanceId: string
  tier: string
  intent: { purpose?: string; prompt?: string; tools?: string[]; dataClasses?: string[] }
  scope: string[]
  depth: number
  parent: string | null
  openedAt: number
  principal: string
  act: ActorChain | null
}

const RELAYED: Record<string, 'sampling' | 'elicitation' | 'roots'> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
}

const LISTINGS = new Set(['tools/list', 'resources/list', 'resources/templates/list', 'prompts/list'])

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

function isEffect(value: unknown): value is Effect {
  return value === 'allow' || value === 'deny' || value === 'escalate'
}

/**
 * Decides again, offline, every call a chain export recorded a decision for, in chain order: each task rebuilt
 * from its records (the agent as registered then, the task's tier, intent and delegation path, the call's
 * arguments as recorded, the time of its record) and judged by the same `judge` as live traffic. What happened
 * stays what happened: the behavioural state learns the recorded outcomes, not the replayed ones, so each call
 * is judged against the history that really preceded it.
 */
export class ChainReplayer {
  private readonly engine: PolicyEngine
  private readonly validator = new ArgumentValidator()
  private readonly behaviour: BehaviourEngine
  private readonly catalog = new Map<string, CatalogTool>()
  private readonly agents = new Map<string, AgentFacts>()
  private readonly tasks = new Map<string, TaskFacts>()
  /** Delegations by child task id: the child's `task.open` record does not repeat scope and actor chain. */
  private readonly delegations = new Map<string, { scope: string[]; depth: number; act: ActorChain | null }>()
  /** The newest record of each call, by call id (a held call decided again is recorded again). */
  private readonly calls = new Map<string, ActivityEventV1>()
  /** Decisions whose call or task was recorded before the records replayed (an export `--from` a later seq). */
  skipped = 0

  constructor(private readonly options: ChainReplayOptions) {
    // A set that permits nothing is a question worth asking offline (what would it refuse?), so it loads.
    this.engine = new PolicyEngine(silentLogger, {
      validateRequests: options.validateRequests ?? false,
      allowEmpty: true,
    })
    // The set as enforced: `@mode("log_only")` policies inert, as the live engine loads it.
    const loaded = this.engine.load(withoutLogOnly(options.policies).enforced, options.tools)
    if (!loaded.ok)
      throw new Error(`the policies do not load: ${loaded.problems.map((p) => p.message).join('; ')}`)
    for (const tool of options.tools) this.catalog.set(`${tool.server}/${tool.name}`, tool)
    this.behaviour = new BehaviourEngine(
      options.fingerprintKey ? { fingerprintKey: options.fingerprintKey } : {},
    )
  }

  /** Feeds one record (in seq order); returns the replayed decision when the record is a decision. */
  next(record: ActivityEventV1): ChainReplayDecision | undefined {
    const body = record.body
    switch (record.kind) {
      case 'agent.register':
      case 'agent.update': {
        // An update's body is the patch; its record names the agent as `spiffe://…/agent/NAME`.
        const name = typeof body.name === 'string' ? body.name : (record.agent?.split('/').at(-1) ?? '')
        const before = this.agents.get(name)
        this.agents.set(name, {
          owner: typeof body.owner === 'string' ? body.owner : (before?.owner ?? ''),
          tier: typeof body.tier === 'string' ? body.tier : (before?.tier ?? 'standard'),
          entitlements: Array.isArray(body.entitlements)
            ? strings(body.entitlements)
            : (before?.entitlements ?? []),
        })
        return undefined
      }
      case 'delegation':
        if (typeof body.child === 'string')
          this.delegations.set(body.child, {
            scope: strings(body.scope),
            depth: typeof body.depth === 'number' ? body.depth : 1,
            act: (body.act ?? null) as ActorChain | null,
          })
        return undefined
      case 'task.open':
        this.open(record)
        return undefined
      case 'task.close':
        if (record.task) this.behaviour.forget(record.task)
        return undefined
      case 'tool.call':
        this.calls.set(String(body.call), record)
        return undefined
      case 'tool.result':
      case 'signal':
        this.observeOther(record)
        return undefined
      case 'decision':
        return this.decide(record)
      default:
        return undefined
    }
  }

  private open(record: ActivityEventV1): void {
    if (!record.task || !record.agent) return
    const body = record.body
    const parent = typeof body.parent === 'string' ? this.tasks.get(body.parent) : undefined
    const delegation = this.delegations.get(record.task)
    const intent = parent
      ? { ...parent.intent, tools: delegation?.scope ?? [] }
      : ((body.intent ?? {}) as TaskFacts['intent'])
    const task: TaskFacts = {
      id: record.task,
      agent: typeof body.agent === 'string' ? body.agent : '',
      spiffeId: record.agent,
      instanceId: record.agent.split('/').at(-1) ?? record.agent,
      tier: typeof body.tier === 'string' ? body.tier : 'standard',
      intent,
      scope: intent.tools ?? [],
      depth: parent ? (delegation?.depth ?? parent.depth + 1) : 0,
      parent: parent ? parent.id : null,
      openedAt: typeof body.openedAt === 'number' ? body.openedAt : record.ts,
      principal: parent ? parent.principal : record.agent,
      act: parent ? (delegation?.act ?? null) : null,
    }
    this.tasks.set(task.id, task)
    this.behaviour.observe({ kind: 'task.open', seq: record.seq, task: task.id, intent: task.intent })
  }

  private traitsOf(tool: CatalogTool | undefined) {
    return tool
      ? { memory: this.options.memoryServers?.has(tool.server) ?? false, sensitivity: tool.sensitivity }
      : undefined
  }

  private toolOf(record: ActivityEventV1): CatalogTool | undefined {
    const { server, tool } = record.body
    return typeof server === 'string' && typeof tool === 'string'
      ? this.catalog.get(`${server}/${tool}`)
      : undefined
  }

  /**
   * A call joins its task's behavioural state when it is decided on a resolved target, as in the pipeline (an
   * unknown tool is denied before the detectors see it).
   */
  private observeCall(record: ActivityEventV1, tool: CatalogTool): void {
    if (!record.task || typeof record.body.tool !== 'string') return
    this.behaviour.observe({
      kind: 'tool.call',
      seq: record.seq,
      task: record.task,
      call: String(record.body.call),
      tool: record.body.tool,
      args: (record.body.args ?? {}) as Record<string, unknown>,
      definition: tool?.definition,
      traits: this.traitsOf(tool),
    })
  }

  private observeOther(record: ActivityEventV1): void {
    if (!record.task) return
    const body = record.body
    if (record.kind === 'tool.result') {
      const prints = (body.prints ?? {}) as Record<string, unknown>
      this.behaviour.observe({
        kind: 'tool.result',
        seq: record.seq,
        task: record.task,
        call: String(body.call),
        prints: { clean: strings(prints.clean), planted: strings(prints.planted), labels: [] },
        labels: strings(body.labels),
      })
    } else {
      const signal = body as { kind: string; severity: Signal['severity']; refs?: string[] }
      this.behaviour.observe({
        kind: 'signal',
        seq: record.seq,
        task: record.task,
        signal: {
          kind: signal.kind,
          severity: signal.severity,
          summary: signal.kind,
          evidence: [record.seq],
          refs: signal.refs ?? [],
        },
      })
    }
  }

  private decide(record: ActivityEventV1): ChainReplayDecision | undefined {
    const body = record.body
    const callId = String(body.call)
    const callRecord = this.calls.get(callId)
    const task = record.task ? this.tasks.get(record.task) : undefined
    if (!callRecord || !task || !isEffect(body.effect)) {
      this.skipped += 1
      return undefined
    }
    const recordedEffect = body.effect
    const approval = typeof body.approval === 'string' ? body.approval : null
    const recordedSignals = (Array.isArray(body.signals) ? body.signals : []) as Array<{
      kind: string
      severity: Signal['severity']
      evidence?: number[]
    }>
    const notes: string[] = []
    const action = String(callRecord.body.action)
    const server = typeof callRecord.body.server === 'string' ? callRecord.body.server : null
    const toolName = typeof callRecord.body.tool === 'string' ? callRecord.body.tool : null
    let args = (callRecord.body.args ?? {}) as Record<string, unknown>
    const redacted = callRecord.redacted.filter((pointer) => pointer.startsWith('/body/args/'))

    // ② the target, as the pipeline resolves it from the request the record holds
    let target: DecisionFacts['target'] | undefined
    let unresolved: string | undefined
    let tool: CatalogTool | undefined
    if (action === 'tools/call') {
      tool = this.toolOf(callRecord)
      if (tool) {
        target = { kind: 'tool', tool }
        if (callRecord.body.toolDigest !== tool.digest)
          notes.push(
            `the definition of \`${tool.name}\` changed since the call: replayed with the current one`,
          )
      } else unresolved = `unknown tool \`${toolName ?? ''}\`${server ? ` on server \`${server}\`` : ''}`
    } else if ((action === 'resources/read' || action === 'resources/subscribe') && server) {
      target = { kind: 'resource', server, uri: String(callRecord.body.uri), sensitivity: 'internal' }
    } else if (action === 'completion/complete' && server) {
      const ref = callRecord.body.ref as { type: string; name?: string; uri?: string }
      target =
        ref?.type === 'prompt'
          ? { kind: 'prompt', server, name: String(ref.name), sensitivity: 'internal' }
          : { kind: 'resource', server, uri: String(ref?.uri), sensitivity: 'internal' }
      args = {}
    } else if (LISTINGS.has(action) && server) {
      target = { kind: 'list', server }
    } else if (action in RELAYED && server) {
      target = { kind: 'relay', server, request: RELAYED[action] as 'sampling' }
    } else {
      // The call record of `prompts/get` names the server only: the prompt is not recorded.
      unresolved = `\`${action}\` cannot be replayed from its record`
    }
    const canonical = canonicalArguments(args)
    if (!canonical.ok) unresolved = canonical.error
    else if (action === 'tools/call') args = canonical.args
    const uri = typeof callRecord.body.uri === 'string' ? callRecord.body.uri : undefined
    if (uri !== undefined && /^file:/i.test(uri)) {
      const path = canonicalPath(uri)
      if (!path.ok || path.path !== uri) unresolved = `resource \`${uri}\` is not a canonical file URI`
    }

    // A tool quarantined when it was called (its definition had changed since approval) is a fact of the time the
    // decision recorded; the catalog only knows the tool's standing now.
    const quarantined = recordedSignals.some((s) => s.kind === 'tool_definition_changed')
    if (quarantined) unresolved = `tool \`${toolName ?? ''}\` was quarantined when called`
    if (unresolved !== undefined) target = undefined
    if (target && tool) this.observeCall(callRecord, tool)

    // ④ behaviour: detected again over the recorded history, or as the decision recorded it. A call whose
    // arguments the chain holds redacted is judged as recorded even when detecting: the detectors saw the
    // credential the mask replaced (a secret sent to a sink is a finding), and cannot judge the mask instead.
    // A call refused before the detectors (unresolved, quarantined) was judged on no behaviour at all.
    let behaviour: BehaviourAssessment
    const asRecorded = recordedSignals.map(
      (s): Signal => ({
        kind: s.kind,
        severity: s.severity,
        summary: s.kind,
        evidence: s.evidence ?? [],
        refs: [],
      }),
    )
    const fromRecord = target !== undefined && (this.options.behaviour === 'recorded' || redacted.length > 0)
    if (fromRecord && this.options.behaviour === 'detect')
      notes.push(
        'arguments redacted in the chain: the signals and risk are those recorded, not detected again',
      )
    if (!target) {
      behaviour = { signals: quarantined ? asRecorded : [], risk: 0 }
    } else if (fromRecord) {
      behaviour = {
        signals: asRecorded,
        risk: typeof body.risk === 'number' ? body.risk : 0,
      }
    } else {
      behaviour = this.behaviour.assessNow({
        task: task.id,
        agent: callRecord.agent ?? task.spiffeId,
        action,
        server: tool?.server ?? server,
        tool: tool?.name ?? null,
        args,
        definition: tool?.definition,
        traits: this.traitsOf(tool),
      })
    }

    let agent = this.agents.get(task.agent)
    if (!agent) {
      notes.push(`agent \`${task.agent}\` is not registered in the records replayed`)
      agent = { owner: '', tier: task.tier, entitlements: [] }
    }
    let replayed: { effect: Effect; reasons: string[]; errors: string[] }
    if (!target) {
      replayed = { effect: 'deny', reasons: [], errors: [unresolved ?? 'unresolved target'] }
    } else {
      const facts: DecisionFacts = {
        // The instant the policies saw, when the decision recorded it (else its call's record, a few ms before).
        now: typeof body.now === 'number' ? body.now : callRecord.ts,
        agent: {
          name: task.agent,
          owner: agent.owner,
          tier: task.tier,
          entitlements: agent.entitlements,
        },
        instance: { id: task.instanceId, spiffeId: task.spiffeId },
        task: {
          id: task.id,
          purpose: task.intent.purpose ?? '',
          tools: task.scope,
          dataClasses: task.intent.dataClasses ?? [],
          depth: task.depth,
          parent: task.parent,
          openedAt: task.openedAt,
          chain: delegationPath(task.principal, task.act),
        },
        target,
        args,
        approved: false,
        behaviour,
      }
      replayed = judge(this.engine, this.validator, facts)
      // A human's recorded answer to this call: an approval lets the call through where the set in use would
      // need one; a refusal denies what it would hold (as the pipeline does with the approvals it finds).
      if (approval !== null && recordedEffect === 'allow' && replayed.effect !== 'allow') {
        const withApproval = judge(this.engine, this.validator, { ...facts, approved: true })
        if (withApproval.effect === 'allow') replayed = withApproval
      } else if (approval !== null && recordedEffect === 'deny' && replayed.effect === 'escalate') {
        replayed = {
          ...replayed,
          effect: 'deny',
          errors: [`a human refused this exact call (approval \`${approval}\`)`],
        }
      }
    }
    // What happened stays what happened: an allowed call joins the agent's baseline as it did live.
    this.behaviour.observe({
      kind: 'decision',
      seq: record.seq,
      task: task.id,
      call: callId,
      effect: recordedEffect,
      agent: record.agent ?? task.spiffeId,
    })
    return {
      seq: record.seq,
      callSeq: callRecord.seq,
      call: callId,
      task: task.id,
      agent: record.agent,
      action,
      server,
      tool: toolName,
      recorded: {
        effect: recordedEffect,
        reasons: strings(body.reasons),
        signals: recordedSignals.map((s) => s.kind),
        approval,
      },
      replayed: {
        effect: replayed.effect,
        reasons: replayed.reasons,
        errors: replayed.errors,
        signals: behaviour.signals.map((s) => s.kind),
        risk: behaviour.risk,
      },
      changed: replayed.effect !== recordedEffect,
      redacted,
      behaviour: fromRecord ? 'recorded' : 'detected',
      notes,
    }
  }
}

/** True when a line of JSON is an activity-chain record (`warden chain export`), not an agent trace. */
export function isChainRecord(value: unknown): value is ActivityEventV1 {
  const v = value as Partial<ActivityEventV1> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    v.v === 1 &&
    typeof v.seq === 'number' &&
    typeof v.kind === 'string' &&
    typeof v.hash === 'string'
  )
}
