import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttpTransport,
} from '@modelcontextprotocol/client'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen, mcpClient, rpcError } from '../fakes/gateway.js'
import { controlledStore, type FlushControl } from '../fakes/store.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

/** A Streamable HTTP MCP server built with the official SDK, stateless, on a loopback port. */
async function startHttpMcpServer(): Promise<{
  url: string
  seen: string[]
  forecasts: string[]
  /** The JSON-RPC method of every POST it received. */
  methods: string[]
  close: () => Promise<void>
}> {
  const seen: string[] = []
  const forecasts: string[] = []
  const methods: string[] = []
  const server: Server = createServer(
    getRequestListener(async (request) => {
      seen.push(request.headers.get('authorization') ?? '(none)')
      if (request.method === 'POST')
        methods.push(((await request.clone().json()) as { method?: string }).method ?? 'response')
      const mcp = new McpServer({ name: 'weather', version: '1.0.0' })
      mcp.registerTool(
        'forecast',
        {
          description: 'The forecast for a city',
          inputSchema: { city: z.string() },
          annotations: { readOnlyHint: true, openWorldHint: false },
        },
        async ({ city }) => {
          forecasts.push(city)
          return { content: [{ type: 'text', text: `Sunny in ${city}` }] }
        },
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
    forecasts,
    methods,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('an HTTP upstream behind the gateway', () => {
  let upstream: Awaited<ReturnType<typeof startHttpMcpServer>>
  let t: TestWarden
  let stop: () => Promise<void>
  let url: string
  let disk: FlushControl

  beforeAll(async () => {
    upstream = await startHttpMcpServer()
    t = await startTestWarden(
      { upstreams: { weather: { url: upstream.url } } },
      {
        clock: new ShiftedClock(),
        store: (dir) => {
          disk = controlledStore(dir)
          return disk.store
        },
      },
    )
    await t.warden.gateway.start()
    ;({ url, close: stop } = await listen(t))
  })
  afterAll(async () => {
    disk?.release()
    await stop?.()
    await t?.dispose()
    await upstream?.close()
  })

  const plannerWithTask = async (name: string) => {
    await t.request('POST', '/v1/agents', {
      body: { name, owner: 'p@example.com', tier: 'standard', entitlements: ['forecast'] },
    })
    const minted = (await (await t.request('POST', `/v1/agents/${name}/join-tokens`)).json()) as {
      token: string
    }
    const agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    const task = await agent.openTask({ purpose: 'plan the trip', tools: ['forecast'] })
    return { agent, task }
  }

  it('forwards allowed calls, and never passes the agent’s token upstream', async () => {
    const { agent, task } = await plannerWithTask('planner')
    const client = await mcpClient(`${url}/mcp/weather`, agent, task)
    const result = await client.callTool({ name: 'forecast', arguments: { city: 'Lisbon' } })
    expect(JSON.stringify(result.content)).toContain('Sunny in Lisbon')
    await client.close()
    expect(upstream.seen.length).toBeGreaterThan(0)
    expect(upstream.seen.every((header) => !header.includes(task.token))).toBe(true)
  })

  it('serves a 2026-07-28 client through a 2025-11-25 HTTP upstream on its session: discovery finds no stateless revision', async () => {
    const { agent, task } = await plannerWithTask('planner-modern')
    const endpoint = `${url}/mcp/weather`
    const client = new ModernClient(
      { name: 'modern-agent', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    )
    await client.connect(
      new ModernHttpTransport(new URL(endpoint), { fetch: agent.gatewayFetch(task, endpoint) }),
    )
    try {
      const result = await client.callTool({ name: 'forecast', arguments: { city: 'Braga' } })
      expect(JSON.stringify(result.content)).toContain('Sunny in Braga')
    } finally {
      await client.close()
    }
    // Warden asked the upstream once with `server/discover`, and sent the call the 2025 way.
    expect(upstream.methods).toContain('server/discover')
    expect(upstream.forecasts).toContain('Braga')
  })

  it('forwards once the call is committed, and answers only once its record is on disk', async () => {
    const { agent, task } = await plannerWithTask('planner-disk')
    const client = await mcpClient(`${url}/mcp/weather`, agent, task)
    disk.hold()
    let answered = false
    const call = client.callTool({ name: 'forecast', arguments: { city: 'Porto' } }).finally(() => {
      answered = true
    })
    // The upstream runs the call while the flush of its record is still held (they overlap) ...
    while (!upstream.forecasts.includes('Porto')) await new Promise((resolve) => setTimeout(resolve, 5))
    const recorded = await t.warden.chain.query({ task: task.taskId })
    expect(recorded.filter((e) => e.kind === 'decision').map((e) => e.body.effect)).toContain('allow')
    await new Promise((resolve) => setTimeout(resolve, 100))
    // ... and the agent hears nothing until it is on disk.
    expect(answered).toBe(false)
    disk.release()
    expect(JSON.stringify((await call).content)).toContain('Sunny in Porto')

    // A flush the disk refuses fails the answer, though the call went upstream: fail closed, never silent.
    disk.hold()
    const refused = rpcError(client.callTool({ name: 'forecast', arguments: { city: 'Faro' } }))
    while (!upstream.forecasts.includes('Faro')) await new Promise((resolve) => setTimeout(resolve, 5))
    disk.fail(new Error('EIO: the disk refused'))
    expect((await refused).message).toMatch(/flush|disk|store/i)
    disk.release()
    await client.close()
  })
})
