import { randomUUID } from 'node:crypto'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import type { Approvals } from '../approvals/index.js'
import type { ToolCatalog } from '../catalog/index.js'
import type { ActivityChain } from '../chain/index.js'
import type { Config } from '../config/index.js'
import type { Decision, Pipeline } from '../enforcement/index.js'
import type { ProofContext } from '../identity/index.js'
import { type Logger, WardenError } from '../kernel/index.js'
import type { AuthenticatedTask, TaskLifecycle } from '../tasks/index.js'
import { Upstream } from './upstream.js'

/** JSON-RPC error codes the gateway answers with (server-defined range, JSON-RPC 2.0 §5.1). */
export const RPC = {
  DENIED: -32003,
  ESCALATED: -32004,
  UPSTREAM: -32002,
  INTERNAL: -32603,
} as const

/** A downstream MCP session, bound to the task (and instance) that opened it. */
interface Session {
  id: string
  upstream: Upstream
  server: Server
  /** The task the session belongs to, as of the request being answered (re-checked for every request). */
  current(): Promise<AuthenticatedTask>
}

/** An HTTP session: its transport, and the caller authenticated with the request being answered. */
interface HttpSession extends Session {
  transport: WebStandardStreamableHTTPServerTransport
  caller: AuthenticatedTask
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
 * Every tools/call, resources/read and prompts/get goes through the enforcement pipeline before it reaches the
 * upstream; results are observed and recorded. The agent's token never travels upstream.
 */
export class Gateway {
  readonly upstreams: ReadonlyMap<string, Upstream>
  private readonly sessions = new Map<string, HttpSession>()

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
    const server = new Server(
      { name: `warden/${name}`, version: '0.1.0' },
      { capabilities: { tools: {}, resources: {}, prompts: {} } },
    )
    this.register({ id: 'stdio', upstream, server, current: authenticate })
    await server.connect(transport)
  }

