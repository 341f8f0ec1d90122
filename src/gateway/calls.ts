import { type CallToolResult, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js'
import type { Approvals } from '../approvals/index.js'
import type { ActivityChain } from '../chain/index.js'
import type { Decision, Pipeline, ToolRequest } from '../enforcement/index.js'
import { isWardenError, type Logger } from '../kernel/index.js'
import type { AuthenticatedTask, TaskLifecycle } from '../tasks/index.js'
import { InputRequired } from './input-rounds.js'
import { RPC } from './rpc.js'
import type { Upstream } from './upstream.js'

/**
 * A caller as the gateway holds it for one request: the task it authenticated, and the HTTP request that carried
 * it (`X-Request-Id`, named in the call's and the decision's records; none over stdio).
 */
export type Caller = AuthenticatedTask & { readonly requestId?: string | undefined }

/** The caller of one request: `caller` with that request's id. */
export function callerOf(caller: AuthenticatedTask, requestId: string | undefined): Caller {
  return requestId === undefined ? caller : { ...caller, requestId }
}

/** What comes back from upstream is recorded without holding the answer: it joins the next commit. */
const LAZY = { lazy: true } as const

/**
 * A request decided: its caller, the decision, and the flush of its records (the call and the decision are
 * committed before anything goes upstream; the answer waits for `onDisk`, whose flush overlaps the upstream
 * call).
 */
export interface Decided {
  caller: AuthenticatedTask
  decision: Decision
  onDisk: Promise<void>
}

function decisionError(decision: Decision): McpError {
  const data = {
    decisionId: decision.decisionId,
    reasons: decision.reasons,
    signals: decision.signals.map((s) => s.kind),
    errors: decision.errors,
  }
  if (decision.effect === 'escalate') {
    return new McpError(
      RPC.ESCALATED,
      `waiting for human approval ${decision.approval ?? ''} (decision ${decision.decisionId}): ${decision.reasons.join(', ')}; retry the same call once approved`,
      { ...data, approval: decision.approval },
    )
  }
  const why = [...decision.errors, ...decision.signals.map((s) => s.summary), ...decision.reasons].join('; ')
  return new McpError(
    RPC.DENIED,
    `denied by Warden (decision ${decision.decisionId}): ${why || 'no policy allows it'}`,
    data,
  )
}

/** Text of a tool result, for the behaviour detectors (never stored: the chain keeps its digest). */
function resultText(result: CallToolResult): string {
  return (result.content ?? [])
    .map((item) =>
      item.type === 'text'
        ? item.text
        : item.type === 'resource' && 'text' in item.resource
          ? String(item.resource.text)
          : '',
    )
    .join('\n')
}

/**
 * What the gateway does with an agent's request, whatever carried it (an SDK session over HTTP or stdio, a
 * stateless 2026-07-28 POST, a session request on the gateway's own JSON-RPC path): decide, enforce, forward,
 * observe and record. One implementation, so every era and transport gets the same decisions, records and
 * denials.
 */
export class Calls {
  constructor(
    private readonly pipeline: Pipeline,
    private readonly lifecycle: TaskLifecycle,
    private readonly chain: ActivityChain,
    private readonly approvals: Approvals,
    /** How long a call waiting for a human is held before the client is told to retry. */
    private readonly hold: number,
    private readonly logger: Logger,
  ) {}

  /** Decides a request and enforces the decision. */
  async allow(caller: Caller, request: ToolRequest): Promise<Decided> {
    const decision = await this.pipeline.decide(caller, request, {
      until: 'commit',
      requestId: caller.requestId,
    })
    return this.enforce(caller, decision)
  }

  /** `tools/list`: only the tools the task may call, as pinned (a changed definition is not shown until re-approved). */
  async listTools(upstream: Upstream, caller: Caller): Promise<{ tools: unknown[] }> {
    const { onDisk } = await this.allow(caller, { action: 'tools/list', server: upstream.name })
    await upstream.use()
    const tools = await this.permittedTools(upstream.name, caller)
    await onDisk
    // MCP arguments are always an object: a root schema without `type` (GitLab's) is shown with it, so that the
    // agent's client takes the list; the pinned definition is unchanged.
    return {
      tools: tools.map(({ definition }) => ({
        ...definition,
        inputSchema: { type: 'object', ...definition.inputSchema },
      })),
    }
  }

  /** The catalog's tools this task may call (in scope, approved), without deciding anything. */
  async permittedTools(server: string, caller: AuthenticatedTask) {
    const scope = new Set(caller.task.scope)
    return (await this.pipeline.catalogTools(server)).filter(
      (tool) => scope.has(tool.name) && tool.status === 'approved',
    )
  }

  /**
   * `tools/call`: decided (and held while a human looks, when it escalates), then only the name and the decided
   * arguments go upstream; the output is observed and recorded after the answer.
   */
  async callTool(
    upstream: Upstream,
    caller: Caller,
    params: { name: string; arguments?: Record<string, unknown> | undefined },
    forward: (
      decided: Decided,
      params: { name: string; arguments: Record<string, unknown> },
    ) => Promise<CallToolResult>,
  ): Promise<CallToolResult> {
    const name = upstream.name
    const args = params.arguments ?? {}
    const call = { action: 'tools/call' as const, server: name, tool: params.name, args }
    const requestId = caller.requestId
    let decision = await this.pipeline
      .decide(caller, call, { until: 'commit', requestId })
      .catch((error: unknown) => {
        // Over a rate limit or quota: a JSON-RPC error that says when to retry (docs/decisions/010).
        if (!isWardenError(error, 'RATE_LIMITED')) throw error
        throw new McpError(RPC.RATE_LIMITED, error.message, { code: error.code, ...error.details })
      })
    if (decision.effect === 'escalate' && decision.approval) {
      // Held while a human looks; answered in time for the MCP client, which may retry the identical call.
      const answer = await this.approvals.wait(decision.approval, this.hold)
      // The task may have ended while it was held (expiry, a close on another node): standing is checked again.
      if (answer.status === 'approved') {
        const current = await this.lifecycle.recheck(caller)
        decision = await this.pipeline.decide(current, call, {
          call: decision.call,
          until: 'commit',
          requestId,
        })
      }
    }
    const decided = await this.enforce(caller, decision)
    let result: CallToolResult
    try {
      // Only the name and the decided arguments go upstream: path arguments as canonicalised for the decision.
      result = await forward(decided, { name: params.name, arguments: decision.args ?? args })
    } catch (cause) {
      // The call goes on: the server asked the client for input first (its result is observed when it comes).
      if (cause instanceof InputRequired) throw cause
      const message = cause instanceof Error ? cause.message : String(cause)
      this.afterAnswer(() =>
        this.pipeline.observeResult(caller, decision.call, '', `upstream failed: ${message}`, LAZY),
      )
      throw new McpError(RPC.UPSTREAM, `upstream \`${name}\` failed: ${message}`, {
        decisionId: decision.decisionId,
      })
    }
    this.observeCall(upstream, caller, decision, args, result)
    return result
  }

  /** What a call gave back, observed and recorded after the answer (with what moved where). */
  observeCall(
    upstream: Upstream,
    caller: AuthenticatedTask,
    decision: Decision,
    args: Record<string, unknown>,
    result: CallToolResult,
  ): void {
    this.afterAnswer(
      () =>
        this.pipeline.observeResult(
          caller,
          decision.call,
          resultText(result),
          result.isError ? 'tool reported an error' : undefined,
          LAZY,
        ),
      () => this.recordMovement(upstream, caller, decision, decision.args ?? args),
    )
  }

  /** `resources/read`: decided on its URI; the contents are observed like a tool's output. */
  async readResource(
    upstream: Upstream,
    caller: Caller,
    uri: string,
    forward: (decided: Decided) => Promise<ReadResourceResult>,
  ): Promise<ReadResourceResult> {
    const decided = await this.allow(caller, { action: 'resources/read', server: upstream.name, uri })
    const result = await forward(decided)
    const text = result.contents.map((c) => ('text' in c ? String(c.text) : '')).join('\n')
    this.afterAnswer(() =>
      this.pipeline.observeResult(decided.caller, decided.decision.call, text, undefined, LAZY),
    )
    return result
  }

  /**
   * The request a `completion/complete` is decided as: completions suggest values drawn from the data behind a
   * prompt or resource template, so a completion is decided as reading what it completes.
   */
  static completion(
    server: string,
    params: {
      ref: { type: string; name?: string | undefined; uri?: string | undefined }
      argument: { name: string; value: string }
      context?: { arguments?: Record<string, string> | undefined } | undefined
    },
  ): ToolRequest {
    const { ref, argument, context } = params
    return {
      action: 'completion/complete',
      server,
      ref:
        ref.type === 'ref/prompt'
          ? { type: 'prompt', name: String(ref.name) }
          : { type: 'resource', uri: String(ref.uri) },
      args: { ...(context?.arguments ?? {}), [argument.name]: argument.value },
    }
  }

  /**
   * Enforces a committed decision. Allowed: the decision with the flush of every record made so far, its own
   * included (its handler attached at once, so a failed flush cannot go unhandled while the upstream call runs;
   * whoever answers awaits it). Anything else: the decision's error, once its record is on disk.
   */
  async enforce(caller: AuthenticatedTask, decision: Decision): Promise<Decided> {
    const onDisk = this.chain.onDisk()
    onDisk.catch(() => undefined)
    if (decision.effect !== 'allow') {
      await onDisk
      throw decisionError(decision)
    }
    return { caller, decision, onDisk }
  }

  /**
   * Observes and records what came back without holding the answer: the detectors' reading of an output takes
   * milliseconds for a large one. It runs in the check phase of this turn of the event loop — after the answer
   * has been handed to the transport, before the poll phase that could read anything the agent sends next — so
   * the next decision still sees it. Its records join the next commit (`LAZY`). A failure is logged; the chain's
   * next append fails the same way, and that denies the next decision (fail closed).
   */
  afterAnswer(...records: Array<() => Promise<void>>): void {
    setImmediate(() => {
      Promise.all(records.map((record) => record())).catch((error: unknown) =>
        this.logger.error('a result could not be recorded', { error: String(error) }),
      )
    })
  }

  /** Memory upstreams' calls become memory.read / memory.write; writes leaving the organisation, data.egress. */
  private async recordMovement(
    upstream: Upstream,
    caller: AuthenticatedTask,
    decision: Decision,
    args: Record<string, unknown>,
  ): Promise<void> {
    const tool = decision.tool
    const readOnly = tool?.definition.annotations?.readOnlyHint === true
    const base = { task: caller.task.id, agent: caller.instance.spiffeId }
    if (upstream.config.kind === 'memory') {
      await this.chain.append(
        {
          ...base,
          kind: readOnly ? 'memory.read' : 'memory.write',
          body: { call: decision.call, server: upstream.name, tool: tool?.name ?? null },
        },
        LAZY,
      )
    } else if (
      !readOnly &&
      (upstream.config.egress || tool?.definition.annotations?.openWorldHint === true)
    ) {
      const destination = Object.entries(args)
        .filter(
          ([key, value]) => typeof value === 'string' && /to|recipient|url|address|channel|email/i.test(key),
        )
        .map(([key, value]) => `${key}=${String(value)}`)
      await this.chain.append(
        {
          ...base,
          kind: 'data.egress',
          body: { call: decision.call, server: upstream.name, tool: tool?.name ?? null, destination },
        },
        LAZY,
      )
    }
  }
}
