import { randomBytes } from 'node:crypto'
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
  type ProgressToken,
  ReadResourceRequestSchema,
  RootsListChangedNotificationSchema,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
  SetLevelRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import type { Approvals } from '../approvals/index.js'
import type { ToolCatalog } from '../catalog/index.js'
import type { ActivityChain } from '../chain/index.js'
import type { Config } from '../config/index.js'
import type { Pipeline, ToolRequest } from '../enforcement/index.js'
import type { ProofContext } from '../identity/index.js'
import { isWardenError, type JsonLimits, type Logger, WardenError } from '../kernel/index.js'
import type { AuthenticatedTask, TaskLifecycle } from '../tasks/index.js'
import { type Caller, Calls, callerOf, type Decided } from './calls.js'
import { classify, dispatch, type Era, HeaderMismatch, isPlainLegacyRequest } from './http-dispatch.js'
import { InputRounds } from './input-rounds.js'
import {
  errorResponse,
  failureResponse,
  type Inbound,
  isResponse,
  JSONRPC,
  type PostedResponse,
  parseMessage,
  RpcFailure,
} from './json-rpc.js'
import { type Downstream, SessionLink } from './session-link.js'
import { Upstream } from './upstream.js'
import type { SessionClient } from './upstream-client.js'

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
  current(): Promise<Caller>
}

/** An HTTP session: its transport, and the caller authenticated with the request being answered. */
interface HttpSession extends Session {
  transport: WebStandardStreamableHTTPServerTransport
  /** The caller of the request being answered (its task, and its request id). */
  caller: Caller
  /** When it last served a request (ms since the epoch), for idle expiry. */
  seen: number
}

/** Sessions one instance may hold open at once (each may hold an event stream and an upstream connection). */
export const MAX_SESSIONS_PER_INSTANCE = 64
/** A session with no request for this long is ended by the sweep. */
export const SESSION_IDLE_MS = 15 * 60_000
/** Stateless callers remembered by token (each entry spares two reads per request; the rest is re-read). */
const MAX_CALLERS = 10_000

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>

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

/**
 * A stdio transport whose 2026-07-28 messages `modern` answers (its `Response` written back as the JSON-RPC
 * message it holds; undefined passes the message on): the SDK server on the returned transport sees the rest.
 */
