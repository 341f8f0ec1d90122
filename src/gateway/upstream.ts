import { randomUUID } from 'node:crypto'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  type Progress,
  ProgressNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ResultSchema,
  type ServerCapabilities,
  type ServerNotification,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import type { ToolCatalog, ToolDefinition } from '../catalog/index.js'
import type { UpstreamConfig } from '../config/index.js'
import { type Logger, WardenError } from '../kernel/index.js'
import { unpinnedPackage } from './package-pinning.js'
import { RPC } from './rpc.js'
import {
  type SessionClient,
  sessionClient,
  sessionShaped,
  statelessClient,
  type UpstreamClient,
} from './upstream-client.js'
import { type UpstreamHttp, upstreamHttp } from './upstream-http.js'
import { HttpSession, StatelessUpstream } from './upstream-rpc.js'

/**
 * The environment a stdio upstream inherits: Warden's own, without Warden's settings and credentials
 * (`WARDEN_*`: under `warden gateway stdio` that includes the agent's task token and the path to its key). An
 * upstream gets its credentials from Warden (leases, `env` in its config), never the agent's.
 */
function upstreamEnvironment(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('WARDEN_')) env[name] = value
  }
  return env
}

const MAX_BACKOFF = 10_000

/** A server's request a session's own connection relays to its client, and what the handler gets with it. */
export type RelayedMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list'
export type ServerRequestHandler = (
  params: Record<string, unknown>,
  extra: { requestId: string | number; signal: AbortSignal },
) => Promise<Record<string, unknown>>

/** Where a session's own upstream connection hands what the server sends it. */
export interface SessionHandlers {
  /** The server's requests this session answers (only for capabilities it declared). */
  requests: Partial<Record<RelayedMethod, ServerRequestHandler>>
  /** Log messages, resource updates and list changes (progress is routed by token, `openProgress`). */
  notification?: (notification: ServerNotification) => void
}

const RELAYED_SCHEMAS = {
  'sampling/createMessage': CreateMessageRequestSchema,
  'elicitation/create': ElicitRequestSchema,
  'roots/list': ListRootsRequestSchema,
} as const

/** The notifications a session's own connection relays (the rest, like the SDK client's, are dropped). */
const SESSION_NOTIFICATIONS = [
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ResourceListChangedNotificationSchema,
  PromptListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
] as const
const SESSION_NOTIFICATION_METHODS: ReadonlySet<string> = new Set(
  SESSION_NOTIFICATIONS.map((schema) => schema.shape.method.value as string),
)

/** A downstream session as a shared upstream connection sees it: where its fan-out notifications go. */
export interface SharedListener {
  deliver(notification: ServerNotification): void
}

/**
 * One MCP server behind the gateway: a real SDK client over stdio (spawned, restarted with backoff when it
 * exits), or over Streamable HTTP the gateway's own client (`upstream-rpc.ts`). This shared connection syncs the tool list into the catalog, which pins each
 * definition, and serves the sessions of a `shared` upstream; `isolated` sessions open their own connection
 * ({@link Upstream.openSession}).
 */
export class Upstream {
  private client: SessionClient | undefined
  private connecting: Promise<SessionClient> | undefined
  /** The stdio server's transport while connected (its process id, for operators and tests). */
  private stdio: StdioClientTransport | undefined
  private backoff = 250
  private stopped = false
  private tools: ToolDefinition[] = []
  /** An HTTP upstream's connection pool, shared by the shared connection and every isolated session's. */
  private http: UpstreamHttp | undefined
  /** Sessions using the shared connection, for notifications that concern all of them (list changes). */
  private readonly listeners = new Set<SharedListener>()
  /** Progress tokens the gateway gave upstream requests (on any of its connections), and where each goes. */
  private readonly progress = new Map<string, (progress: Progress) => void>()
  /** Resource subscriptions on the shared connection: URI → the sessions subscribed (upstream sees one). */
  private readonly subscribers = new Map<string, Set<SharedListener>>()
  /**
   * An HTTP upstream's 2026-07-28 side, once its `server/discover` said it serves the revision (undefined inside:
   * a 2025 server). Asked once per connection of the shared client; asked again after a reconnect.
   */
  private stateless: Promise<UpstreamClient | undefined> | undefined
  /** Times the connection was lost and started again (`warden_upstream_restarts_total`). */
  restarts = 0

