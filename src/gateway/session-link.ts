import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js'
import {
  type ClientCapabilities,
  type CreateMessageRequest,
  type ElicitRequest,
  type LoggingLevel,
  McpError,
  type RequestId,
  type ServerNotification,
} from '@modelcontextprotocol/sdk/types.js'
import { type ActivityChain, summarizeOutput } from '../chain/index.js'
import type { Decision } from '../enforcement/index.js'
import { type Logger, WardenError } from '../kernel/index.js'
import type { AuthenticatedTask } from '../tasks/index.js'
import { RPC } from './rpc.js'
import type { SessionHandlers, SharedListener, Upstream } from './upstream.js'
import type { SessionClient } from './upstream-client.js'

/** What a link needs of its downstream session. */
export interface Downstream {
  server: Server
  /** The session's task, re-checked now (a closed task or quarantined instance throws). */
  standing(): Promise<AuthenticatedTask>
  /** Decides a server's request to this session's client (policy, as for the agent's own requests). */
  decide(
    caller: AuthenticatedTask,
    method: 'sampling/createMessage' | 'elicitation/create' | 'roots/list',
  ): Promise<Decision>
}

/**
 * A downstream request being answered: its JSON-RPC id, the chain id of the call it was decided under, and the
 * messages being sent on its stream (its answer waits for them: once answered, its stream is closed).
 */
interface InFlight {
  id: RequestId
  call: string | null
  sending: Promise<void>
  /** Where its notifications go when the gateway's own dispatch answers it (else the SDK server's stream). */
  emit?: ((notification: ServerNotification) => void) | undefined
}

/** The origin of a URL an elicitation sends the user to (its path and query may carry one-time codes). */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin
  } catch {
    return null
  }
}

function text(value: unknown): string {
  if (typeof value === 'string') return value
  return JSON.stringify(value ?? null)
}

/**
 * What the chain keeps of a server-to-client request: its shape and digests, never its content (prompts and
 * answers may carry the task's data; the chain stores digests of data, as it does for tool outputs).
 */
function describeRequest(method: string, params: Record<string, unknown>): Record<string, unknown> {
  if (method === 'sampling/createMessage') {
    const p = params as CreateMessageRequest['params']
    return {
      messages: p.messages.length,
      // `thisServer` / `allServers` asks the client to add its own context: what an auditor looks for first.
      includeContext: p.includeContext ?? 'none',
      maxTokens: p.maxTokens,
      tools: (p.tools ?? []).map((tool) => tool.name),
      prompt: summarizeOutput(
        `${p.systemPrompt ?? ''}\n${p.messages.map((m) => text(m.content)).join('\n')}`,
      ),
    }
  }
  if (method === 'elicitation/create') {
    const p = params as ElicitRequest['params']
    if (p.mode === 'url') return { mode: 'url', origin: originOf(p.url), message: summarizeOutput(p.message) }
    return {
      mode: 'form',
      fields: Object.keys(p.requestedSchema.properties),
      message: summarizeOutput(p.message),
    }
  }
  return {}
}

/** What the chain keeps of the client's answer: the outcome, and digests (field names, never values). */
function describeResult(method: string, result: Record<string, unknown>): Record<string, unknown> {
  if (method === 'sampling/createMessage')
    return {
      model: result.model ?? null,
      stopReason: result.stopReason ?? null,
      content: summarizeOutput(text(result.content)),
    }
  if (method === 'elicitation/create')
    return {
      action: result.action ?? null,
      fields: Object.keys((result.content as object | undefined) ?? {}),
    }
  if (method === 'roots/list') return { roots: Array.isArray(result.roots) ? result.roots.length : 0 }
  return {}
}

/**
 * The upstream side of one downstream session. For an `isolated` upstream it owns a connection of its own,
 * opened on first use with the downstream client's capabilities, over which everything the server sends —
 * sampling, elicitation and roots requests, log messages, resource updates, list changes — belongs to this
 * session alone and is relayed to it. For a `shared` upstream it uses the shared connection and receives only
 * what routes unambiguously (list changes, updates of resources it subscribed to).
 */
export class SessionLink implements SharedListener {
  private client: SessionClient | undefined
  private opening: Promise<SessionClient> | undefined
  private closed = false
  /** Downstream requests in flight, oldest first. */
  private readonly inflight = new Map<RequestId, InFlight>()
  private readonly subscriptions = new Set<string>()

