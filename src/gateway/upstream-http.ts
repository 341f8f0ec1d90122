import { Pool, fetch as poolFetch } from 'undici'
import { WardenError } from '../kernel/index.js'
import { fetchWithOwnSignals } from '../sdk/index.js'
import { UpstreamWire } from './upstream-rpc.js'

/** The most an HTTP upstream may send in answer to one request (a JSON result, or one POST's event stream). */
export const MAX_UPSTREAM_RESPONSE_BYTES = 16 * 1024 * 1024
/** The longest a connection to an upstream may take to open (never longer than the call's own time limit). */
const CONNECT_TIMEOUT_MS = 5_000

/** How an HTTP upstream is reached. */
export interface UpstreamHttpOptions {
  /** The per-call time limit (`upstreams.NAME.timeout`); connecting is bounded inside it. */
  timeout: number
  maxResponseBytes?: number
  /** Connections kept open to the upstream. */
  connections?: number
}

function tooLarge(limit: number): WardenError {
  return new WardenError('UPSTREAM_UNAVAILABLE', `the upstream's answer exceeds ${limit} bytes`)
}

/**
 * `response` with a body that fails once more than `limit` bytes have come (an answer announced larger fails at
 * once): an upstream cannot make the gateway buffer without bound. A GET's standalone event stream lives as long
 * as the session and is not capped as a whole.
 */
function capped(response: Response, limit: number, method: string): Response {
  if (!response.body || method === 'GET') return response
  const announced = Number(response.headers.get('content-length') ?? Number.NaN)
  if (announced > limit) {
    response.body.cancel().catch(() => undefined)
    throw tooLarge(limit)
  }
  let seen = 0
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength
        if (seen > limit) controller.error(tooLarge(limit))
        else controller.enqueue(chunk)
      },
    }),
  )
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}

/** An HTTP upstream's connections: the gateway's own client on them, and a `fetch` for the MCP SDK's. */
export interface UpstreamHttp {
  /** The gateway's own JSON-RPC client's way to the upstream (`upstream-rpc.ts`). */
  wire: UpstreamWire
  /** For the MCP SDK client of an isolated session. */
  fetch: typeof fetch
  close(): Promise<void>
}

/**
 * An undici `Pool` to an HTTP upstream's origin with keep-alive (one TCP connection per concurrent call, reused,
 * instead of the global dispatcher's), a connect timeout inside the per-call time limit (an upstream that accepts
 * and never answers the handshake fails the call in time), and every answer's size capped; shared by the
 * gateway's own client (`wire`) and a `fetch` (each request its own abort signal, `fetchWithOwnSignals`).
 */
export function upstreamHttp(url: URL, options: UpstreamHttpOptions): UpstreamHttp {
  const limit = options.maxResponseBytes ?? MAX_UPSTREAM_RESPONSE_BYTES
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 64,
    // Below the 5 s Node servers close idle connections after: a POST is never sent on a socket being closed
    // (undici does not retry a POST).
    keepAliveTimeout: 4_000,
    connect: { timeout: Math.min(CONNECT_TIMEOUT_MS, options.timeout) },
    // Until the answer's headers: the call's own limit. An event stream's body may stay open for as long as the
    // session does (the MCP client's per-request timeout bounds each call).
    headersTimeout: options.timeout,
    bodyTimeout: 0,
  })
  const send = (async (input: string | URL | Request, init?: RequestInit) => {
    let response: unknown
    try {
      response = await poolFetch(input as never, { ...(init as object), dispatcher: pool } as never)
    } catch (error) {
      // undici says only `fetch failed`; what failed (refused, reset, timed out) is in its cause.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      if (error instanceof TypeError && cause) {
        throw new TypeError(`fetch failed: ${cause.code ?? cause.message ?? 'unknown'}`, { cause })
      }
      throw error
    }
    return capped(response as Response, limit, init?.method ?? 'GET')
  }) as typeof fetch
  return {
    wire: new UpstreamWire(url, pool, limit),
    fetch: fetchWithOwnSignals(send),
    close: () => pool.close(),
  }
}