  constructor(
    readonly name: string,
    readonly config: UpstreamConfig,
    private readonly catalog: ToolCatalog,
    private readonly logger: Logger,
  ) {}

  /** Whether each downstream session gets its own upstream connection. */
  get isolated(): boolean {
    return this.config.sessions === 'isolated'
  }

  /** A stdio upstream's transport (HTTP upstreams are on the gateway's own client, `upstream-rpc.ts`). */
  private transport(): StdioClientTransport {
    // INVARIANT: nothing fetched unpinned from a registry is ever spawned (SC-03).
    const unpinned = unpinnedPackage(this.config.command ?? [])
    if (unpinned)
      throw new WardenError('UPSTREAM_UNAVAILABLE', `upstream \`${this.name}\` refused: ${unpinned}`)
    const [command, ...args] = this.config.command ?? []
    return new StdioClientTransport({
      command: command === 'node' ? process.execPath : (command as string),
      args,
      env: { ...upstreamEnvironment(), ...this.config.env },
      ...(this.config.cwd ? { cwd: this.config.cwd } : {}),
      // A stdio server's stderr is its log, never part of the protocol.
      stderr: 'pipe',
    })
  }

  private httpConnections(): UpstreamHttp {
    this.http ??= upstreamHttp(new URL(this.config.url as string), { timeout: this.config.timeout })
    return this.http
  }

  private info(): { name: string; version: string } {
    return { name: `warden-gateway/${this.name}`, version: '0.1.0' }
  }