  constructor(
    readonly upstream: Upstream,
    private readonly downstream: Downstream,
    private readonly chain: ActivityChain,
    private readonly logger: Logger,
  ) {
    if (!upstream.isolated) upstream.attach(this)
  }

  /**
   * Whether the server can send this session's client requests of its own (sampling, elicitation, roots): only
   * where the client declared one of them (its upstream connection declares what the client does).
   */
  get answersServerRequests(): boolean {
    const caps = this.mirroredCapabilities()
    return caps.sampling !== undefined || caps.elicitation !== undefined || caps.roots !== undefined
  }

  /** The upstream client this session's requests go to. */
  async use(): Promise<SessionClient> {
    if (this.closed) throw new WardenError('UPSTREAM_UNAVAILABLE', 'this MCP session is closed')
    if (!this.upstream.isolated) return this.upstream.use()
    if (this.client) return this.client
    this.opening ??= this.open().finally(() => {
      this.opening = undefined
    })
    return this.opening
  }

  private async open(): Promise<SessionClient> {
    const capabilities = this.mirroredCapabilities()
    const client = await this.upstream.openSession(capabilities, this.handlers(capabilities), (c) =>
      this.lost(c),
    )
    if (this.closed) {
      await client.close().catch(() => undefined)
      throw new WardenError('UPSTREAM_UNAVAILABLE', 'this MCP session is closed')
    }
    this.client = client
    return client
  }

  /**
   * The downstream client's sampling, elicitation and roots capabilities, declared upstream as if the agent
   * were connected directly: the server offers what the agent can answer. Tasks are not relayed.
   */
  private mirroredCapabilities(): ClientCapabilities {
    const theirs = this.downstream.server.getClientCapabilities() ?? {}
    return {
      ...(theirs.sampling ? { sampling: theirs.sampling } : {}),
      ...(theirs.elicitation ? { elicitation: theirs.elicitation } : {}),
      ...(theirs.roots ? { roots: theirs.roots } : {}),
    }
  }

  /** What this session's own connection does with the server's requests (only those declared) and notifications. */
  private handlers(caps: ClientCapabilities): SessionHandlers {
    const { server } = this.downstream
    const requests: SessionHandlers['requests'] = {}
    if (caps.sampling) {
      requests['sampling/createMessage'] = (params, extra) =>
        this.relay('sampling/createMessage', params, extra, (options) =>
          server.createMessage(params as CreateMessageRequest['params'], options),
        )
    }
    if (caps.elicitation) {
      requests['elicitation/create'] = (params, extra) =>
        this.relay('elicitation/create', params, extra, (options) =>
          server.elicitInput(params as ElicitRequest['params'], options),
        )
    }
    if (caps.roots) {
      requests['roots/list'] = (params, extra) =>
        this.relay('roots/list', params, extra, (options) => server.listRoots(params, options))
    }
    return {
      requests,
      notification: (n) => {
        // What the agent lists is the pinned catalog: re-sync it (a changed definition is quarantined) first.
        if (n.method === 'notifications/tools/list_changed') this.upstream.refreshCatalog()
        this.deliver(n)
      },
    }
  }

  /**
   * Relays a server-to-client request to this session's client and its answer back, after checking that the
   * task still stands, and records both in the chain (fail closed: an unrecorded request is not relayed).
   */
  private async relay<T extends Record<string, unknown>>(
    method: string,
    params: Record<string, unknown>,
    extra: { requestId: RequestId; signal: AbortSignal },
    send: (options: RequestOptions) => Promise<T>,
  ): Promise<T> {
    const caller = await this.downstream.standing()
    // INVARIANT: a server's request reaches the client only if policy allows it (recorded like any decision).
    const decision = await this.downstream.decide(caller, method as Parameters<Downstream['decide']>[1])
    if (decision.effect !== 'allow') {
      throw new McpError(
        RPC.DENIED,
        `denied by Warden (decision ${decision.decisionId}): ${[...decision.errors, ...decision.reasons].join('; ') || 'no policy allows it'}`,
        { decisionId: decision.decisionId },
      )
    }
    const related = this.related()
    const base = { task: caller.task.id, agent: caller.instance.spiffeId }
    const ids = {
      server: this.upstream.name,
      method,
      request: String(extra.requestId),
      call: related?.call ?? null,
    }
    await this.chain.append({
      ...base,
      kind: 'server.request',
      body: { ...ids, ...describeRequest(method, params) },
    })
    const record = (body: Record<string, unknown>) =>
      this.chain
        .append({ ...base, kind: 'server.result', body: { ...ids, ...body } })
        .catch((error: unknown) =>
          this.logger.error('a relayed answer could not be recorded', { error: String(error) }),
        )
    try {
      const result = await send({
        signal: extra.signal,
        timeout: this.upstream.config.timeout,
        ...(related ? { relatedRequestId: related.id } : {}),
      })
      void record(describeResult(method, result))
      return result
    } catch (error) {
      void record({ error: error instanceof Error ? error.message : String(error) })
      throw error
    }
  }

