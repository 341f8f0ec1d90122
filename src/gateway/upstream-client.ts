import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js'
import type { HttpSession, StatelessUpstream } from './upstream-rpc.js'

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
 * session (the shared connection: the MCP SDK client over stdio, the gateway's own over HTTP) or 2026-07-28
 * stateless requests (the gateway's own client). Results are the upstream's, as sent.
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
export function sessionClient(client: SessionClient, progress: ProgressRoutes): UpstreamClient {
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

/** A 2026-07-28 upstream's requests (the gateway's own client) as an `UpstreamClient`. */
export function statelessClient(upstream: StatelessUpstream): UpstreamClient {
  const send = (method: string) => (params: Params, options: UpstreamRequestOptions) =>
    upstream.request(method, params, options)
  return {
    stateless: true,
    callTool: send('tools/call') as unknown as UpstreamClient['callTool'],
    // Warden asks for every list and read afresh: what one task may see is not what another may.
    listResources: send('resources/list'),
    listResourceTemplates: send('resources/templates/list'),
    readResource: send('resources/read') as unknown as UpstreamClient['readResource'],
    listPrompts: send('prompts/list'),
    getPrompt: send('prompts/get'),
    complete: send('completion/complete'),
  }
}

/**
 * What the gateway asks of an upstream's 2025 session (the shared connection, a session link): the MCP SDK's
 * `Client` over stdio, or the gateway's own `HttpSession` shaped like it (`sessionShaped`).
 */
export type SessionClient = Pick<
  Client,
  | 'callTool'
  | 'listTools'
  | 'listResources'
  | 'listResourceTemplates'
  | 'readResource'
  | 'listPrompts'
  | 'getPrompt'
  | 'complete'
  | 'subscribeResource'
  | 'unsubscribeResource'
  | 'setLoggingLevel'
  | 'request'
  | 'getServerCapabilities'
  | 'sendRootsListChanged'
  | 'close'
>

/**
 * An HTTP upstream's session on the gateway's own client, with the SDK client's methods: each sends its method
 * with the params as given and resolves with the upstream's result as sent (no schema: the gateway forwards it).
 */
export function sessionShaped(session: HttpSession, timeout: number): SessionClient {
  const send =
    (method: string) =>
    (params?: unknown, options?: { timeout?: number; signal?: AbortSignal | undefined }) =>
      session.request(method, (params ?? {}) as Params, {
        timeout: options?.timeout ?? timeout,
        signal: options?.signal,
      })
  const shaped = {
    callTool: (params: unknown, _schema: unknown, options?: { timeout?: number; signal?: AbortSignal }) =>
      send('tools/call')(params, options),
    listTools: send('tools/list'),
    listResources: send('resources/list'),
    listResourceTemplates: send('resources/templates/list'),
    readResource: send('resources/read'),
    listPrompts: send('prompts/list'),
    getPrompt: send('prompts/get'),
    complete: send('completion/complete'),
    subscribeResource: send('resources/subscribe'),
    unsubscribeResource: send('resources/unsubscribe'),
    setLoggingLevel: (level: string, options?: { timeout?: number; signal?: AbortSignal }) =>
      send('logging/setLevel')({ level }, options),
    request: (
      request: { method: string; params?: unknown },
      _schema: unknown,
      options?: { timeout?: number },
    ) => send(request.method)(request.params, options),
    getServerCapabilities: () => session.getServerCapabilities(),
    sendRootsListChanged: () => session.notify('notifications/roots/list_changed'),
    close: () => session.close(),
  }
  // The SDK's overloads (result schemas, task-augmented calls) are not used by the gateway; only their shape is.
  return shaped as unknown as SessionClient
}