  /** Connects every upstream; one that fails keeps retrying in the background. */
  async start(): Promise<void> {
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
    for (const session of this.sessions.values()) await session.transport.close().catch(() => undefined)
    this.sessions.clear()
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.close()))
  }

  /**
   * Handles one HTTP request to `/mcp/<name>`: authenticates the task token (with its proof), binds a new
   * session to that task or checks that an existing session belongs to it, then lets the MCP transport answer.
   */
  async handle(name: string, request: Request, token: string, proof: ProofContext): Promise<Response> {
    const upstream = this.upstreams.get(name)
    if (!upstream) throw new WardenError('UPSTREAM_NOT_FOUND', `no upstream \`${name}\``)
    const caller = await this.lifecycle.authenticate(token, proof)
    const sessionId = request.headers.get('mcp-session-id')
    if (sessionId) {
      const session = this.sessions.get(sessionId)
      if (!session || session.upstream !== upstream) throw new WardenError('NOT_FOUND', 'no such MCP session')
      // INVARIANT: a session answers only the task that opened it (MCP security best practices, session binding).
      if (session.caller.task.id !== caller.task.id) {
        throw new WardenError('SESSION_MISMATCH', 'this MCP session belongs to another task')
      }
      session.caller = caller
      return session.transport.handleRequest(request)
    }
    const session = this.open(upstream, caller)
    return session.transport.handleRequest(request)
  }

  private open(upstream: Upstream, caller: AuthenticatedTask): HttpSession {
    const server = new Server(
      { name: `warden/${upstream.name}`, version: '0.1.0' },
      { capabilities: { tools: {}, resources: {}, prompts: {} } },
    )
    const session: HttpSession = {
      id: '',
      upstream,
      server,
      caller,
      current: async () => session.caller,
      transport: new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) => {
          session.id = id
          this.sessions.set(id, session)
        },
        onsessionclosed: (id) => {
          this.sessions.delete(id)
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
    const { server, upstream } = session
    const name = upstream.name
    const timeout = upstream.config.timeout

    server.setRequestHandler(ListToolsRequestSchema, async () => {
      const caller = await session.current()
      const decision = await this.pipeline.decide(caller, { action: 'tools/list', server: name })
      if (decision.effect !== 'allow') throw decisionError(decision)
      await upstream.use()
      // Only tools the task may call, as pinned (a changed definition is not shown until re-approved).
      const scope = new Set(caller.task.scope)
      const tools = (await this.pipeline.catalogTools(name)).filter(
        (tool) => scope.has(tool.name) && tool.status === 'approved',
      )
      return { tools: tools.map((tool) => tool.definition) as never }
    })

    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      const caller = await session.current()
      const args = (request.params.arguments ?? {}) as Record<string, unknown>
      const call = { action: 'tools/call' as const, server: name, tool: request.params.name, args }
      let decision = await this.pipeline.decide(caller, call)
      if (decision.effect === 'escalate' && decision.approval) {
        // Held while a human looks; answered in time for the MCP client, which may retry the identical call.
        const answer = await this.approvals.wait(decision.approval, this.hold)
        if (answer.status === 'approved')
          decision = await this.pipeline.decide(caller, call, { call: decision.call })
      }
      if (decision.effect !== 'allow') throw decisionError(decision)
      const client = await upstream.use()
      let result: CallToolResult
      try {
        result = (await client.callTool({ name: request.params.name, arguments: args }, undefined, {
          timeout,
        })) as CallToolResult
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause)
        this.recordInBackground(
          this.pipeline.observeResult(caller, decision.call, '', `upstream failed: ${message}`),
        )
        throw new McpError(RPC.UPSTREAM, `upstream \`${name}\` failed: ${message}`, {
          decisionId: decision.decisionId,
        })
      }
      // The decision was durable before the call went upstream; what came back is observed at once (the next
      // decision sees it) and recorded without holding the answer for its disk flush.
      this.recordInBackground(
        this.pipeline.observeResult(
          caller,
          decision.call,
          resultText(result),
          result.isError ? 'tool reported an error' : undefined,
        ),
        this.recordMovement(session.upstream, caller, decision, args),
      )
      return result
    })

    server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
      const caller = await session.current()
      const decision = await this.pipeline.decide(caller, { action: 'resources/list', server: name })
      if (decision.effect !== 'allow') throw decisionError(decision)
      return (await upstream.use()).listResources(request.params, { timeout })
    })

    server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
      const caller = await session.current()
      const decision = await this.pipeline.decide(caller, {
        action: 'resources/read',
        server: name,
        uri: request.params.uri,
      })
      if (decision.effect !== 'allow') throw decisionError(decision)
      const result = await (await upstream.use()).readResource(request.params, { timeout })
      const text = result.contents.map((c) => ('text' in c ? String(c.text) : '')).join('\n')
      this.recordInBackground(this.pipeline.observeResult(caller, decision.call, text))
      return result
    })

    server.setRequestHandler(ListPromptsRequestSchema, async (request) => {
      const caller = await session.current()
      const decision = await this.pipeline.decide(caller, { action: 'prompts/list', server: name })
      if (decision.effect !== 'allow') throw decisionError(decision)
      return (await upstream.use()).listPrompts(request.params, { timeout })
    })

    server.setRequestHandler(GetPromptRequestSchema, async (request) => {
      const caller = await session.current()
      const args = (request.params.arguments ?? {}) as Record<string, unknown>
      const decision = await this.pipeline.decide(caller, {
        action: 'prompts/get',
        server: name,
        name: request.params.name,
        args,
      })
      if (decision.effect !== 'allow') throw decisionError(decision)
      return (await upstream.use()).getPrompt(request.params, { timeout })
    })
  }

  /**
   * Records that need not delay the answer. A failure is logged; the chain's next append fails the same way,
   * and that denies the next decision (fail closed).
   */
  private recordInBackground(...records: Array<Promise<void>>): void {
    Promise.all(records).catch((error: unknown) =>
      this.logger.error('a result could not be recorded', { error: String(error) }),
    )
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
      await this.chain.append({
        ...base,
        kind: readOnly ? 'memory.read' : 'memory.write',
        body: { call: decision.call, server: upstream.name, tool: tool?.name ?? null },
      })
    } else if (
      !readOnly &&
      (upstream.config.egress || tool?.definition.annotations?.openWorldHint === true)
    ) {
      const destination = Object.entries(args)
        .filter(
          ([key, value]) => typeof value === 'string' && /to|recipient|url|address|channel|email/i.test(key),
        )
        .map(([key, value]) => `${key}=${String(value)}`)
      await this.chain.append({
        ...base,
        kind: 'data.egress',
        body: { call: decision.call, server: upstream.name, tool: tool?.name ?? null, destination },
      })
    }
  }
}
