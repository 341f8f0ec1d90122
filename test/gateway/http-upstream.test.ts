import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { WardenAgent } from '../../src/sdk/index.js'
import { WallClock } from '../fakes/clock.js'
import { listen, mcpClient } from '../fakes/gateway.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

/** A Streamable HTTP MCP server built with the official SDK, stateless, on a loopback port. */
async function startHttpMcpServer(): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = []
  const server: Server = createServer(
    getRequestListener(async (request) => {
      seen.push(request.headers.get('authorization') ?? '(none)')
      const mcp = new McpServer({ name: 'weather', version: '1.0.0' })
      mcp.registerTool(
        'forecast',
        {
          description: 'The forecast for a city',
          inputSchema: { city: z.string() },
          annotations: { readOnlyHint: true, openWorldHint: false },
        },
        async ({ city }) => ({ content: [{ type: 'text', text: `Sunny in ${city}` }] }),
      )
      const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true }) // stateless: no session ids
      await mcp.connect(transport)
      return transport.handleRequest(request)
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('an HTTP upstream behind the gateway', () => {
  let upstream: Awaited<ReturnType<typeof startHttpMcpServer>>
  let t: TestWarden
  let stop: () => Promise<void>
  let url: string

  beforeAll(async () => {
    upstream = await startHttpMcpServer()
    t = await startTestWarden({ upstreams: { weather: { url: upstream.url } } }, { clock: new WallClock() })
    await t.warden.gateway.start()
    ;({ url, close: stop } = await listen(t))
  })
  afterAll(async () => {
    await stop?.()
    await t?.dispose()
    await upstream?.close()
  })

  it('forwards allowed calls, and never passes the agent’s token upstream', async () => {
    await t.request('POST', '/v1/agents', {
      body: { name: 'planner', owner: 'p@example.com', tier: 'standard', entitlements: ['forecast'] },
    })
    const minted = (await (await t.request('POST', '/v1/agents/planner/join-tokens')).json()) as {
      token: string
    }
    const agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    const task = await agent.openTask({ purpose: 'plan the trip', tools: ['forecast'] })
    const client = await mcpClient(`${url}/mcp/weather`, agent, task)
    const result = await client.callTool({ name: 'forecast', arguments: { city: 'Lisbon' } })
    expect(JSON.stringify(result.content)).toContain('Sunny in Lisbon')
    await client.close()
    expect(upstream.seen.length).toBeGreaterThan(0)
    expect(upstream.seen.every((header) => !header.includes(task.token))).toBe(true)
  })
})
