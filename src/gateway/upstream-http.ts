import { Pool } from 'undici'
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

/** An HTTP upstream's connections, and the gateway's own JSON-RPC client's way to it (`upstream-rpc.ts`). */
export interface UpstreamHttp {
  wire: UpstreamWire
  close(): Promise<void>
}

/**
 * An undici `Pool` to an HTTP upstream's origin with keep-alive (one TCP connection per concurrent call, reused,
 * instead of the global dispatcher's), a connect timeout inside the per-call time limit (an upstream that accepts
 * and never answers the handshake fails the call in time), and every answer's size capped (by the client).
 * Shared by the upstream's shared session, every isolated session's, and its stateless requests.
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
  // Sessions' standalone GET streams live as long as their sessions: on connections of their own, so that open
  // sessions never take the connections calls need (a call would queue behind a stream that does not end).
  const streams = new Pool(url.origin, {
    keepAliveTimeout: 4_000,
    connect: { timeout: Math.min(CONNECT_TIMEOUT_MS, options.timeout) },
    headersTimeout: options.timeout,
    bodyTimeout: 0,
  })
  return {
    wire: new UpstreamWire(url, pool, limit, streams),
    close: async () => {
      await Promise.all([pool.close(), streams.close()])
    },
  }
}
