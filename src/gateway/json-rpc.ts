/**
 * The gateway's own JSON-RPC 2.0 reading and writing for MCP over HTTP: one parse, a shape check without a schema
 * library, and plain `application/json` answers. The MCP SDK's server transport validates every message with zod
 * and answers on an event stream; on the hot path neither is needed.
 */
import { exceedsJsonLimits, type JsonLimits } from '../kernel/index.js'

/** JSON-RPC 2.0 §5.1 codes, and MCP's own (2026-07-28). */
export const JSONRPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  /** An `MCP-Protocol-Version`, `Mcp-Method` or `Mcp-Name` header disagrees with the body (SEP-2243). */
  HEADER_MISMATCH: -32020,
  /** The request needs a client capability its `_meta` does not declare. */
  MISSING_CLIENT_CAPABILITY: -32021,
  /** The request's protocol version is not one the server supports; `data.supported` lists those it does. */
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
} as const

export type RequestId = string | number

/** A request or notification as received: `params` is an object when present. */
export interface Inbound {
  id?: RequestId
  method: string
  params?: Record<string, unknown>
}

/** A client's answer to a server's request (sampling, elicitation, roots), posted on a 2025-era session. */
export interface PostedResponse {
  id: RequestId
  result?: unknown
  error?: unknown
}

export function isResponse(message: Inbound | PostedResponse): message is PostedResponse {
  return !('method' in message)
}

/** A JSON-RPC error to answer with, and the HTTP status it travels with. */
export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status: number,
    readonly id: RequestId | null = null,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const decoder = new TextDecoder()

/**
 * Parses one JSON-RPC message posted to the gateway: a request, a notification, or a response (which only a
 * 2025-era session takes). Throws `RpcFailure`: −32700 for text that is not JSON;
 * −32600 for a batch (MCP 2025-06-18 removed them), `jsonrpc` other than "2.0", a missing or
 * non-string method, an id that is neither string nor number (JSON-RPC §4; MCP forbids null), params that are
 * not an object (MCP sends by name), or a message nested or sized beyond `limits`.
 */
export function parseMessage(bytes: Uint8Array, limits: JsonLimits): Inbound | PostedResponse {
  // The structure is counted on the bytes, before the parser builds anything (`server.jsonLimits`, the same
  // limits and the same check as every other JSON body Warden reads).
  const problem = exceedsJsonLimits(bytes, limits)
  if (problem) throw new RpcFailure(JSONRPC.INVALID_REQUEST, `invalid request: ${problem}`, 400)
  let body: unknown
  try {
    body = JSON.parse(decoder.decode(bytes))
  } catch {
    throw new RpcFailure(JSONRPC.PARSE_ERROR, 'parse error: the body is not JSON', 400)
  }
  if (Array.isArray(body)) {
    throw new RpcFailure(JSONRPC.INVALID_REQUEST, 'invalid request: JSON-RPC batches are not supported', 400)
  }
  if (!isObject(body)) throw new RpcFailure(JSONRPC.INVALID_REQUEST, 'invalid request: not an object', 400)
  const rawId = body.id
  const id = typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId)) ? rawId : null
  const invalid = (why: string) => new RpcFailure(JSONRPC.INVALID_REQUEST, `invalid request: ${why}`, 400, id)
  if (body.jsonrpc !== '2.0') throw invalid('`jsonrpc` must be "2.0"')
  if (!('method' in body)) {
    if (id === null || !('result' in body || 'error' in body)) throw invalid('no `method`')
    return 'result' in body ? { id, result: body.result } : { id, error: body.error }
  }
  if (typeof body.method !== 'string' || body.method === '') throw invalid('`method` must be a string')
  if ('id' in body && id === null) throw invalid('`id` must be a string or a number')
  if (body.params !== undefined && !isObject(body.params)) throw invalid('`params` must be an object')
  const message: Inbound = { method: body.method }
  if (id !== null) message.id = id
  if (body.params !== undefined) message.params = body.params as Record<string, unknown>
  return message
}

/**
 * Headers of one answer, a new object each time: @hono/node-server writes `Content-Length` into a plain headers
 * object it is handed, so a shared one would carry one answer's length into the next.
 */
function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json' }
}

/** A JSON-RPC result as one `application/json` answer. */
export function resultResponse(id: RequestId, result: unknown): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', id, result }), { status: 200, headers: jsonHeaders() })
}

/** A JSON-RPC error as one `application/json` answer (HTTP 200 for an error of the method, else its status). */
export function errorResponse(
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown,
  status = 200,
): Response {
  const error = data === undefined ? { code, message } : { code, message, data }
  return new Response(JSON.stringify({ jsonrpc: '2.0', id, error }), { status, headers: jsonHeaders() })
}

/** A failure as its answer. */
export function failureResponse(failure: RpcFailure): Response {
  return errorResponse(failure.id, failure.code, failure.message, failure.data, failure.status)
}

const BASE64_PREFIX = '=?base64?'
const BASE64_SUFFIX = '?='
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * An `Mcp-Name` (or `Mcp-Param-*`) header's value: a value outside header-safe ASCII travels as
 * `=?base64?…?=` (SEP-2243); undefined for a sentinel whose payload is not canonical Base64 of UTF-8.
 */
export function decodeHeaderValue(raw: string): string | undefined {
  const value = raw.trim()
  if (!(value.startsWith(BASE64_PREFIX) && value.endsWith(BASE64_SUFFIX))) return value
  const payload = value.slice(BASE64_PREFIX.length, value.length - BASE64_SUFFIX.length)
  if (!BASE64.test(payload)) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(payload, 'base64'))
  } catch {
    return undefined
  }
}

/** The body field an `Mcp-Name` header mirrors, by method (SEP-2243 standard request headers). */
export const NAME_SOURCE: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
}
