/**
 * The gateway's own JSON-RPC client for HTTP upstreams, on an undici `Pool` with keep-alive: a 2025-11-25
 * session (`initialize` once, `Mcp-Session-Id`, answers as plain JSON or an event stream, the standalone GET
 * stream) and 2026-07-28 stateless requests (one POST each, the `_meta` envelope, `Mcp-Method` / `Mcp-Name`).
 * The MCP SDK's Streamable HTTP client cost ~3.5 ms a call here (zod on every message, WHATWG streams over
 * undici's `fetch`); this is one `Pool.request`, one `JSON.parse`, and no schema: results are the upstream's as
 * sent, as the gateway's own dispatch forwards them. The agent's token never travels here: the only headers
 * sent are the protocol's.
 */
import type { IncomingHttpHeaders } from 'node:http'
import {
  type ClientCapabilities,
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
  McpError,
  type ServerCapabilities,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js'
import { createParser, type EventSourceParser } from 'eventsource-parser'
import type { Dispatcher } from 'undici'
import { WardenError } from '../kernel/index.js'
import { NAME_SOURCE } from './json-rpc.js'
import { RPC } from './rpc.js'

/** The stateless revision, and the `_meta` keys its requests carry (MCP 2026-07-28, per-request envelope). */
export const STATELESS_VERSION = '2026-07-28'
const VERSION_KEY = 'io.modelcontextprotocol/protocolVersion'
const CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities'
const CLIENT_INFO_KEY = 'io.modelcontextprotocol/clientInfo'

type Params = Record<string, unknown>
type Result = Record<string, unknown>
export type Id = string | number

/** One JSON-RPC message as read off the wire (shape checked where it is used). */
interface Message {
  jsonrpc?: unknown
  id?: unknown
  method?: unknown
  params?: unknown
  result?: unknown
  error?: unknown
}

/** What the upstream sends on its own: notifications, and requests to the client (answered by the caller). */
export interface ServerMessages {
  notification(method: string, params: Params): void
  /** The answer to a server's request; throw an `McpError` to answer with that error. */
  request(method: string, params: Params, id: Id): Promise<Result>
}

/** A request's time limit, cancellation, and where progress under its token goes. */
export interface CallOptions {
  timeout: number
  signal?: AbortSignal | undefined
  onProgress?: ((progress: Params) => void) | undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isResponse(message: Message): boolean {
  return message.method === undefined && ('result' in message || 'error' in message)
}

/** A session the upstream no longer knows (HTTP 404 to a request that carried its id): initialize again. */
class SessionExpired extends Error {}

function unavailable(why: string, cause?: unknown): WardenError {
  return new WardenError('UPSTREAM_UNAVAILABLE', why, cause === undefined ? undefined : { cause })
}

/** What a failed exchange failed on: the time limit, the caller's cancellation, or the connection. */
function failure(error: unknown, timedOut: boolean, timeout: number, callerSignal?: AbortSignal): Error {
  if (error instanceof McpError || error instanceof WardenError || error instanceof SessionExpired)
    return error
  if (callerSignal?.aborted) {
    const reason = callerSignal.reason
    return reason instanceof Error ? reason : new Error(String(reason ?? 'aborted'))
  }
  // The SDK client's own words for a call over its limit (−32001), kept so clients see what they saw before.
  if (timedOut) return new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout })
  // undici names what failed (refused, reset, the other side closed) in its code.
  const code = (error as { code?: string }).code
  const message = error instanceof Error ? error.message : String(error)
  return unavailable(`the upstream connection failed: ${code ?? message}`, error)
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** An error answer as the SDK client threw it (`McpError`: code, message, data), so every path maps it alike. */
function rpcError(error: unknown): McpError {
  if (!isObject(error) || typeof error.code !== 'number') {
    return new McpError(ErrorCode.InternalError, 'the upstream answered with a malformed error')
  }
  return new McpError(error.code, String(error.message ?? ''), error.data)
}

/** The value an `Mcp-Name` header carries: header-safe ASCII as is, anything else `=?base64?…?=` (SEP-2243). */
function headerValue(value: string): string {
  let safe =
    value.length > 0 && value === value.trim() && !(value.startsWith('=?base64?') && value.endsWith('?='))
  for (let i = 0; safe && i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (!(c === 9 || (c >= 32 && c <= 126))) safe = false
  }
  return safe ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`
}

/** The answer to one POST: its HTTP status and headers, and the JSON-RPC response to the request it carried. */
interface Posted {
  status: number
  headers: IncomingHttpHeaders
  answer?: Message | undefined
}

/**
 * One HTTP upstream endpoint on a pool: POSTs a JSON-RPC message and reads what comes back — an `application/json`
 * answer, or an event stream whose messages before the answer (progress, the server's notifications and requests)
 * go to `onMessage` — with the answer's size capped.
 */
export class UpstreamWire {
  private readonly path: string

  constructor(
    readonly url: URL,
    private readonly pool: Dispatcher,
    private readonly limit: number,
    /** Where standalone GET streams go (connections apart from the calls'). */
    private readonly streams: Dispatcher = pool,
  ) {
    this.path = `${url.pathname}${url.search}`
  }

  /**
   * POSTs `message`; resolves once the answer to its id has come (or at once for a notification or response).
   * On undici's dispatch API: the answer's bytes go straight to the JSON or event-stream reader, with no body
   * stream, no abort signal and no promise per request beside this one (`Pool.request` made all three, a
   * sizeable share of the exchange's CPU). What follows the answer on an event stream is read and dropped, so
   * the connection is kept.
   */
  post(
    message: Record<string, unknown>,
    headers: Record<string, string>,
    options: { timeout: number; signal?: AbortSignal | undefined; onMessage?: (message: Message) => void },
  ): Promise<Posted> {
    const id = message.method !== undefined && message.id !== undefined ? (message.id as Id) : undefined
    const { timeout, onMessage = () => undefined } = options
    const caller = options.signal
    const limit = this.limit
    return new Promise<Posted>((resolve, reject) => {
      let control: Dispatcher.DispatchController | undefined
      /** Why Warden stopped the exchange (its time limit, the caller's cancellation, an answer too large). */
      let stopped: Error | undefined
      let timedOut = false
      let settled = false
      let read: (chunk: Buffer) => void = () => undefined
      let end: () => void = () => undefined
      const settle = (outcome: Posted | Error) => {
        if (settled) return
        settled = true
        if (outcome instanceof Error) reject(outcome)
        else resolve(outcome)
      }
      const fail = (error: unknown) => settle(failure(error, timedOut, timeout, caller))
      // The time limit and the caller's cancellation, let go once the exchange is over (the answer's tail read).
      const release = () => {
        clearTimeout(timer)
        caller?.removeEventListener('abort', cancel)
      }
      const stop = (reason: Error) => {
        stopped ??= reason
        fail(reason)
        // A request still waiting for a connection is stopped once it gets one (`onRequestStart`).
        control?.abort(reason)
      }
      const timer = setTimeout(() => {
        timedOut = true
        stop(new Error('timed out'))
      }, timeout)
      const cancel = () => {
        const reason = caller?.reason
        stop(reason instanceof Error ? reason : new Error(String(reason ?? 'aborted')))
      }
      if (caller?.aborted) cancel()
      else caller?.addEventListener('abort', cancel, { once: true })

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (controller) => {
          control = controller
          if (stopped) controller.abort(stopped)
        },
        onResponseStart: (controller, status, answered) => {
          // 1xx informational answers are not the answer.
          if (status < 200) return
          if (status === 202 || status === 204) {
            end = () => settle({ status, headers: answered })
            return
          }
          const type = header(answered, 'content-type')?.split(';')[0]?.trim().toLowerCase()
          if (status === 200 && type === 'text/event-stream') {
            ;({ read, end } = this.eventReader(
              id,
              onMessage,
              (answer) => settle({ status, headers: answered, answer }),
              (error) => {
                settle(error)
                controller.abort(error)
              },
            ))
            return
          }
          // An answer announced larger than the limit fails at once.
          if (Number(header(answered, 'content-length') ?? 0) > limit) {
            const error = this.tooLarge()
            settle(error)
            controller.abort(error)
            return
          }
          const chunks: Buffer[] = []
          let seen = 0
          read = (chunk) => {
            seen += chunk.byteLength
            if (seen > limit) {
              const error = this.tooLarge()
              settle(error)
              controller.abort(error)
              return
            }
            chunks.push(chunk)
          }
          end = () => {
            if (status === 404 && headers['mcp-session-id'] !== undefined) return settle(new SessionExpired())
            const text =
              chunks.length === 1
                ? (chunks[0] as Buffer).toString('utf8')
                : Buffer.concat(chunks).toString('utf8')
            let parsed: unknown
            try {
              parsed = text.length > 0 ? JSON.parse(text) : undefined
            } catch {
              parsed = undefined
            }
            const answer =
              isObject(parsed) && isResponse(parsed) && parsed.id === id ? (parsed as Message) : undefined
            // An HTTP error with no JSON-RPC answer in it (a 2026-07-28 server answers its ladder's errors in JSON-RPC).
            if (!answer && status >= 400) {
              return settle(
                unavailable(
                  `the upstream answered HTTP ${status}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`,
                ),
              )
            }
            settle({ status, headers: answered, answer })
          }
        },
        onResponseData: (_controller, chunk) => read(chunk),
        onResponseEnd: () => {
          release()
          end()
          // A body that ended without an answer was settled by `end`; anything else is settled already.
        },
        onResponseError: (_controller, error) => {
          release()
          fail(error)
        },
      }
      this.pool.dispatch(
        {
          path: this.path,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...headers,
          },
          body: JSON.stringify(message),
        },
        handler,
      )
    })
  }

  /**
   * An SSE parser of JSON-RPC messages: the first response to `id` goes to `onAnswer`, every other message to
   * `onMessage`, in order (a message that is not JSON, or not an object, is skipped).
   */
  private parser(
    id: Id | undefined,
    onAnswer: (answer: Message) => void,
    onMessage: (message: Message) => void,
  ): EventSourceParser {
    let answered = false
    return createParser({
      onEvent: (event) => {
        if (event.event !== undefined && event.event !== 'message') return
        let message: unknown
        try {
          message = JSON.parse(event.data)
        } catch {
          return
        }
        if (!isObject(message)) return
        if (id !== undefined && !answered && isResponse(message) && message.id === id) {
          answered = true
          onAnswer(message)
          return
        }
        try {
          onMessage(message)
        } catch {
          // A handler's failure is its own: the stream goes on.
        }
      },
      maxBufferSize: this.limit,
    })
  }

  /**
   * An event stream's reader for `post`: chunks in, each message before the answer to `id` to `onMessage` in
   * order, the answer to `answered`; what follows it is dropped. Fails past the size limit before the answer, and
   * at the end without one.
   */
  private eventReader(
    id: Id | undefined,
    onMessage: (message: Message) => void,
    answered: (answer: Message | undefined) => void,
    failed: (error: Error) => void,
  ): { read: (chunk: Buffer) => void; end: () => void } {
    let answer: Message | undefined
    let seen = 0
    const parser = this.parser(
      id,
      (message) => {
        answer = message
        answered(message)
      },
      onMessage,
    )
    const decoder = new TextDecoder()
    return {
      read: (chunk) => {
        if (answer === undefined) {
          seen += chunk.byteLength
          if (seen > this.limit) return failed(this.tooLarge())
        }
        parser.feed(decoder.decode(chunk, { stream: true }))
      },
      end: () => {
        if (id !== undefined && answer === undefined)
          return failed(unavailable('the upstream ended its event stream without answering'))
        answered(answer)
      },
    }
  }

  private tooLarge(): WardenError {
    return unavailable(`the upstream's answer exceeds ${this.limit} bytes`)
  }

  /**
   * Reads an event stream until the answer to `id` (then drains the rest, so the connection is kept); every
   * other message goes to `onMessage` in order. Without an id (the standalone GET stream), until it ends, uncapped
   * as a whole (it lives as long as the session) but each event within the limit.
   */
  events(
    body: Dispatcher.ResponseData['body'],
    id: Id | undefined,
    onMessage: (message: Message) => void,
  ): Promise<Message | undefined> {
    return new Promise<Message | undefined>((resolve, reject) => {
      let answer: Message | undefined
      let seen = 0
      const parser = this.parser(
        id,
        (message) => {
          answer = message
          resolve(answer)
        },
        onMessage,
      )
      const decoder = new TextDecoder()
      // Read by events, not `for await`: an async iterator over a Node stream costs more than the small answer
      // it carries (a sizeable share of the exchange's CPU).
      let ended = false
      // After the answer a broken stream loses nothing of this call.
      const fail = (error: unknown) => {
        if (answer === undefined) reject(error)
      }
      body.on('data', (chunk: Buffer) => {
        if (id !== undefined && answer === undefined) {
          seen += chunk.byteLength
          if (seen > this.limit) {
            body.destroy()
            fail(this.tooLarge())
            return
          }
        }
        parser.feed(decoder.decode(chunk, { stream: true }))
      })
      body.once('end', () => {
        ended = true
        if (id !== undefined && answer === undefined) {
          fail(unavailable('the upstream ended its event stream without answering'))
          return
        }
        resolve(answer)
      })
      body.once('error', fail)
      body.once('close', () => {
        if (!ended) fail(unavailable('the upstream closed its event stream without answering'))
      })
    })
  }

  /** Opens a GET event stream (the standalone stream of a 2025 session); undefined where the server offers none. */
  async listen(
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Dispatcher.ResponseData['body'] | undefined> {
    const response = await this.streams.request({
      path: this.path,
      method: 'GET',
      headers: { accept: 'text/event-stream', ...headers },
      signal,
    })
    const type = header(response.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase()
    if (response.statusCode !== 200 || type !== 'text/event-stream') {
      await response.body.dump().catch(() => undefined)
      if (response.statusCode === 404) throw new SessionExpired()
      return undefined
    }
    return response.body
  }
}

/** The result of an answer, or its error as an `McpError`. */
function resultOf(posted: Posted, method: string): Result {
  const answer = posted.answer
  if (!answer) throw unavailable(`the upstream sent no answer to \`${method}\``)
  if ('error' in answer && answer.error !== undefined) throw rpcError(answer.error)
  if (!isObject(answer.result)) throw unavailable(`the upstream's answer to \`${method}\` is not an object`)
  return answer.result
}

let tokens = 0

/**
 * A 2025-11-25 session with an HTTP upstream: initialized once, its `Mcp-Session-Id` and protocol version on
 * every request, its standalone GET stream read for what the server sends on its own. A session the upstream
 * forgot (404, MCP basic/transports: session management) is initialized again and the request sent once more:
 * the upstream never ran it.
 */
export class HttpSession {
  private sessionId: string | undefined
  private protocolVersion: string | undefined
  private capabilities: ServerCapabilities | undefined
  private starting: Promise<void> | undefined
  /** Bumped at each initialization: a 404 restarts the session only if no one restarted it since. */
  private generation = 0
  private nextId = 0
  private listening: AbortController | undefined
  private closed = false

  constructor(
    private readonly wire: UpstreamWire,
    private readonly info: { name: string; version: string },
    private readonly clientCapabilities: ClientCapabilities,
    private readonly timeout: number,
    private readonly server: ServerMessages,
    /** Runs after the session was initialized again (what the old one held upstream is gone). */
    private readonly onRestart: () => void = () => undefined,
  ) {}

  /** Initializes the session (once; concurrent callers share the attempt). */
  start(): Promise<void> {
    this.starting ??= this.initialize().catch((error: unknown) => {
      this.starting = undefined
      throw error
    })
    return this.starting
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = {}
    if (this.sessionId !== undefined) headers['mcp-session-id'] = this.sessionId
    if (this.protocolVersion !== undefined) headers['mcp-protocol-version'] = this.protocolVersion
    return headers
  }

  private async initialize(): Promise<void> {
    this.listening?.abort()
    this.sessionId = undefined
    this.protocolVersion = undefined
    const posted = await this.wire.post(
      {
        jsonrpc: '2.0',
        id: this.nextId++,
        method: 'initialize',
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: this.clientCapabilities,
          clientInfo: this.info,
        },
      },
      {},
      { timeout: this.timeout, onMessage: (message) => this.fromServer(message) },
    )
    const result = resultOf(posted, 'initialize')
    const version = result.protocolVersion
    if (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      throw unavailable(`the upstream's protocol version is not supported: \`${String(version)}\``)
    }
    this.sessionId = header(posted.headers, 'mcp-session-id')
    this.protocolVersion = version
    this.capabilities = (isObject(result.capabilities) ? result.capabilities : {}) as ServerCapabilities
    this.generation++
    await this.wire.post({ jsonrpc: '2.0', method: 'notifications/initialized' }, this.headers(), {
      timeout: this.timeout,
    })
    this.listen(this.generation)
  }

  /**
   * Reads the session's standalone stream (list changes, resource updates) while the session lives; opened again
   * after it ends, after 1 s and then at most every 30 s. A server that offers none (405) is not asked again.
   */
  private listen(generation: number, delay = 1_000): void {
    if (this.closed || generation !== this.generation) return
    const controller = new AbortController()
    this.listening = controller
    this.wire
      .listen(this.headers(), controller.signal)
      .then(async (body) => {
        if (!body) return
        await this.wire.events(body, undefined, (message) => this.fromServer(message))
        delay = 1_000
        throw new Error('ended')
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted || this.closed || generation !== this.generation) return
        if (error instanceof SessionExpired) {
          this.restart(generation).catch(() => undefined)
          return
        }
        setTimeout(() => this.listen(generation, Math.min(delay * 2, 30_000)), delay).unref()
      })
  }

  private async restart(generation: number): Promise<void> {
    if (generation === this.generation && this.starting) {
      const before = this.starting
      this.starting = undefined
      await before.catch(() => undefined)
      if (generation === this.generation) {
        await this.start()
        this.onRestart()
        return
      }
    }
    await this.start()
  }

  /** The upstream's capabilities, as it declared them at initialization. */
  getServerCapabilities(): ServerCapabilities | undefined {
    return this.capabilities
  }

  /** Sends a request and resolves with its result; a JSON-RPC error is thrown as an `McpError`. */
  async request(method: string, params: Params, options: CallOptions): Promise<Result> {
    if (this.closed) throw unavailable('the upstream session is closed')
    await this.start()
    const generation = this.generation
    try {
      return await this.send(method, params, options)
    } catch (error) {
      if (!(error instanceof SessionExpired)) throw error
      await this.restart(generation)
      return this.send(method, params, options)
    }
  }

  private async send(method: string, params: Params, options: CallOptions): Promise<Result> {
    const id = this.nextId++
    try {
      const posted = await this.wire.post({ jsonrpc: '2.0', id, method, params }, this.headers(), {
        timeout: options.timeout,
        signal: options.signal,
        onMessage: (message) => this.fromServer(message),
      })
      return resultOf(posted, method)
    } catch (error) {
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) this.cancel(id, 'timed out')
      else if (options.signal?.aborted) this.cancel(id, String(options.signal.reason ?? 'cancelled'))
      throw error
    }
  }

  /** Tells the upstream a request was given up (MCP basic/utilities/cancellation), as the SDK client did. */
  private cancel(requestId: Id, reason: string): void {
    this.notify('notifications/cancelled', { requestId, reason }).catch(() => undefined)
  }

  /** Sends a notification on the session. */
  async notify(method: string, params?: Params): Promise<void> {
    await this.start()
    await this.wire.post({ jsonrpc: '2.0', method, ...(params ? { params } : {}) }, this.headers(), {
      timeout: this.timeout,
    })
  }

  /**
   * A message the server sent on its own, to `server`: notifications (progress included: the caller routes it by
   * the token it gave the request), and requests, whose answers are posted back on the session.
   */
  private fromServer(message: Message): void {
    if (typeof message.method !== 'string') return
    const params = isObject(message.params) ? message.params : {}
    if (message.id === undefined) {
      this.server.notification(message.method, params)
      return
    }
    const id = message.id as Id
    this.server
      .request(message.method, params, id)
      .then(
        (result) => ({ jsonrpc: '2.0', id, result }),
        (error: unknown) => ({
          jsonrpc: '2.0',
          id,
          error:
            error instanceof McpError
              ? {
                  code: error.code,
                  message: error.message,
                  ...(error.data === undefined ? {} : { data: error.data }),
                }
              : {
                  code: ErrorCode.InternalError,
                  message: error instanceof Error ? error.message : String(error),
                },
        }),
      )
      .then((answer) => this.wire.post(answer, this.headers(), { timeout: this.timeout }))
      .catch(() => undefined)
  }

  /** Stops reading the session's stream; nothing more is sent. */
  async close(): Promise<void> {
    this.closed = true
    this.listening?.abort()
  }
}

