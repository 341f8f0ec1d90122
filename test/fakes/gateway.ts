import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import type { TaskHandle, WardenAgent } from '../../src/sdk/index.js'
import type { TestWarden } from './warden.js'

/** The test Warden served on a real loopback port (the MCP SDK client speaks HTTP). */
export async function listen(t: TestWarden): Promise<{ url: string; close: () => Promise<void> }> {
  const server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      }),
  }
}

/** A real MCP SDK client on the gateway, sending the task token with a fresh DPoP proof on every request. */
export async function mcpClient(url: string, agent: WardenAgent, task: TaskHandle): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: agent.gatewayFetch(task, url) })
  await client.connect(transport)
  return client
}

/** The JSON-RPC error `promise` rejects with (anything else fails the test). */
export async function rpcError(promise: Promise<unknown>): Promise<McpError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof McpError) return error
    throw error
  }
  throw new Error('expected a JSON-RPC error')
}