  /**
   * The downstream request a server message most likely belongs to: the newest one in flight. The upstream
   * connection is this session's alone, so any choice stays within the session; relating it only picks the
   * HTTP stream it travels on (a client without a standalone stream still receives it).
   */
  private related(): InFlight | undefined {
    let last: InFlight | undefined
    for (const entry of this.inflight.values()) last = entry
    return last
  }

  /** Sends a notification to this session's client, on the stream of a request in flight where there is one. */
  deliver(notification: ServerNotification): void {
    if (this.closed) return
    const { server } = this.downstream
    const related = this.related()
    const standalone = () => server.notification(notification)
    if (!related) {
      standalone().catch((error: unknown) => this.undelivered(notification, error))
      return
    }
    const emit = related.emit
    if (emit) {
      this.sendDuring(related.id, async () => emit(notification))
      return
    }
    this.sendDuring(related.id, () =>
      server
        .notification(notification, { relatedRequestId: related.id })
        .catch(standalone)
        .catch((error: unknown) => this.undelivered(notification, error)),
    )
  }

  private undelivered(notification: ServerNotification, error: unknown): void {
    this.logger.warn('a notification could not be relayed', {
      upstream: this.upstream.name,
      method: notification.method,
      error: String(error),
    })
  }

  /**
   * Sends a message on the stream of downstream request `id`, after those sent before it and before the
   * request's answer (an answer overtaking its last progress notification would close the stream on it).
   */
  sendDuring(id: RequestId, send: () => Promise<void>): void {
    const entry = this.inflight.get(id)
    if (!entry) {
      send().catch(() => undefined)
      return
    }
    entry.sending = entry.sending.then(send).catch(() => undefined)
  }

  /**
   * Runs `work` as downstream request `id` (decided as chain call `call`), so server messages can relate to it;
   * its notifications go to `emit` where given (the gateway's own dispatch answers it).
   */
  async track<T>(
    id: RequestId,
    call: string | null,
    work: () => Promise<T>,
    emit?: (notification: ServerNotification) => void,
  ): Promise<T> {
    const entry: InFlight = { id, call, sending: Promise.resolve(), emit }
    this.inflight.set(id, entry)
    try {
      const result = await work()
      await entry.sending
      return result
    } finally {
      this.inflight.delete(id)
    }
  }

  async setLoggingLevel(level: LoggingLevel, timeout: number): Promise<void> {
    await (await this.use()).setLoggingLevel(level, { timeout })
  }

  async subscribe(uri: string, timeout: number): Promise<void> {
    if (this.upstream.isolated) await (await this.use()).subscribeResource({ uri }, { timeout })
    else await this.upstream.subscribe(this, uri, timeout)
    this.subscriptions.add(uri)
  }

  async unsubscribe(uri: string, timeout: number): Promise<void> {
    this.subscriptions.delete(uri)
    if (this.upstream.isolated) await (await this.use()).unsubscribeResource({ uri }, { timeout })
    else await this.upstream.unsubscribe(this, uri, timeout)
  }

  /** The downstream client's roots changed: its own upstream connection hears it (a shared one cannot). */
  async rootsChanged(): Promise<void> {
    await this.client?.sendRootsListChanged()
  }

  private lost(client: SessionClient): void {
    if (this.client !== client) return
    this.client = undefined
    if (!this.closed) {
      // The next request opens a new upstream session; what this one held (subscriptions, log level) is gone.
      this.logger.warn('session upstream connection lost', { upstream: this.upstream.name })
    }
  }

  /** Closes this session's upstream connection (or leaves the shared one, dropping its subscriptions). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.subscriptions.clear()
    const client = this.client ?? (await this.opening?.catch(() => undefined))
    this.client = undefined
    if (!this.upstream.isolated) await this.upstream.detach(this)
    await client?.close().catch(() => undefined)
  }
}
