import { McpError, type ServerCapabilities } from '@modelcontextprotocol/sdk/types.js'
import { isWardenError } from '../kernel/index.js'
import type { AuthenticatedTask } from '../tasks/index.js'
import { Calls, type Decided } from './calls.js'
import { InputRequired, type InputRounds } from './input-rounds.js'
import {
  decodeHeaderValue,
  errorResponse,
  type Inbound,
  JSONRPC,
  NAME_SOURCE,
  type RequestId,
  RpcFailure,
  resultResponse,
} from './json-rpc.js'
import { RPC } from './rpc.js'
import type { SessionLink } from './session-link.js'
import type { Upstream } from './upstream.js'
import type { UpstreamClient, UpstreamRequestOptions } from './upstream-client.js'

/** The stateless revision, and the `_meta` keys its requests carry (MCP 2026-07-28, per-request envelope). */
export const MODERN_VERSION = '2026-07-28'
export const SUPPORTED_MODERN_VERSIONS: readonly string[] = [MODERN_VERSION]
const VERSION_KEY = 'io.modelcontextprotocol/protocolVersion'
const CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities'

/** Which era a message belongs to: `modern` is stateless 2026-07-28; `legacy` is initialize-based sessions. */
export type Era = 'modern' | 'legacy'

/** A header that disagrees with the body: refused with 400, and recorded as a signal (never routed on). */
export class HeaderMismatch extends RpcFailure {
  constructor(
    readonly header: string,
    readonly sent: string,
    readonly body: string,
    id: RequestId | null,
  ) {
    super(
      JSONRPC.HEADER_MISMATCH,
      `bad request: the \`${header}\` header (\`${sent}\`) disagrees with the body (\`${body}\`)`,
      400,
      id,
      { mismatch: { header, sent, body } },
    )
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function metaOf(message: Inbound): Record<string, unknown> | undefined {
  const meta = message.params?._meta
  return isObject(meta) ? meta : undefined
}

/**
 * The era of a parsed message, with the checks 2026-07-28 puts before dispatch, in the SDK's ladder order. The
 * body decides the era (a proxy that drops a header must not change it): a request whose `_meta` carries the
 * protocol version key is modern unless it names an earlier revision. Then: a malformed envelope, or a modern
 * `MCP-Protocol-Version` header over a body without one, is −32602; a header that disagrees with the body is
 * −32020 (`HeaderMismatch`, recorded); a modern revision this gateway does not serve is −32022 with the ones it
 * does; a modern request without `MCP-Protocol-Version` or `Mcp-Method`, or without the `Mcp-Name` its method
 * needs, is −32020. A legacy request's `Mcp-Method` / `Mcp-Name`, where sent, must agree with the body too.
 */
export function classify(message: Inbound, headers: Headers | undefined): Era {
  // stdio has no headers: the body alone, with the envelope's checks (MCP 2026-07-28, stdio transport).
  if (headers === undefined) return classifyBody(message)
  const id = message.id ?? null
  const versionHeader = headers.get('mcp-protocol-version') ?? undefined
  const methodHeader = headers.get('mcp-method') ?? undefined
  const meta = metaOf(message)
  const claimed = meta && VERSION_KEY in meta ? meta[VERSION_KEY] : undefined
  const claims = meta !== undefined && VERSION_KEY in meta
  const modernHeader = versionHeader !== undefined && versionHeader >= MODERN_VERSION
  if (!claims || (typeof claimed === 'string' && claimed < MODERN_VERSION)) {
    if (modernHeader && message.method !== 'initialize') {
      throw new RpcFailure(
        JSONRPC.INVALID_PARAMS,
        `invalid params: the MCP-Protocol-Version header names ${versionHeader}, but \`_meta\` lacks \`${VERSION_KEY}\``,
        400,
        id,
        { envelope: { missing: [VERSION_KEY] } },
      )
    }
    if (modernHeader) throw new HeaderMismatch('mcp-protocol-version', versionHeader, 'initialize', id)
    checkNamedHeaders(message, headers, false)
    return 'legacy'
  }
  if (typeof claimed !== 'string') {
    throw new RpcFailure(
      JSONRPC.INVALID_PARAMS,
      `invalid params: \`${VERSION_KEY}\` must be a string`,
      400,
      id,
    )
  }
  const isRequest = message.id !== undefined
  if (isRequest && !isObject(meta?.[CAPABILITIES_KEY])) {
    throw new RpcFailure(
      JSONRPC.INVALID_PARAMS,
      `invalid params: the 2026-07-28 envelope lacks \`${CAPABILITIES_KEY}\``,
      400,
      id,
      { envelope: { key: CAPABILITIES_KEY, problem: 'missing' } },
    )
  }
  if (versionHeader !== undefined && versionHeader !== claimed) {
    throw new HeaderMismatch('mcp-protocol-version', versionHeader, claimed, id)
  }
  if (methodHeader !== undefined && methodHeader !== message.method) {
    throw new HeaderMismatch('mcp-method', methodHeader, message.method, id)
  }
  if (!SUPPORTED_MODERN_VERSIONS.includes(claimed)) {
    throw new RpcFailure(
      JSONRPC.UNSUPPORTED_PROTOCOL_VERSION,
      `unsupported protocol version: ${claimed}`,
      400,
      id,
      // The revisions `server/discover` offers (the conformance suite holds the two lists equal); the 2025 ones
      // are reached with `initialize`, not with this envelope.
      { supported: [...SUPPORTED_MODERN_VERSIONS], requested: claimed },
    )
  }
  if (isRequest) {
    if (versionHeader === undefined)
      throw new HeaderMismatch('mcp-protocol-version', '(missing)', claimed, id)
    if (methodHeader === undefined) throw new HeaderMismatch('mcp-method', '(missing)', message.method, id)
    checkNamedHeaders(message, headers, true)
  }
  return 'modern'
}

/** The era of a message that came without headers (stdio): the `_meta` envelope's checks, in the same order. */
function classifyBody(message: Inbound): Era {
  const id = message.id ?? null
  const meta = metaOf(message)
  const claimed = meta?.[VERSION_KEY]
  if (meta === undefined || !(VERSION_KEY in meta)) return 'legacy'
  if (typeof claimed === 'string' && claimed < MODERN_VERSION) return 'legacy'
  if (typeof claimed !== 'string') {
    throw new RpcFailure(
      JSONRPC.INVALID_PARAMS,
      `invalid params: \`${VERSION_KEY}\` must be a string`,
      400,
      id,
    )
  }
  if (message.id !== undefined && !isObject(meta[CAPABILITIES_KEY])) {
    throw new RpcFailure(
      JSONRPC.INVALID_PARAMS,
      `invalid params: the 2026-07-28 envelope lacks \`${CAPABILITIES_KEY}\``,
      400,
      id,
      { envelope: { key: CAPABILITIES_KEY, problem: 'missing' } },
    )
  }
  if (!SUPPORTED_MODERN_VERSIONS.includes(claimed)) {
    throw new RpcFailure(
      JSONRPC.UNSUPPORTED_PROTOCOL_VERSION,
      `unsupported protocol version: ${claimed}`,
      400,
      id,
      { supported: [...SUPPORTED_MODERN_VERSIONS], requested: claimed },
    )
  }
  return 'modern'
}

/** `Mcp-Method` and `Mcp-Name` against the body; on a modern request `Mcp-Name` is required where it applies. */
function checkNamedHeaders(message: Inbound, headers: Headers, required: boolean): void {
  const id = message.id ?? null
  const methodHeader = headers.get('mcp-method')
  if (methodHeader !== null && methodHeader !== message.method) {
    throw new HeaderMismatch('mcp-method', methodHeader, message.method, id)
  }
  const field = NAME_SOURCE[message.method]
  if (field === undefined) return
  const value = message.params?.[field]
  const nameHeader = headers.get('mcp-name')
  if (typeof value !== 'string') return
  if (nameHeader === null) {
    if (required) throw new HeaderMismatch('mcp-name', '(missing)', value, id)
    return
  }
  const decoded = decodeHeaderValue(nameHeader)
  if (decoded !== value) throw new HeaderMismatch('mcp-name', nameHeader, value, id)
}

/** The methods each era answers on the gateway's own path (a legacy session's others go to the SDK server). */
const COMMON = [
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
] as const
const MODERN_METHODS: ReadonlySet<string> = new Set([...COMMON, 'server/discover'])
const LEGACY_FAST_METHODS: ReadonlySet<string> = new Set([...COMMON, 'ping'])

/** Whether a legacy session's request can be answered on the gateway's own path: no stream is needed for it. */
export function isPlainLegacyRequest(message: Inbound): boolean {
  if (message.id === undefined || !LEGACY_FAST_METHODS.has(message.method)) return false
  // Progress needs the request's event stream.
  return metaOf(message)?.progressToken === undefined
}

/** The capability a method needs the upstream to have (tools are always served). */
function capabilityOf(method: string): keyof ServerCapabilities | undefined {
  if (method.startsWith('resources/')) return 'resources'
  if (method.startsWith('prompts/')) return 'prompts'
  if (method === 'completion/complete') return 'completions'
  return undefined
}

/** The params an upstream receives: the client's `_meta` (envelope, progress) and MRTR fields stay here. */
function upstreamParams(params: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!params) return {}
  const { _meta, inputResponses, requestState, ...rest } = params
  return rest
}

function invalidParams(why: string): McpError {
  return new McpError(JSONRPC.INVALID_PARAMS, `invalid params: ${why}`)
}

const LISTS: Readonly<Record<string, true>> = {
  'tools/list': true,
  'resources/list': true,
  'resources/templates/list': true,
  'prompts/list': true,
}

/** A result as the 2026-07-28 revision shapes it: `resultType`, and a cache hint on lists and reads. */
function modernResult(method: string, result: Record<string, unknown>): Record<string, unknown> {
  // Per task, never shared: what one task may see is not what another may.
  const cache = LISTS[method] || method === 'resources/read' ? { ttlMs: 0, cacheScope: 'private' } : {}
  return { ...result, ...cache, resultType: 'complete' }
}

/** What a request on the gateway's own path needs: the upstream, the decided caller, what it advertises. */
export interface DispatchContext {
  calls: Calls
  upstream: Upstream
  caller: AuthenticatedTask
  capabilities: ServerCapabilities
  /** The multi-round-trip relay, for a 2026-07-28 call to an isolated upstream. */
  rounds?: InputRounds
  /**
   * An isolated upstream's 2025 session: its requests go on the session's own upstream connection, and what the
   * server sends during one travels on its answer (an event stream then, else plain JSON).
   */
  link?: SessionLink
  /** Where the upstream's progress on this request goes (set by `dispatch` for a request with a progress token). */
  onProgress?: (progress: Record<string, unknown>) => void
}

/** A server-sent event carrying one JSON-RPC message (the Streamable HTTP response stream). */
function event(message: unknown): Uint8Array {
  return new TextEncoder().encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`)
}

/**
 * A 2026-07-28 `tools/call` with a progress token, answered on the POST's own event stream: the upstream's progress
 * as `notifications/progress` under the client's token, then the answer (or its error), then the end. What has no
 * progress to carry is answered as plain JSON (`dispatch`).
 */
function dispatchWithProgress(context: DispatchContext, message: Inbound, token: string | number): Response {
  let stream!: ReadableStreamDefaultController<Uint8Array>
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      stream = controller
    },
  })
  let open = true
  const onProgress = (progress: Record<string, unknown>) => {
    // A call that goes on past this POST (waiting for input) reports no more progress here.
    if (!open) return
    stream.enqueue(
      event({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { ...progress, progressToken: token },
      }),
    )
  }
  answerAsJson({ ...context, onProgress }, message, 'modern')
    .then(async (answer) => {
      stream.enqueue(event(await answer.json()))
      open = false
      stream.close()
    })
    .catch((error: unknown) => {
      open = false
      stream.error(error)
    })
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  })
}

/**
 * Answers one request on the gateway's own path, in `era`'s shapes: decided, forwarded on the upstream's shared
 * connection with its time limit, and answered as one `application/json` response once the decision's records
 * are on disk. Errors of the method are JSON-RPC errors on HTTP 200. A 2026-07-28 `tools/call` with a progress
 * token is answered on an event stream instead, its progress relayed.
 */
export async function dispatch(context: DispatchContext, message: Inbound, era: Era): Promise<Response> {
  const token =
    era === 'modern' && message.method === 'tools/call' ? metaOf(message)?.progressToken : undefined
  if (typeof token === 'string' || typeof token === 'number')
    return dispatchWithProgress(context, message, token)
  if (context.link) return answerOnLink(context, context.link, message, era)
  return answerAsJson(context, message, era)
}

/**
 * A request of an isolated upstream's session, answered as plain JSON unless the server sends the session
 * something while it runs (a log message, a resource update): then on an event stream, those first, the answer
 * last — as the SDK server transport would have carried them.
 */
function answerOnLink(
  context: DispatchContext,
  link: SessionLink,
  message: Inbound,
  era: Era,
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    let stream: ReadableStreamDefaultController<Uint8Array> | undefined
    const emit = (notification: object) => {
      if (!stream) {
        const body = new ReadableStream<Uint8Array>({
          start: (controller) => {
            stream = controller
          },
        })
        resolve(
          new Response(body, {
            status: 200,
            headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
          }),
        )
      }
      stream?.enqueue(event({ jsonrpc: '2.0', ...notification }))
    }
    link
      .track(message.id as RequestId, null, () => answerAsJson(context, message, era), emit)
      .then(
        async (answer) => {
          if (!stream) return resolve(answer)
          stream.enqueue(event(await answer.json()))
          stream.close()
        },
        (error: unknown) => {
          if (!stream) return reject(error)
          stream.error(error)
        },
      )
  })
}

async function answerAsJson(context: DispatchContext, message: Inbound, era: Era): Promise<Response> {
  const id = message.id as RequestId
  try {
    const result = await answer(context, message, era)
    return resultResponse(id, era === 'modern' ? modernResult(message.method, result) : result)
  } catch (error) {
    if (error instanceof InputRequired) {
      const { inputRequests, requestState } = error.outcome
      return resultResponse(id, { resultType: 'input_required', inputRequests, requestState })
    }
    if (error instanceof McpError) {
      // 2026-07-28 over HTTP: a method the server does not implement (removed ones included) is a 404.
      const status = era === 'modern' && error.code === JSONRPC.METHOD_NOT_FOUND ? 404 : 200
      return errorResponse(
        id,
        error.code,
        error.message.replace(/^MCP error -?\d+: /, ''),
        error.data,
        status,
      )
    }
    if (isWardenError(error)) {
      const code = error.code.startsWith('UPSTREAM') ? RPC.UPSTREAM : JSONRPC.INTERNAL
      return errorResponse(id, code, error.message, { code: error.code })
    }
    throw error
  }
}

async function answer(
  { calls, upstream, caller, capabilities, rounds, onProgress, link }: DispatchContext,
  message: Inbound,
  era: Era,
): Promise<Record<string, unknown>> {
  const { method } = message
  const params = message.params ?? {}
  const known = era === 'modern' ? MODERN_METHODS : LEGACY_FAST_METHODS
  const needs = capabilityOf(method)
  if (!known.has(method) || (needs && !capabilities[needs])) {
    throw new McpError(JSONRPC.METHOD_NOT_FOUND, `method not found: ${method}`)
  }
  const name = upstream.name
  const timeout = upstream.config.timeout
  // A modern request goes to a modern upstream statelessly, as sent; else on the upstream's 2025 session (an
  // isolated upstream's: the session's own connection).
  const forward = async <T>(
    decided: Decided,
    send: (client: UpstreamClient, options: UpstreamRequestOptions) => Promise<T>,
  ): Promise<T> => {
    try {
      const client = link ? upstream.sessionClient(await link.use()) : await upstream.clientFor(era)
      return await send(client, { timeout })
    } finally {
      await decided.onDisk
    }
  }
  const rest = upstreamParams(params)
  switch (method) {
    case 'ping':
      return {}
    case 'server/discover':
      return discover(calls, upstream, caller, capabilities)
    case 'tools/list':
      // An isolated upstream's session opens its connection on its first request, as on the SDK path.
      await link?.use()
      return calls.listTools(upstream, caller)
    case 'tools/call': {
      if (typeof params.name !== 'string') throw invalidParams('`name` must be a string')
      if (params.arguments !== undefined && !isObject(params.arguments)) {
        throw invalidParams('`arguments` must be an object')
      }
      const declared = metaOf(message)?.[CAPABILITIES_KEY]
      if (rounds && era === 'modern') {
        // A retry of a call waiting for input: not decided again (its decision stands), its answers relayed.
        if (rounds.has(params.requestState, caller, params.name)) {
          const outcome = await rounds.resume(params.requestState as string, params.inputResponses)
          if (outcome.kind === 'input') throw new InputRequired(outcome)
          return outcome.result
        }
        if (
          upstream.isolated &&
          isObject(declared) &&
          (declared.sampling || declared.elicitation || declared.roots)
        ) {
          const args = (params.arguments ?? {}) as Record<string, unknown>
          return calls.callTool(
            upstream,
            caller,
            { name: params.name, arguments: args },
            async (decided, p) => {
              try {
                const outcome = await rounds.start(
                  upstream,
                  caller,
                  decided.decision,
                  declared,
                  p,
                  (result) => calls.observeCall(upstream, caller, decided.decision, args, result),
                  onProgress,
                )
                if (outcome.kind === 'input') throw new InputRequired(outcome)
                return outcome.result
              } finally {
                await decided.onDisk
              }
            },
          )
        }
      }
      const result = await calls.callTool(
        upstream,
        caller,
        { name: params.name, arguments: params.arguments },
        (decided, p) =>
          forward(decided, (client, options) =>
            client.callTool(p as Record<string, unknown>, onProgress ? { ...options, onProgress } : options),
          ),
      )
      return result
    }
    case 'resources/list':
      return forward(
        await calls.allow(caller, { action: 'resources/list', server: name }),
        (client, options) => client.listResources(rest, options),
      )
    case 'resources/templates/list':
      return forward(
        await calls.allow(caller, { action: 'resources/templates/list', server: name }),
        (client, options) => client.listResourceTemplates(rest, options),
      )
    case 'resources/read': {
      const { uri } = params
      if (typeof uri !== 'string') throw invalidParams('`uri` must be a string')
      return calls.readResource(upstream, caller, uri, (decided) =>
        forward(decided, (client, options) => client.readResource({ uri }, options)),
      )
    }
    case 'prompts/list':
      return forward(await calls.allow(caller, { action: 'prompts/list', server: name }), (client, options) =>
        client.listPrompts(rest, options),
      )
    case 'prompts/get': {
      if (typeof params.name !== 'string') throw invalidParams('`name` must be a string')
      if (params.arguments !== undefined && !isObject(params.arguments)) {
        throw invalidParams('`arguments` must be an object')
      }
      const args = (params.arguments ?? {}) as Record<string, string>
      const decided = await calls.allow(caller, {
        action: 'prompts/get',
        server: name,
        name: params.name,
        args,
      })
      return forward(decided, (client, options) =>
        client.getPrompt({ name: params.name as string, arguments: args }, options),
      )
    }
    case 'completion/complete': {
      const { ref, argument } = params
      if (!isObject(ref) || typeof ref.type !== 'string') throw invalidParams('`ref` must be a reference')
      if (!isObject(argument) || typeof argument.name !== 'string' || typeof argument.value !== 'string') {
        throw invalidParams('`argument` must have a string `name` and `value`')
      }
      const request = rest as Parameters<typeof Calls.completion>[1]
      const decided = await calls.allow(caller, Calls.completion(name, request))
      return forward(decided, (client, options) => client.complete(rest, options))
    }
    default:
      throw new McpError(JSONRPC.METHOD_NOT_FOUND, `method not found: ${method}`)
  }
}

/**
 * `server/discover`: the revisions served and what this task may use here. Tools only when the task may call
 * some of them (filtered as `tools/list` is); logging and resource subscriptions are session features the
 * stateless revision does not have on this gateway. Authenticated like any request; nothing is decided.
 */
async function discover(
  calls: Calls,
  upstream: Upstream,
  caller: AuthenticatedTask,
  capabilities: ServerCapabilities,
): Promise<Record<string, unknown>> {
  const tools = await calls.permittedTools(upstream.name, caller)
  const { logging, resources, tools: toolCapability, ...rest } = capabilities
  const offered: ServerCapabilities = {
    ...rest,
    ...(tools.length > 0 ? { tools: toolCapability ?? {} } : {}),
    ...(resources ? { resources: resources.listChanged ? { listChanged: true } : {} } : {}),
  }
  return {
    supportedVersions: [...SUPPORTED_MODERN_VERSIONS],
    capabilities: offered,
    _meta: { 'io.modelcontextprotocol/serverInfo': { name: `warden/${upstream.name}`, version: '0.1.0' } },
  }
}
