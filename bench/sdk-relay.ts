import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { fetchWithOwnSignals } from '../src/sdk/index.js'

/**
 * A relay built of the MCP SDK's parts and nothing else — the gateway's downstream server and upstream client,
 * with no token, decision or record in between: what any MCP gateway on these parts adds to a call. The bench
 * measures it next to the gateway, so the gateway's overhead reads as this floor plus Warden's own work.
 */
function relayServer(upstream: Client): Server {
  const server = new Server({ name: 'sdk-relay', version: '1' }, { capabilities: { tools: {} } })
  server.setRequestHandler(ListToolsRequestSchema, () => upstream.listTools())
  server.setRequestHandler(CallToolRequestSchema, (request) =>
    upstream.callTool({ name: request.params.name, arguments: request.params.arguments ?? {} }),
  )
  return server
}

/** The relay over Streamable HTTP: its URL and a close. */
async function httpRelay(upstreamUrl: string): Promise<{ url: string; close: () => Promise<void> }> {
  const upstream = new Client({ name: 'sdk-relay', version: '1' })
  await upstream.connect(
    new StreamableHTTPClientTransport(new URL(upstreamUrl), { fetch: fetchWithOwnSignals() }),
  )
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>()
  const http = serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (request) => {
      const id = request.headers.get('mcp-session-id')
      const known = id ? sessions.get(id) : undefined
      if (known) return known.handleRequest(request)
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: false,
        onsessioninitialized: (sid) => void sessions.set(sid, transport),
      })
      await relayServer(upstream).connect(transport)
      const response = await transport.handleRequest(request)
      // As the gateway does: a request that opened no session leaves nothing behind.
      if (!transport.sessionId) await transport.close()
      return response
    },
  })
  await new Promise<void>((resolve) => http.once('listening', () => resolve()))
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: async () => {
      for (const transport of sessions.values()) await transport.close().catch(() => undefined)
      await upstream.close()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        ;(http as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      })
    },
  }
}

/**
 * `node dist/bench/sdk-relay.js --http URL`: the relay over Streamable HTTP in front of the server at URL, in a
 * process of its own as the gateway is (prints `relay listening on <url>`); `node dist/bench/sdk-relay.js COMMAND
 * [ARGS…]`: the relay over stdio, in front of a stdio server.
 */
const [mode, ...rest] = process.argv.slice(2)
if (mode === '--http') {
  const relay = await httpRelay(rest[0] as string)
  process.stdout.write(`relay listening on ${relay.url}\n`)
  process.once('SIGTERM', () => relay.close().then(() => process.exit(0)))
} else {
  const [command, ...args] = [mode, ...rest]
  const upstream = new Client({ name: 'sdk-relay', version: '1' })
  await upstream.connect(new StdioClientTransport({ command: command as string, args, stderr: 'pipe' }))
  await relayServer(upstream).connect(new StdioServerTransport())
  // Ends with its client, as `warden gateway stdio` does (the upstream ends on its own stdin's end).
  process.stdin.once('end', () => process.exit(0))
}