function splitEras(
  inner: Transport,
  modern: (message: Inbound) => Promise<Response | null> | undefined,
  logger: Logger,
): Transport {
  const outer: Transport = {
    start: () => inner.start(),
    send: (message, options) => inner.send(message, options),
    close: () => inner.close(),
  }
  const closed = inner.onclose
  inner.onclose = () => {
    closed?.()
    outer.onclose?.()
  }
  inner.onerror = (error) => outer.onerror?.(error)
  inner.onmessage = (message, extra) => {
    // Decided at once, so a 2025 session's messages reach its server in the order they came.
    const answering = 'method' in message ? modern(message as Inbound) : undefined
    if (answering === undefined) return outer.onmessage?.(message, extra)
    answering
      .then(async (answer) => {
        if (answer) await inner.send((await answer.json()) as never)
      })
      .catch((error: unknown) => logger.error('stdio request failed', { error: String(error) }))
  }
  return outer
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
  /** Stateless (2026-07-28) callers by token: what `authenticate` need not read again. */
  private readonly callers = new Map<string, AuthenticatedTask>()

  private readonly calls: Calls
  private readonly rounds: InputRounds

  constructor(
    config: Config['upstreams'],
    catalog: ToolCatalog,
    private readonly pipeline: Pipeline,
    private readonly lifecycle: TaskLifecycle,
    private readonly chain: ActivityChain,
    approvals: Approvals,
    /** How long a call waiting for a human is held before the client is told to retry. */
    hold: number,
    private readonly logger: Logger,
    /** Structural limits of a posted message (`server.jsonLimits`), checked by the gateway's own parser. */
    private readonly jsonLimits: JsonLimits,
  ) {
    this.calls = new Calls(pipeline, lifecycle, chain, approvals, hold, logger)
    this.rounds = new InputRounds(pipeline, chain, logger)
    this.upstreams = new Map(
      Object.entries(config).map(([name, c]) => [name, new Upstream(name, c, catalog, logger)]),
    )
    // A task that ends here takes its sessions, and their upstream connections, with it.
    lifecycle.onClose((ended) => {
      const ids = new Set(ended.map((task) => task.id))
      for (const [id, session] of this.sessions) if (ids.has(session.caller.task.id)) this.end(id, session)
      for (const [token, caller] of this.callers) if (ids.has(caller.task.id)) this.callers.delete(token)
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
  async sweep(now = Date.now()): Promise<void> {
    for (const [id, session] of [...this.sessions]) {
      if (now - session.seen >= SESSION_IDLE_MS) this.end(id, session)
      else await this.lifecycle.recheck(session.caller).catch(() => this.end(id, session))
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
    // A 2026-07-28 message (its `_meta` names the revision) is answered by the gateway's own dispatch, as over
    // HTTP; the rest (a 2025 session: `initialize` first) goes on to the SDK server.
    const modern = (message: Inbound): Promise<Response | null> | undefined => {
      try {
        if (classify(message, undefined) !== 'modern') return undefined
      } catch (error) {
        if (!(error instanceof RpcFailure)) throw error
        return Promise.resolve(message.id === undefined ? null : failureResponse(error))
      }
      // A notification has no answer; none of the revision's notifications changes what Warden does.
      if (message.id === undefined) return Promise.resolve(null)
      const id = message.id
      return (async () => {
        const caller = await authenticate()
        const offered = downstreamCapabilities(await upstream.capabilities(), false)
        const context = { calls: this.calls, upstream, caller, capabilities: offered, rounds: this.rounds }
        return dispatch(context, message, 'modern')
      })().catch((error: unknown) => {
        // Refused (a closed task, a quarantined instance): an error answer, as the SDK server gives one.
        if (!isWardenError(error)) throw error
        return errorResponse(id, JSONRPC.INTERNAL, error.message, { code: error.code })
      })
    }
    await server.connect(splitEras(transport, modern, this.logger))
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
    this.rounds.close()
    for (const session of this.sessions.values()) await session.transport.close().catch(() => undefined)
    this.sessions.clear()
    await Promise.all([...this.links].map((link) => link.close()))
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.close()))
  }

  /**
   * Handles one HTTP request to `/mcp/<name>`. The task token and its proof are checked on every request. A POST
   * is read by the gateway's own JSON-RPC layer: a 2026-07-28 request is answered statelessly, a 2025-era session
   * request that needs no stream is answered on the same path, as plain JSON; the rest (`initialize`, a request
   * with a progress token, an isolated upstream's session, GET and DELETE) goes to the session's MCP SDK
   * transport. A session answers only the task that opened it.
   */
  async handle(
    name: string,
    request: Request,
    token: string,
    proof: ProofContext,
    /** The POST's body, read by the HTTP adapter (straight from Node's request, within the size limit). */
    body: () => Promise<Uint8Array> = async () => new Uint8Array(await request.arrayBuffer()),
    /** The request's `X-Request-Id`, named in the records of what it decides. */
    requestId?: string,
  ): Promise<Response> {
    const upstream = this.upstreams.get(name)
    if (!upstream) throw new WardenError('UPSTREAM_NOT_FOUND', `no upstream \`${name}\``)
    const sessionId = request.headers.get('mcp-session-id')
    // What is known of this caller spares re-reading what cannot have changed; the token and proof are checked
    // in full, and the task's, instance's and agent's standing read again (`TaskLifecycle.authenticate`).
    const known = sessionId ? this.sessions.get(sessionId)?.caller : this.callers.get(token)
    const caller = callerOf(await this.lifecycle.authenticate(token, proof, known), requestId)
    if (request.method !== 'POST') return this.viaSession(upstream, caller, sessionId, request)
    let message: Inbound | PostedResponse
    let era: Era
    try {
      // Streamable HTTP: a POST carries one JSON-RPC message as `application/json`.
      const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
      if (type !== 'application/json') {
        throw new RpcFailure(JSONRPC.INVALID_REQUEST, 'unsupported media type: send `application/json`', 415)
      }
      message = parseMessage(await body(), this.jsonLimits)
      // A posted response answers a server's request on a 2025-era session's stream: the session takes it.
      if (isResponse(message)) {
        if (!sessionId)
          throw new RpcFailure(JSONRPC.INVALID_REQUEST, 'invalid request: no session to answer', 400)
        return this.viaSession(upstream, caller, sessionId, request, { jsonrpc: '2.0', ...message })
      }
      era = classify(message, request.headers)
    } catch (error) {
      if (error instanceof HeaderMismatch) await this.recordMismatch(upstream, caller, error)
      if (error instanceof RpcFailure) return failureResponse(error)
      throw error
    }
    if (era === 'modern') {
      this.remember(token, caller)
      // A notification has no answer; none of the revision's notifications changes what Warden does.
      if (message.id === undefined) return new Response(null, { status: 202 })
      const capabilities = downstreamCapabilities(await upstream.capabilities(), false)
      return dispatch(
        { calls: this.calls, upstream, caller, capabilities, rounds: this.rounds },
        message,
        'modern',
      )
    }
    const session = sessionId ? this.sessions.get(sessionId) : undefined
    // An isolated upstream's session too, unless its server may ask its client something mid-call (sampling,
    // elicitation, roots: answered on the request's stream by the SDK server transport).
    // A protocol version header the session cannot speak is the SDK transport's to refuse (400), as before.
    const version = request.headers.get('mcp-protocol-version')
    if (
      session &&
      isPlainLegacyRequest(message) &&
      (version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version)) &&
      (!upstream.isolated || !session.link.answersServerRequests)
    ) {
      this.bind(session, upstream, caller)
      return dispatch(
        {
          calls: this.calls,
          upstream,
          caller,
          capabilities: session.capabilities,
          ...(upstream.isolated ? { link: session.link } : {}),
        },
        message,
        'legacy',
      )
    }
    const parsedBody = { jsonrpc: '2.0', ...message }
    return this.viaSession(upstream, caller, sessionId, request, parsedBody)
  }

  /** A request on the session's SDK transport; without a session id, one opened for it (kept if it initializes). */
  private async viaSession(
    upstream: Upstream,
    caller: AuthenticatedTask,
    sessionId: string | null,
    request: Request,
    parsedBody?: unknown,
  ): Promise<Response> {
    const options = parsedBody === undefined ? undefined : { parsedBody }
    if (sessionId) {
      // Looked up after authenticating: the session may have ended meanwhile (closed, swept, its task closed).
      const session = this.sessions.get(sessionId)
      if (!session) throw new WardenError('NOT_FOUND', 'no such MCP session')
      this.bind(session, upstream, caller)
      return session.transport.handleRequest(request, options)
    }
    const session = await this.open(upstream, caller)
    const response = await session.transport.handleRequest(request, options)
    // A request that did not initialize a session (malformed, or not `initialize`) leaves nothing behind.
    if (!session.id) await session.transport.close().catch(() => undefined)
    return response
  }

  /** Checks that `session` is `caller`'s on `upstream`, and makes `caller` its current one. */
  private bind(session: HttpSession, upstream: Upstream, caller: AuthenticatedTask): void {
    if (session.upstream !== upstream) throw new WardenError('NOT_FOUND', 'no such MCP session')
    // INVARIANT: a session answers only the task that opened it (MCP security best practices, session binding).
    if (session.caller.task.id !== caller.task.id) {
      throw new WardenError('SESSION_MISMATCH', 'this MCP session belongs to another task')
    }
    session.caller = caller
    session.seen = Date.now()
  }

  /** Keeps a stateless caller, by its token, so its next request re-reads only what can change. */
  private remember(token: string, caller: AuthenticatedTask): void {
    if (this.callers.has(token)) return
    if (this.callers.size >= MAX_CALLERS) this.callers.delete(this.callers.keys().next().value as string)
    this.callers.set(token, caller)
  }

  /** A header that disagreed with its body: a signal in the chain (an intermediary may have routed on it). */
  private async recordMismatch(upstream: Upstream, caller: AuthenticatedTask, mismatch: HeaderMismatch) {
    await this.chain.append({
      kind: 'signal',
      task: caller.task.id,
      agent: caller.instance.spiffeId,
      body: {
        kind: 'header_mismatch',
        severity: 'medium',
        evidence: {
          server: upstream.name,
          header: mismatch.header,
          sent: mismatch.sent,
          body: mismatch.body,
        },
        refs: ['MCP-2026-07-28:SEP-2243'],
        action: 'refused',
      },
    })
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
    let held = 0
    for (const session of this.sessions.values())
      if (session.caller.instance.id === caller.instance.id) held++
    if (held >= MAX_SESSIONS_PER_INSTANCE) {
      throw new WardenError(
        'SESSION_LIMIT',
        `instance \`${caller.instance.id}\` holds ${held} MCP sessions; close one (DELETE) or let one expire`,
      )
    }
    const capabilities = downstreamCapabilities(await upstream.capabilities(), upstream.isolated)
    const server = this.downstreamServer(upstream, capabilities)
    const session: HttpSession = {
      id: '',
      upstream,
      server,
      capabilities,
      caller,
      seen: Date.now(),
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
      send: (client: SessionClient, params: P, options: RequestOptions) => Promise<T>,
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
    const allow = async (request: ToolRequest): Promise<Decided> =>
      this.calls.allow(await session.current(), request)

    server.setRequestHandler(ListToolsRequestSchema, async () => {
      const caller = await session.current()
      await link.use()
      return (await this.calls.listTools(upstream, caller)) as never
    })

    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const caller = await session.current()
      return this.calls.callTool(
        upstream,
        caller,
        request.params,
        (decided, params) =>
          forward(extra, decided, { ...params, _meta: request.params._meta }, (client, p, options) =>
            client.callTool(p, undefined, options),
          ) as Promise<CallToolResult>,
      )
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

      server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) =>
        this.calls.readResource(upstream, await session.current(), request.params.uri, (decided) =>
          forward(extra, decided, request.params, (client, p, options) => client.readResource(p, options)),
        ),
      )

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
      // Where the read is denied, so is the completion (`Calls.completion`).
      server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
        const decided = await allow(Calls.completion(name, request.params))
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
}