  /** Connects (once; concurrent callers share the attempt) and syncs the tool list into the catalog. */
  connect(): Promise<SessionClient> {
    if (this.client) return Promise.resolve(this.client)
    this.connecting ??= (async () => {
      const client = this.config.url ? await this.connectHttp() : await this.connectStdio()
      await this.refreshTools(client)
      this.client = client
      this.backoff = 250
      this.logger.info('upstream connected', { upstream: this.name, tools: this.tools.length })
      return client
    })().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  // Sampling, elicitation and roots are declared so that servers which offer some tools only to such clients
  // list them for the catalog; on the shared connection they are refused (see `refuseUnroutable`).
  private static readonly SHARED_CAPABILITIES: ClientCapabilities = {
    sampling: {},
    elicitation: {},
    roots: {},
  }

  private async connectStdio(): Promise<SessionClient> {
    const client = new Client(this.info(), { capabilities: Upstream.SHARED_CAPABILITIES })
    this.refuseUnroutable(client)
    this.fanOut(client)
    this.routeProgress(client)
    const transport = this.transport()
    transport.onclose = () => this.lost(client)
    // The handshake is bounded like any call: an upstream that accepts and never answers does not hang here.
    await client.connect(transport, { timeout: this.config.timeout })
    this.stdio = transport
    return client
  }

  /**
   * The shared 2025 session with an HTTP upstream, on the gateway's own client: what the server sends on its own
   * is handled as on a stdio upstream's SDK client (progress by token, list changes fanned out, its requests
   * refused). A session the upstream forgot is initialized again by the client; what the old one held upstream
   * (subscriptions) is asked for again here.
   */
  private async connectHttp(): Promise<SessionClient> {
    const session: HttpSession = new HttpSession(
      this.httpConnections().wire,
      this.info(),
      Upstream.SHARED_CAPABILITIES,
      this.config.timeout,
      {
        notification: (method, params) => this.sharedNotification(shaped, method, params),
        request: async (method) => {
          throw this.unroutable(method)
        },
      },
      () => {
        this.dropStateless()
        this.refreshCatalog()
        for (const uri of this.subscribers.keys()) {
          shaped
            .subscribeResource({ uri }, { timeout: this.config.timeout })
            .catch((error: unknown) =>
              this.logger.warn('upstream resubscribe failed', { upstream: this.name, error: String(error) }),
            )
        }
      },
    )
    const shaped = sessionShaped(session, this.config.timeout)
    await session.start()
    return shaped
  }

  /** A notification on the HTTP shared session, as `fanOut` and `routeProgress` handle them on an SDK client. */
  private sharedNotification(client: SessionClient, method: string, params: Record<string, unknown>): void {
    const notification = {
      method,
      ...(Object.keys(params).length > 0 ? { params } : {}),
    } as unknown as ServerNotification
    switch (method) {
      case 'notifications/progress': {
        const { progressToken, ...progress } = params
        this.progress.get(String(progressToken))?.(progress as unknown as Progress)
        return
      }
      case 'notifications/tools/list_changed':
        this.refreshTools(client)
          .catch((error: unknown) =>
            this.logger.error('tool list refresh failed', { upstream: this.name, error: String(error) }),
          )
          .then(() => this.broadcast(notification))
        return
      case 'notifications/resources/list_changed':
      case 'notifications/prompts/list_changed':
        this.broadcast(notification)
        return
      case 'notifications/resources/updated':
        for (const listener of this.subscribers.get(String(params.uri)) ?? []) listener.deliver(notification)
        return
      default:
      // A log message names no session: dropped (shared sessions do not advertise logging); so is the rest.
    }
  }

  private unroutable(method: string): McpError {
    return new McpError(
      RPC.UNROUTABLE,
      `${method} refused by Warden: upstream \`${this.name}\` is shared by all sessions, so the request cannot be routed to the client that caused it (configure \`sessions: isolated\`)`,
    )
  }

  /**
   * A server-to-client request on the shared connection could have been caused by any session's call: relaying
   * it to one of them would be a guess, and a wrong guess hands one agent's request to another. Refused.
   */
  private refuseUnroutable(client: Client): void {
    const refuse = (method: string) => async () => {
      throw this.unroutable(method)
    }
    client.setRequestHandler(CreateMessageRequestSchema, refuse('sampling/createMessage'))
    client.setRequestHandler(ElicitRequestSchema, refuse('elicitation/create'))
    client.setRequestHandler(ListRootsRequestSchema, refuse('roots/list'))
  }

  /**
   * Progress is routed by the token the gateway gave the request. Not the SDK's own `onprogress`: it drops a
   * request's last progress when the answer arrives in the same read (stdio), as its handler is removed
   * synchronously while the notification is dispatched a microtask later.
   */
  private routeProgress(client: Client): void {
    client.setNotificationHandler(ProgressNotificationSchema, (notification) => {
      const { progressToken, ...progress } = notification.params
      this.progress.get(String(progressToken))?.(progress)
    })
  }

  /** A fresh progress token for an upstream request; its notifications go to `route` until closed. */
  openProgress(route: (progress: Progress) => void): string {
    const token = `warden-${randomUUID()}`
    this.progress.set(token, route)
    return token
  }

  closeProgress(token: string): void {
    this.progress.delete(token)
  }

  /** Notifications on the shared connection: only those whose recipients are unambiguous are relayed. */
  private fanOut(client: Client): void {
    client.setNotificationHandler(ToolListChangedNotificationSchema, async (notification) => {
      await this.refreshTools(client).catch((error: unknown) =>
        this.logger.error('tool list refresh failed', { upstream: this.name, error: String(error) }),
      )
      this.broadcast(notification)
    })
    client.setNotificationHandler(ResourceListChangedNotificationSchema, (n) => this.broadcast(n))
    client.setNotificationHandler(PromptListChangedNotificationSchema, (n) => this.broadcast(n))
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      for (const listener of this.subscribers.get(notification.params.uri) ?? [])
        listener.deliver(notification)
    })
    // A log message names no session: dropped (shared sessions do not advertise logging).
    client.setNotificationHandler(LoggingMessageNotificationSchema, () => undefined)
  }

  private broadcast(notification: ServerNotification): void {
    // INVARIANT: only `isolated === false` sessions listen here; a list change carries no session's data.
    for (const listener of this.listeners) listener.deliver(notification)
  }

  private lost(client: SessionClient): void {
    if (this.client !== client && this.client !== undefined) return
    this.client = undefined
    this.stdio = undefined
    this.dropStateless()
    if (this.stopped) return
    this.restarts += 1
    const delay = this.backoff
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF)
    this.logger.warn('upstream lost; reconnecting', { upstream: this.name, inMs: delay })
    setTimeout(() => {
      if (!this.stopped)
        this.connect().catch((error: unknown) =>
          this.logger.error('upstream reconnect failed', { upstream: this.name, error: String(error) }),
        )
    }, delay).unref()
  }

  private async refreshTools(client: SessionClient): Promise<void> {
    const tools: ToolDefinition[] = []
    let cursor: string | undefined
    do {
      const params = cursor ? { cursor } : {}
      const page = await client.listTools(params).catch(async () => {
        // The SDK refuses a list that breaks MCP's schema (GitLab's server gives root input schemas no `type`);
        // Warden takes it as sent, the tools it can name, since their calls are checked against their own schema.
        // (A transport failure fails this request too.)
        const raw = await client.request({ method: 'tools/list', params }, ResultSchema)
        const listed = Array.isArray(raw.tools) ? (raw.tools as Array<Record<string, unknown>>) : []
        return {
          tools: listed.filter(
            (tool) => typeof tool.name === 'string' && typeof tool.inputSchema === 'object',
          ),
          nextCursor: typeof raw.nextCursor === 'string' ? raw.nextCursor : undefined,
        }
      })
      // The gateway's own client takes a list as sent: the same filter as the fallback above.
      const listed = (Array.isArray(page.tools) ? page.tools : []) as unknown as Array<
        Record<string, unknown>
      >
      for (const tool of listed) {
        if (typeof tool.name === 'string' && typeof tool.inputSchema === 'object')
          tools.push(tool as unknown as ToolDefinition)
      }
      cursor = page.nextCursor
    } while (cursor)
    this.tools = tools
    const synced = await this.catalog.sync(this.name, tools, this.config.sensitivity)
    if (synced.quarantined.length > 0) {
      this.logger.warn('tool definitions changed; quarantined until approved', {
        upstream: this.name,
        tools: synced.quarantined,
      })
    }
  }

  /** Re-lists the tools on the shared connection (an isolated session saw its list change). */
  refreshCatalog(): void {
    if (!this.client) return
    this.refreshTools(this.client).catch((error: unknown) =>
      this.logger.error('tool list refresh failed', { upstream: this.name, error: String(error) }),
    )
  }

  /** The connected shared client, or `UPSTREAM_UNAVAILABLE`. */
  async use(): Promise<SessionClient> {
    try {
      return await this.connect()
    } catch (cause) {
      throw new WardenError('UPSTREAM_UNAVAILABLE', `upstream \`${this.name}\` is unavailable`, { cause })
    }
  }

  /**
   * The connection a request of `era` goes upstream on: a 2026-07-28 request to an HTTP upstream that serves the
   * revision goes statelessly, as the client sent it; anything else on the shared 2025 session.
   */
  async clientFor(era: 'modern' | 'legacy'): Promise<UpstreamClient> {
    if (era === 'modern' && this.config.url) {
      const stateless = await this.statelessConnection()
      if (stateless) return stateless
    }
    return this.sessionClient(await this.use())
  }

  /** A 2025 session's client (the shared one, or a session's own) as the gateway's dispatch uses it. */
  sessionClient(client: SessionClient): UpstreamClient {
    return sessionClient(client, {
      open: (route) => this.openProgress(route as (progress: Progress) => void),
      close: (token) => this.closeProgress(token),
    })
  }

  private async statelessConnection(): Promise<UpstreamClient | undefined> {
    this.stateless ??= StatelessUpstream.discover(
      this.httpConnections().wire,
      this.info(),
      this.config.timeout,
    )
      .then((upstream) => (upstream ? statelessClient(upstream) : undefined))
      .catch((error: unknown) => {
        // Not remembered: the next request asks again (the session path serves meanwhile).
        this.stateless = undefined
        this.logger.warn('upstream discovery failed', { upstream: this.name, error: String(error) })
        return undefined
      })
    return this.stateless
  }

  /** Forgets what discovery found: asked again on the next 2026-07-28 request (the upstream may have changed). */
  private dropStateless(): void {
    this.stateless = undefined
  }

  /** The upstream's capabilities as the shared connection saw them, or undefined while it is unavailable. */
  async capabilities(): Promise<ServerCapabilities | undefined> {
    return (await this.connect().catch(() => undefined))?.getServerCapabilities()
  }

  /**
   * A new connection for one downstream session (a new MCP session over HTTP on the gateway's own client, a new
   * process over stdio on the SDK's), declaring `capabilities` (the downstream client's). Its `handlers` are set
   * before it connects, so nothing the server sends at initialization is missed; `onLost` runs when it closes by
   * itself.
   */
  async openSession(
    capabilities: ClientCapabilities,
    handlers: SessionHandlers,
    onLost: (client: SessionClient) => void,
  ): Promise<SessionClient> {
    if (this.config.url) return this.openHttpSession(capabilities, handlers)
    const client = new Client(this.info(), { capabilities })
    this.routeProgress(client)
    for (const [method, handler] of Object.entries(handlers.requests)) {
      client.setRequestHandler(
        RELAYED_SCHEMAS[method as RelayedMethod],
        (request, extra) => handler((request.params ?? {}) as Record<string, unknown>, extra) as never,
      )
    }
    const notify = handlers.notification
    if (notify)
      for (const schema of SESSION_NOTIFICATIONS) client.setNotificationHandler(schema, notify as never)
    const transport = this.transport()
    // Set before connecting: the SDK chains its own close handling onto this one.
    transport.onclose = () => onLost(client)
    try {
      await client.connect(transport, { timeout: this.config.timeout })
    } catch (cause) {
      await client.close().catch(() => undefined)
      throw new WardenError('UPSTREAM_UNAVAILABLE', `upstream \`${this.name}\` is unavailable`, { cause })
    }
    return client
  }

  private async openHttpSession(
    capabilities: ClientCapabilities,
    handlers: SessionHandlers,
  ): Promise<SessionClient> {
    const session = new HttpSession(
      this.httpConnections().wire,
      this.info(),
      capabilities,
      this.config.timeout,
      {
        notification: (method, params) => {
          if (method === 'notifications/progress') {
            const { progressToken, ...progress } = params
            this.progress.get(String(progressToken))?.(progress as unknown as Progress)
            return
          }
          if (!SESSION_NOTIFICATION_METHODS.has(method)) return
          handlers.notification?.({
            method,
            ...(Object.keys(params).length > 0 ? { params } : {}),
          } as unknown as ServerNotification)
        },
        request: (method, params, id) => {
          const handler = handlers.requests[method as RelayedMethod]
          // As the SDK client answers a request it has no handler for.
          if (!handler) return Promise.reject(new McpError(ErrorCode.MethodNotFound, 'Method not found'))
          return handler(params, { requestId: id, signal: new AbortController().signal })
        },
      },
    )
    try {
      await session.start()
    } catch (cause) {
      await session.close()
      throw new WardenError('UPSTREAM_UNAVAILABLE', `upstream \`${this.name}\` is unavailable`, { cause })
    }
    return sessionShaped(session, this.config.timeout)
  }

  /** Registers a session of the shared connection for list-change notifications. */
  attach(listener: SharedListener): void {
    this.listeners.add(listener)
  }

  /** Forgets a session: its list-change fan-out and every subscription it held. */
  async detach(listener: SharedListener): Promise<void> {
    this.listeners.delete(listener)
    for (const uri of [...this.subscribers.keys()]) await this.unsubscribe(listener, uri)
  }

  /** Subscribes a session of the shared connection; upstream sees one subscription per URI. */
  async subscribe(listener: SharedListener, uri: string, timeout: number): Promise<void> {
    const current = this.subscribers.get(uri)
    if (!current) {
      await (await this.use()).subscribeResource({ uri }, { timeout })
      // A concurrent first subscriber may have won the race; keep its set.
      const set = this.subscribers.get(uri) ?? new Set()
      set.add(listener)
      this.subscribers.set(uri, set)
      return
    }
    current.add(listener)
  }

  /** Drops one session's subscription; the last one out unsubscribes upstream. */
  async unsubscribe(listener: SharedListener, uri: string, timeout?: number): Promise<void> {
    const set = this.subscribers.get(uri)
    if (!set?.delete(listener) || set.size > 0) return
    this.subscribers.delete(uri)
    await this.client
      ?.unsubscribeResource({ uri }, timeout ? { timeout } : undefined)
      .catch((error: unknown) =>
        this.logger.warn('upstream unsubscribe failed', { upstream: this.name, error: String(error) }),
      )
  }

  /** Whether a live connection is held (`/readyz`, `warden_upstream_up`). */
  get connected(): boolean {
    return this.client !== undefined
  }

  /** The stdio server's process id while connected (for operators and tests). */
  processId(): number | null {
    return this.stdio?.pid ?? null
  }

  /** The upstream's current tool definitions (as last listed). */
  listedTools(): readonly ToolDefinition[] {
    return this.tools
  }

  async close(): Promise<void> {
    this.stopped = true
    const client = this.client
    this.client = undefined
    this.listeners.clear()
    this.subscribers.clear()
    await client?.close().catch(() => undefined)
    this.stateless = undefined
    this.stdio = undefined
    await this.http?.close().catch(() => undefined)
    this.http = undefined
  }
}
