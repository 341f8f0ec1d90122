import {
  ProtocolError,
  Client as StatelessClient,
  StreamableHTTPClientTransport as StatelessHttpTransport,
} from '@modelcontextprotocol/client'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { type CallToolResult, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js'
import { RPC } from './rpc.js'

/** The 2026-07-28 revision, as an upstream's `server/discover` must offer it for Warden to speak it statelessly. */
const STATELESS_VERSION = '2026-07-28'

/** A request's time limit and cancellation on its way upstream. */
export interface UpstreamRequestOptions {
  timeout: number
  signal?: AbortSignal
  /** Asks the upstream for progress (a token of Warden's own), delivered here. */
  onProgress?: (progress: Record<string, unknown>) => void
}

/** Progress tokens for upstream requests on a 2025 session, routed back by token (`Upstream.openProgress`). */
export interface ProgressRoutes {
  open(route: (progress: Record<string, unknown>) => void): string
  close(token: string): void
}

type Params = Record<string, unknown>
type Result = Record<string, unknown>

/**
 * What the gateway's own dispatch asks of an upstream, whichever revision the upstream speaks: a 2025-11-25
 * session (the shared connection, MCP SDK v1) or 2026-07-28 stateless requests (MCP SDK v2). Results are the
 * upstream's, as sent.
 */
export interface UpstreamClient {
  /** Whether requests go statelessly (2026-07-28), not on a 2025 session. */
  readonly stateless: boolean
  callTool(params: Params, options: UpstreamRequestOptions): Promise<CallToolResult>
  listResources(params: Params, options: UpstreamRequestOptions): Promise<Result>
  listResourceTemplates(params: Params, options: UpstreamRequestOptions): Promise<Result>
  readResource(params: { uri: string }, options: UpstreamRequestOptions): Promise<ReadResourceResult>
  listPrompts(params: Params, options: UpstreamRequestOptions): Promise<Result>
  getPrompt(
    params: { name: string; arguments: Record<string, string> },
    options: UpstreamRequestOptions,
  ): Promise<Result>
  complete(params: Params, options: UpstreamRequestOptions): Promise<Result>
}

/** A 2025-era session's client (the upstream's shared connection) as an `UpstreamClient`. */
export function sessionClient(client: Client, progress: ProgressRoutes): UpstreamClient {
  return {
    stateless: false,
    callTool: async (params, { onProgress, ...options }) => {
      if (!onProgress) return client.callTool(params as never, undefined, options) as Promise<CallToolResult>
      // A token of the gateway's own: the upstream never sees the client's, and progress comes back to this call.
      const token = progress.open(onProgress)
      try {
        const withToken = { ...params, _meta: { progressToken: token } }
        return (await client.callTool(withToken as never, undefined, options)) as CallToolResult
      } finally {
        progress.close(token)
      }
    },
    listResources: (params, options) => client.listResources(params, options),
    listResourceTemplates: (params, options) => client.listResourceTemplates(params, options),
    readResource: (params, options) => client.readResource(params, options),
    listPrompts: (params, options) => client.listPrompts(params, options),
    getPrompt: (params, options) => client.getPrompt(params, options),
    complete: (params, options) => client.complete(params as never, options),
  }
}

/**
 * The v2 client's errors as the v1 SDK's `McpError`, which the dispatch answers with: a JSON-RPC error keeps its
 * code. An upstream that asks for input mid-call (`input_required`) on this shared, stateless connection cannot
 * have it routed: refused as the shared 2025 connection refuses a server's request (−32005).
 */
async function mapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof ProtocolError) throw new McpError(error.code, error.message, error.data)
    if (error instanceof Error && /input[_ ]required/i.test(error.message)) {
      throw new McpError(
        RPC.UNROUTABLE,
        'the upstream asked for input on a shared stateless connection; Warden relays that only for isolated upstreams',
      )
    }
    throw error
  }
}

function asUpstreamClient(client: StatelessClient): UpstreamClient {
  return {
    stateless: true,
    callTool: (params, { onProgress, ...options }) =>
      mapped(
        () =>
          client.callTool(
            params as never,
            (onProgress ? { ...options, onprogress: onProgress } : options) as never,
          ) as Promise<CallToolResult>,
      ),
    // Warden asks for every list and read afresh: what one task may see is not what another may.
    listResources: (params, options) =>
      mapped(() => client.listResources(params, { ...options, cacheMode: 'bypass' } as never)),
    listResourceTemplates: (params, options) =>
      mapped(() => client.listResourceTemplates(params, { ...options, cacheMode: 'bypass' } as never)),
    readResource: (params, options) =>
      mapped(
        () =>
          client.readResource(params, {
            ...options,
            cacheMode: 'bypass',
          } as never) as Promise<ReadResourceResult>,
      ),
    listPrompts: (params, options) =>
      mapped(() => client.listPrompts(params, { ...options, cacheMode: 'bypass' } as never)),
    getPrompt: (params, options) => mapped(() => client.getPrompt(params, options)),
    complete: (params, options) => mapped(() => client.complete(params as never, options)),
  }
}

/** A stateless upstream connection, and how to end it. */
export interface StatelessConnection {
  client: UpstreamClient
  close(): Promise<void>
}

/**
 * Asks an HTTP upstream, with `server/discover`, whether it serves 2026-07-28; if it does, a client that speaks
 * it statelessly (no `initialize`, the `_meta` envelope and the standard headers on every request), else
 * undefined (the upstream is a 2025 server: its session is the shared connection). Nothing is negotiated per
 * request: any Warden node asks the upstream the same way.
 */
export async function connectStateless(
  name: string,
  url: URL,
  fetch: typeof globalThis.fetch,
  timeout: number,
): Promise<StatelessConnection | undefined> {
  const client = new StatelessClient(
    { name: `warden-gateway/${name}`, version: '0.1.0' },
    {
      versionNegotiation: { mode: 'auto', probe: { timeoutMs: timeout } },
      // A request for input is the client's to answer, never Warden's: surfaced, not fulfilled here.
      inputRequired: { autoFulfill: false },
    },
  )
  await client.connect(new StatelessHttpTransport(url, { fetch }))
  if (client.getNegotiatedProtocolVersion() !== STATELESS_VERSION) {
    await client.close().catch(() => undefined)
    return undefined
  }
  return { client: asUpstreamClient(client), close: () => client.close() }
}