/**
 * 2026-07-28 requests to an HTTP upstream that serves the revision: each a POST of its own with the `_meta`
 * envelope and the standard headers (no session, no `initialize`). Progress comes on the request's own stream,
 * under a token of Warden's. A result that asks for input (`input_required`) cannot be routed on this shared
 * connection: refused as the shared 2025 connection refuses a server's request (−32005).
 */
export class StatelessUpstream {
  private nextId = 0

  constructor(
    private readonly wire: UpstreamWire,
    private readonly info: { name: string; version: string },
  ) {}

  async request(method: string, params: Params, options: CallOptions): Promise<Result> {
    const id = this.nextId++
    let token: string | undefined
    const meta: Params = {
      ...(isObject(params._meta) ? params._meta : {}),
      [VERSION_KEY]: STATELESS_VERSION,
      [CLIENT_INFO_KEY]: this.info,
      [CAPABILITIES_KEY]: {},
    }
    if (options.onProgress) {
      token = `warden-${process.pid}-${++tokens}`
      meta.progressToken = token
    }
    const headers: Record<string, string> = {
      'mcp-protocol-version': STATELESS_VERSION,
      'mcp-method': method,
    }
    const field = NAME_SOURCE[method]
    const name = field === undefined ? undefined : params[field]
    if (typeof name === 'string') headers['mcp-name'] = headerValue(name)
    const onProgress = options.onProgress
    const posted = await this.wire.post(
      { jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } },
      headers,
      {
        timeout: options.timeout,
        signal: options.signal,
        onMessage: (message) => {
          if (message.method !== 'notifications/progress' || !isObject(message.params) || !onProgress) return
          const { progressToken, ...progress } = message.params
          if (progressToken === token) onProgress(progress)
        },
      },
    )
    const { resultType, ...result } = resultOf(posted, method)
    if (resultType === 'input_required') {
      throw new McpError(
        RPC.UNROUTABLE,
        'the upstream asked for input on a shared stateless connection; Warden relays that only for isolated upstreams',
      )
    }
    return result
  }

  /**
   * Asks the upstream with `server/discover` whether it serves 2026-07-28: a client for it if it does; undefined
   * if it answers otherwise (a 2025 server: an error, or revisions without this one). A connection that fails
   * throws (the caller asks again later).
   */
  static async discover(
    wire: UpstreamWire,
    info: { name: string; version: string },
    timeout: number,
  ): Promise<StatelessUpstream | undefined> {
    const client = new StatelessUpstream(wire, info)
    let result: Result
    try {
      result = await client.request('server/discover', {}, { timeout })
    } catch (error) {
      // The upstream answered, and not with the revision: a 2025 server.
      if (error instanceof McpError && error.code !== ErrorCode.RequestTimeout) return undefined
      if (error instanceof WardenError && /HTTP \d/.test(error.message)) return undefined
      throw error
    }
    const versions = result.supportedVersions
    return Array.isArray(versions) && versions.includes(STATELESS_VERSION) ? client : undefined
  }
}
