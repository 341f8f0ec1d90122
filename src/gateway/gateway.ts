import { randomBytes } from 'node:crypto'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { RequestHandlerExtra, RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  type ProgressToken,
  ReadResourceRequestSchema,
  RootsListChangedNotificationSchema,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import type { Approvals } from '../approvals/index.js'
import type { ToolCatalog } from '../catalog/index.js'
import type { ActivityChain } from '../chain/index.js'
import type { Config } from '../config/index.js'
import type { Decision, Pipeline, ToolRequest } from '../enforcement/index.js'
import type { ProofContext } from '../identity/index.js'
import { type Logger, WardenError } from '../kernel/index.js'
import type { AuthenticatedTask, TaskLifecycle } from '../tasks/index.js'
import { RPC } from './rpc.js'
import { type Downstream, SessionLink } from './session-link.js'
import { Upstream } from './upstream.js'

export { RPC } from './rpc.js'

/** A downstream MCP session, bound to the task (and instance) that opened it. */
interface Session {
  id: string
  upstream: Upstream
  server: Server
  /** Where its requests go upstream, and where the server's requests and notifications come back from. */
  link: SessionLink
  /** What the session's server advertises (its handlers follow it). */
  capabilities: ServerCapabilities
  /** The task the session belongs to, as of the request being answered (re-checked for every request). */
  current(): Promise<AuthenticatedTask>
}

/** An HTTP session: its transport, and the caller authenticated with the request being answered. */
interface HttpSession extends Session {
  transport: WebStandardStreamableHTTPServerTransport
  caller: AuthenticatedTask
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>

/** What comes back from upstream is recorded without holding the answer: it joins the next commit. */
const LAZY = { lazy: true } as const

/**
 * A request decided: its caller, the decision, and the flush of its records (the call and the decision are
 * committed before anything goes upstream; the answer waits for `onDisk`, whose flush overlaps the upstream
 * call).
 */
interface Decided {
  caller: AuthenticatedTask
  decision: Decision
  onDisk: Promise<void>
}

/**
 * What a downstream session advertises: what the upstream has and the gateway relays. Logging only where log
 * messages can be routed to the session (an isolated connection). Without the upstream (unavailable when the
 * session starts), the plain tools, resources and prompts surface.
 */
function downstreamCapabilities(
  upstream: ServerCapabilities | undefined,
  isolated: boolean,
): ServerCapabilities {
  if (!upstream) return { tools: {}, resources: {}, prompts: {} }
  const { resources, prompts } = upstream
  return {
    tools: upstream.tools?.listChanged ? { listChanged: true } : {},
    ...(resources
      ? {
          resources: {
            ...(resources.subscribe ? { subscribe: true } : {}),
            ...(resources.listChanged ? { listChanged: true } : {}),
          },
        }
      : {}),
    ...(prompts ? { prompts: prompts.listChanged ? { listChanged: true } : {} } : {}),
    ...(upstream.completions ? { completions: {} } : {}),
    ...(upstream.logging && isolated ? { logging: {} } : {}),
  }
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
 * The MCP gateway: for each configured upstream, a Streamable HTTP endpoint whose sessions are bound to a task.
 * Every request that touches data goes through the enforcement pipeline before it reaches the upstream;
 * results are observed and recorded. What the upstream sends back on its own — progress, log messages,
 * resource updates, sampling, elicitation and roots requests — reaches only the session that caused it
 * (`SessionLink`). The agent's token never travels upstream.
 */
export class Gateway {
  readonly upstreams: ReadonlyMap<string, Upstream>
  private readonly sessions = new Map<string, HttpSession>()
  private readonly links = new Set<SessionLink>()

  constructor(
    config: Config['upstreams'],
    catalog: ToolCatalog,
    private readonly pipeline: Pipeline,
    private readonly lifecycle: TaskLifecycle,
    private readonly chain: ActivityChain,
    private readonly approvals: Approvals,
    /** How long a call waiting for a human is held before the client is told to retry. */
    private readonly hold: number,
    private readonly logger: Logger,
  ) {
    this.upstreams = new Map(
      Object.entries(config).map(([name, c]) => [name, new Upstream(name, c, catalog, logger)]),
    )
    // A task that ends here takes its sessions, and their upstream connections, with it.
    lifecycle.onClose((ended) => {
      const ids = new Set(ended.map((task) => task.id))
      for (const [id, session] of this.sessions) if (ids.has(session.caller.task.id)) this.end(id, session)
    })
  }

  private sweeper: NodeJS.Timeout | undefined

  private end(id: string, session: HttpSession): void {
    this.sessions.delete(id)
    session.transport.close().catch(() => undefined)
    session.link.close().catch(() => undefined)
  }

  /**
   * Ends every session whose task no longer stands — expired, or closed on another node, which `onClose` does not
   * hear of — so an idle session cannot keep receiving what its upstream sends, nor hold its connection.
   */
  async sweep(): Promise<void> {
    for (const [id, session] of [...this.sessions]) {
      await this.lifecycle.recheck(session.caller).catch(() => this.end(id, session))
    }
  }

  /**
   * Serves one upstream over a stdio transport (`warden gateway stdio`): a local agent launches Warden as its MCP
   * server. `authenticate` is run for every request, so a closed task or a quarantined instance stops at once.
   */
  async serveStdio(
    name: string,
    transport: Transport,
    authenticate: () => Promise<AuthenticatedTask>,
  ): Promise<void> {
    const upstream = this.upstreams.get(name)
    if (!upstream) throw new WardenError('UPSTREAM_NOT_FOUND', `no upstream \`${name}\``)
    await authenticate()
    await upstream.connect()
    const capabilities = downstreamCapabilities(await upstream.capabilities(), upstream.isolated)
    const server = this.downstreamServer(upstream, capabilities)
    const link = this.link(upstream, server, authenticate)
    this.register({ id: 'stdio', upstream, server, link, capabilities, current: authenticate })
    await server.connect(transport)
  }

  /** Connects every upstream (one that fails keeps retrying in the background), and sweeps sessions every 30 s. */
  async start(): Promise<void> {
    this.sweeper ??= setInterval(() => {
      this.sweep().catch((error: unknown) =>
        this.logger.error('session sweep failed', { error: String(error) }),
      )
    }, 30_000).unref()
    await Promise.all(
      [...this.upstreams.values()].map((upstream) =>
        upstream
          .connect()
          .catch((error: unknown) =>
            this.logger.error('upstream did not start', { upstream: upstream.name, error: String(error) }),
          ),
      ),
    )
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper)
    this.sweeper = undefined
    for (const session of this.sessions.values()) await session.transport.close().catch(() => undefined)
    this.sessions.clear()
    await Promise.all([...this.links].map((link) => link.close()))
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.close()))
  }

  /**
   * Handles one HTTP request to `/mcp/<name>`: authenticates the task token (with its proof), binds a new
   * session to that task or checks that an existing session belongs to it, then lets the MCP transport answer.
   */
  async handle(name: string, request: Request, token: string, proof: ProofContext): Promise<Response> {
    const upstream = this.upstreams.get(name)
    if (!upstream) throw new WardenError('UPSTREAM_NOT_FOUND', `no upstream \`${name}\``)
    const sessionId = request.headers.get('mcp-session-id')
    // The session's caller spares re-reading what cannot have changed; the token and its proof are checked in full.
    const known = sessionId ? this.sessions.get(sessionId)?.caller : undefined
    const caller = await this.lifecycle.authenticate(token, proof, known)
    if (sessionId) {
      // Looked up after authenticating: the session may have ended meanwhile (closed, swept, its task closed).
      const session = this.sessions.get(sessionId)
      if (!session || session.upstream !== upstream) throw new WardenError('NOT_FOUND', 'no such MCP session')
      // INVARIANT: a session answers only the task that opened it (MCP security best practices, session binding).
      if (session.caller.task.id !== caller.task.id) {
        throw new WardenError('SESSION_MISMATCH', 'this MCP session belongs to another task')
      }
      session.caller = caller
      return session.transport.handleRequest(request)
    }
    const session = await this.open(upstream, caller)
    const response = await session.transport.handleRequest(request)
    // A request that did not initialize a session (malformed, or not `initialize`) leaves nothing behind.
    if (!session.id) await session.transport.close().catch(() => undefined)
    return response
  }

  private downstreamServer(upstream: Upstream, capabilities: ServerCapabilities): Server {
    return new Server({ name: `warden/${upstream.name}`, version: '0.1.0' }, { capabilities })
  }

  /** The session's upstream side; closed with the session's server. */
  private link(upstream: Upstream, server: Server, standing: () => Promise<AuthenticatedTask>): SessionLink {
    const decide = (caller: AuthenticatedTask, method: Parameters<Downstream['decide']>[1]) =>
      this.pipeline.decide(caller, { action: method, server: upstream.name })
    const link = new SessionLink(upstream, { server, standing, decide }, this.chain, this.logger)
    this.links.add(link)
    server.onclose = () => {
      this.links.delete(link)
      link.close().catch(() => undefined)
    }
    return link
  }

  private async open(upstream: Upstream, caller: AuthenticatedTask): Promise<HttpSession> {
    const capabilities = downstreamCapabilities(await upstream.capabilities(), upstream.isolated)
    const server = this.downstreamServer(upstream, capabilities)
    const session: HttpSession = {
      id: '',
      upstream,
      server,
      capabilities,
      caller,
      current: async () => session.caller,
      link: this.link(upstream, server, () => this.lifecycle.recheck(session.caller)),
      transport: new WebStandardStreamableHTTPServerTransport({
        // 256 random bits, base64url (visible ASCII): a UUID carries only 122 (MCP security best practices, ≥128).
        sessionIdGenerator: () => randomBytes(32).toString('base64url'),
        // Server-sent events, not one JSON answer: what the upstream sends while a request runs (progress, log
        // messages, sampling and elicitation requests) travels on that request's stream.
        enableJsonResponse: false,
        onsessioninitialized: (id) => {
          session.id = id
          this.sessions.set(id, session)
        },
        onsessionclosed: (id) => {
          this.sessions.delete(id)
          session.link.close().catch(() => undefined)
        },
      }),
    }
    this.register(session)
    server
      .connect(session.transport)
      .catch((error: unknown) => this.logger.error('session failed', { error: String(error) }))
    return session
  }

  private register(session: Session): void {
    const { server, upstream, link, capabilities } = session
    const name = upstream.name
    const timeout = upstream.config.timeout

    /**
     * Sends a downstream request's work upstream on this session's connection, as the decided call of the
     * chain: with its time limit and cancellation, without the client's `_meta`, and with its progress relayed
     * under the client's own token (the upstream sees a token the gateway made, routed back to this request
     * alone, even on a shared connection). Answers once the decision's records are on disk as well.
     */
    const forward = async <
      P extends { _meta?: { progressToken?: ProgressToken | undefined } | undefined },
      T,
    >(
      extra: Extra,
      decided: Decided,
      params: P,
      send: (client: Client, params: P, options: RequestOptions) => Promise<T>,
    ): Promise<T> => {
      let ours: string | undefined
      try {
        const client = await link.use()
        const { _meta, ...rest } = params
        const progressToken = _meta?.progressToken
        ours =
          progressToken === undefined
            ? undefined
            : upstream.openProgress((progress) =>
                link.sendDuring(extra.requestId, () =>
                  extra.sendNotification({
                    method: 'notifications/progress',
                    params: { ...progress, progressToken },
                  }),
                ),
              )
        const upstreamParams = (ours === undefined ? rest : { ...rest, _meta: { progressToken: ours } }) as P
        return await link.track(extra.requestId, decided.decision.call, () =>
          send(client, upstreamParams, { timeout, signal: extra.signal }),
        )
      } finally {
        if (ours !== undefined) upstream.closeProgress(ours)
        await decided.onDisk
      }
    }
    /** Decides a request and enforces the decision. */
    const allow = async (request: ToolRequest): Promise<Decided> => {
      const caller = await session.current()
      return this.enforce(caller, await this.pipeline.decide(caller, request, { until: 'commit' }))
    }

    server.setRequestHandler(ListToolsRequestSchema, async () => {
      const { caller, onDisk } = await allow({ action: 'tools/list', server: name })
      await link.use()
      // Only tools the task may call, as pinned (a changed definition is not shown until re-approved).
      const scope = new Set(caller.task.scope)
      const tools = (await this.pipeline.catalogTools(name)).filter(
        (tool) => scope.has(tool.name) && tool.status === 'approved',
      )
      await onDisk
      return { tools: tools.map((tool) => tool.definition) as never }
    })

    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const caller = await session.current()
      const args = (request.params.arguments ?? {}) as Record<string, unknown>
      const call = { action: 'tools/call' as const, server: name, tool: request.params.name, args }
      let decision = await this.pipeline.decide(caller, call, { until: 'commit' })
      if (decision.effect === 'escalate' && decision.approval) {
        // Held while a human looks; answered in time for the MCP client, which may retry the identical call.
        const answer = await this.approvals.wait(decision.approval, this.hold)
        // The task may have ended while it was held (expiry, a close on another node): standing is checked again.
        if (answer.status === 'approved') {
          const current = await this.lifecycle.recheck(caller)
          decision = await this.pipeline.decide(current, call, { call: decision.call, until: 'commit' })
        }
      }
      const decided = await this.enforce(caller, decision)
      let result: CallToolResult
      try {
        // Only the name and the decided arguments go upstream: path arguments as canonicalised for the decision.
        const params = {
          name: request.params.name,
          arguments: decision.args ?? args,
          _meta: request.params._meta,
        }
        result = (await forward(extra, decided, params, (client, p, options) =>
          client.callTool(p, undefined, options),
        )) as CallToolResult
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause)
        this.afterAnswer(() =>
          this.pipeline.observeResult(caller, decision.call, '', `upstream failed: ${message}`, LAZY),
        )
        throw new McpError(RPC.UPSTREAM, `upstream \`${name}\` failed: ${message}`, {
          decisionId: decision.decisionId,
        })
      }
      this.afterAnswer(
        () =>
          this.pipeline.observeResult(
            caller,
            decision.call,
            resultText(result),
            result.isError ? 'tool reported an error' : undefined,
            LAZY,
          ),
        () => this.recordMovement(session.upstream, caller, decision, decision.args ?? args),
      )
      return result
    })

    if (capabilities.resources) {
      server.setRequestHandler(ListResourcesRequestSchema, async (request, extra) => {
        const decided = await allow({ action: 'resources/list', server: name })
        return forward(extra, decided, request.params ?? {}, (client, p, options) =>
          client.listResources(p, options),
        )
      })

      server.setRequestHandler(ListResourceTemplatesRequestSchema, async (request, extra) => {
        const decided = await allow({ action: 'resources/templates/list', server: name })
        return forward(extra, decided, request.params ?? {}, (client, p, options) =>
          client.listResourceTemplates(p, options),
        )
      })

      server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
        const { uri } = request.params
        const decided = await allow({ action: 'resources/read', server: name, uri })
        const result = await forward(extra, decided, request.params, (client, p, options) =>
          client.readResource(p, options),
        )
        const text = result.contents.map((c) => ('text' in c ? String(c.text) : '')).join('\n')
        this.afterAnswer(() =>
          this.pipeline.observeResult(decided.caller, decided.decision.call, text, undefined, LAZY),
        )
        return result
      })

      if (capabilities.resources.subscribe) {
        // Updates of a resource tell what changes in it: subscribing is decided as reading it.
        server.setRequestHandler(SubscribeRequestSchema, async (request) => {
          const { uri } = request.params
          const { onDisk } = await allow({ action: 'resources/subscribe', server: name, uri })
          await link.subscribe(uri, timeout)
          await onDisk
          return {}
        })
        // Unsubscribing only narrows what flows to the session: no decision, but the task must still stand.
        server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
          await session.current()
          await link.unsubscribe(request.params.uri, timeout)
          return {}
        })
      }
    }

    if (capabilities.prompts) {
      server.setRequestHandler(ListPromptsRequestSchema, async (request, extra) => {
        const decided = await allow({ action: 'prompts/list', server: name })
        return forward(extra, decided, request.params ?? {}, (client, p, options) =>
          client.listPrompts(p, options),
        )
      })

      server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
        const args = (request.params.arguments ?? {}) as Record<string, unknown>
        const decided = await allow({
          action: 'prompts/get',
          server: name,
          name: request.params.name,
          args,
        })
        return forward(extra, decided, request.params, (client, p, options) => client.getPrompt(p, options))
      })
    }

    if (capabilities.completions) {
      // Completions suggest values drawn from the data behind a prompt or resource template, so a completion is
      // decided as reading what it completes: where the read is denied, so is the completion.
      server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
        const { ref, argument, context } = request.params
        const args = { ...(context?.arguments ?? {}), [argument.name]: argument.value }
        const decided = await allow({
          action: 'completion/complete',
          server: name,
          ref:
            ref.type === 'ref/prompt'
              ? { type: 'prompt', name: ref.name }
              : { type: 'resource', uri: ref.uri },
          args,
        })
        return forward(extra, decided, request.params, (client, p, options) => client.complete(p, options))
      })
    }

    if (capabilities.logging) {
      // The level only filters what this session's own upstream connection sends it: no data, no decision.
      server.setRequestHandler(SetLevelRequestSchema, async (request) => {
        await session.current()
        await link.setLoggingLevel(request.params.level, timeout)
        return {}
      })
    }

    server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      await link.rootsChanged()
    })
    // `ping` is answered by the SDK: it is between the agent and Warden, hop by hop (MCP basic/utilities/ping).
  }

  /**
   * Enforces a committed decision. Allowed: the decision with the flush of every record made so far, its own
   * included (its handler attached at once, so a failed flush cannot go unhandled while the upstream call runs;
   * whoever answers awaits it). Anything else: the decision's error, once its record is on disk.
   */
  private async enforce(caller: AuthenticatedTask, decision: Decision): Promise<Decided> {
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
  private afterAnswer(...records: Array<() => Promise<void>>): void {
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
