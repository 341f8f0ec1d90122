import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { LoggingMessageNotificationSchema, McpError } from '@modelcontextprotocol/sdk/types.js'
import { Pool } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { RPC } from '../../src/gateway/index.js'
import { HttpSession, StatelessUpstream, UpstreamWire } from '../../src/gateway/upstream-rpc.js'
import { isWardenError } from '../../src/kernel/index.js'
import { type TaskHandle, WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen, mcpClient, rpcError } from '../fakes/gateway.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

const V1_SERVER = new URL('../fixtures/v1-http-server.mjs', import.meta.url).pathname
const V2_SERVER = new URL('../fixtures/v2-server.mjs', import.meta.url).pathname
const INFO = { name: 'warden-test', version: '1' }

interface Fixture {
  url: string
  port: number
  child: ChildProcess
  /** What the server logged of each POST (`tools/call session=yes`). */
  requests: () => string[]
  stop: () => Promise<void>
}

/** A fixture server as a child process, on `port` (0: any), once it listens. */
async function fixture(script: string, mode: string, port = 0): Promise<Fixture> {
  const child = spawn(process.execPath, [script, mode], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PORT: String(port) },
  })
  let seen = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      const match = /listening on (\S+)/.exec(seen)
      if (match) resolve(match[1] as string)
    })
    child.once('exit', (code) => reject(new Error(`the fixture exited with ${code}: ${seen}`)))
  })
  return {
    url,
    port: Number(new URL(url).port),
    child,
    requests: () => [...seen.matchAll(/^request (.*)$/gm)].map((m) => m[1] as string),
    stop: async () => {
      if (child.exitCode !== null) return
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
    },
  }
}

const pools: Pool[] = []
function wire(url: string, limit = 1024 * 1024): UpstreamWire {
  const pool = new Pool(new URL(url).origin, { connections: 8, keepAliveTimeout: 4_000, bodyTimeout: 0 })
  pools.push(pool)
  return new UpstreamWire(new URL(url), pool, limit)
}

/** A session whose server messages are kept: notifications, and requests (refused as a shared connection does). */
function session(url: string, onRestart?: () => void) {
  const notifications: Array<{ method: string; params: Record<string, unknown> }> = []
  const asked: string[] = []
  const s = new HttpSession(
    wire(url),
    INFO,
    { sampling: {} },
    5_000,
    {
      notification: (method, params) => notifications.push({ method, params }),
      request: async (method) => {
        asked.push(method)
        throw new McpError(RPC.UNROUTABLE, 'refused')
      },
    },
    onRestart,
  )
  return { session: s, notifications, asked }
}

function text(result: Record<string, unknown>): string {
  return JSON.stringify(result.content)
}

const echo = { name: 'echo', arguments: { message: 'hi' } }

describe("the gateway's own upstream client", () => {
  const fixtures: Fixture[] = []
  const started = async (script: string, mode: string, port = 0) => {
    const f = await fixture(script, mode, port)
    fixtures.push(f)
    return f
  }
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.stop()
  })
  afterAll(async () => {
    for (const pool of pools) await pool.close()
  })

  it('keeps a 2025-11-25 session whose answers come on event streams: progress and the server’s requests on the way', async () => {
    const server = await started(V1_SERVER, 'sse')
    const { session: s, notifications, asked } = session(server.url)
    expect(text(await s.request('tools/call', echo, { timeout: 5_000 }))).toContain('Echo: hi')
    expect(s.getServerCapabilities()?.tools).toBeDefined()

    const done = await s.request(
      'tools/call',
      { name: 'progress', arguments: {}, _meta: { progressToken: 'p-1' } },
      { timeout: 5_000 },
    )
    expect(text(done)).toContain('done')
    const progress = notifications.filter((n) => n.method === 'notifications/progress')
    expect(progress.map((n) => [n.params.progressToken, n.params.progress])).toEqual([
      ['p-1', 1],
      ['p-1', 2],
    ])

    // The server's request is handed over, and its answer (here a refusal) reaches the server.
    expect(text(await s.request('tools/call', { name: 'ask', arguments: {} }, { timeout: 5_000 }))).toContain(
      `refused ${RPC.UNROUTABLE}`,
    )
    expect(asked).toEqual(['sampling/createMessage'])

    // Initialized once; every later request names the session.
    const requests = server.requests()
    expect(requests.filter((r) => r.startsWith('initialize'))).toHaveLength(1)
    expect(requests.filter((r) => r.startsWith('tools/call')).every((r) => r.endsWith('session=yes'))).toBe(
      true,
    )
    await s.close()
  })

  it('keeps a session whose answers come as plain JSON, and answers a JSON-RPC error as one', async () => {
    const server = await started(V1_SERVER, 'json')
    const { session: s } = session(server.url)
    expect(text(await s.request('tools/call', echo, { timeout: 5_000 }))).toContain('Echo: hi')
    const error = await s
      .request('prompts/get', { name: 'none' }, { timeout: 5_000 })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(McpError)
    expect(typeof (error as McpError).code).toBe('number')
    expect(server.requests().filter((r) => r.startsWith('initialize'))).toHaveLength(1)
    await s.close()
  })

  it('initializes again when the upstream forgets the session, and sends the request once more', async () => {
    const server = await started(V1_SERVER, 'sse')
    let restarts = 0
    const { session: s } = session(server.url, () => restarts++)
    await s.request('tools/call', echo, { timeout: 5_000 })
    // Control: a session the upstream still knows is not initialized again.
    await s.request('tools/call', echo, { timeout: 5_000 })
    expect(server.requests().filter((r) => r.startsWith('initialize'))).toHaveLength(1)

    await fetch(new URL('/forget', server.url), { method: 'POST' })
    expect(text(await s.request('tools/call', echo, { timeout: 5_000 }))).toContain('Echo: hi')
    expect(server.requests().filter((r) => r.startsWith('initialize'))).toHaveLength(2)
    expect(restarts).toBe(1)
    // The request the forgotten session refused was sent again on the new one: two echo calls went through before.
    expect(server.requests().filter((r) => r === 'tools/call session=yes')).toHaveLength(4)
    await s.close()
  })

  it('fails a call whose upstream crashes mid-call with an error that says so, and serves the next once it is back', async () => {
    const server = await started(V1_SERVER, 'sse')
    const { session: s } = session(server.url)
    expect(text(await s.request('tools/call', echo, { timeout: 5_000 }))).toContain('Echo: hi')
    const failed = await s
      .request('tools/call', { name: 'crash', arguments: {} }, { timeout: 5_000 })
      .catch((e: unknown) => e)
    expect(isWardenError(failed, 'UPSTREAM_UNAVAILABLE')).toBe(true)
    expect((failed as Error).message).toMatch(/connection failed|without answering/)

    // The same server back on the same port, knowing nothing of the old session.
    const back = await started(V1_SERVER, 'sse', server.port)
    expect(text(await s.request('tools/call', echo, { timeout: 5_000 }))).toContain('Echo: hi')
    expect(back.requests().filter((r) => r.startsWith('initialize'))).toHaveLength(1)
    await s.close()
  })

  it('speaks 2026-07-28 statelessly to a server that serves it, and finds a 2025 server to be one', async () => {
    const modern = await started(V2_SERVER, 'http')
    const client = await StatelessUpstream.discover(wire(modern.url), INFO, 5_000)
    expect(client).toBeDefined()
    const result = await (client as StatelessUpstream).request('tools/call', echo, { timeout: 5_000 })
    expect(text(result)).toContain('Echo: hi')
    expect(result.resultType).toBeUndefined()
    // One POST per request, each naming the revision, none with a session or an `initialize`.
    expect(modern.requests()).toContain('tools/call version=2026-07-28 session=-')
    expect(modern.requests().some((r) => r.startsWith('initialize'))).toBe(false)

    const legacy = await started(V1_SERVER, 'json')
    expect(await StatelessUpstream.discover(wire(legacy.url), INFO, 5_000)).toBeUndefined()
  })
})

describe('an HTTP upstream that crashes mid-call, behind the gateway', () => {
  let t: TestWarden
  let url: string
  let stop: () => Promise<void>
  let server: Fixture
  let agent: WardenAgent
  let task: TaskHandle

  beforeAll(async () => {
    server = await fixture(V1_SERVER, 'sse')
    t = await startTestWarden(
      {
        upstreams: {
          v1: { url: server.url, sessions: 'shared' },
          'v1-isolated': { url: server.url, sessions: 'isolated' },
        },
      },
      { clock: new ShiftedClock() },
    )
    await t.warden.gateway.start()
    ;({ url, close: stop } = await listen(t))
    await t.request('POST', '/v1/agents', {
      body: {
        name: 'crasher',
        owner: 'c@example.com',
        tier: 'standard',
        entitlements: ['echo', 'crash', 'log'],
      },
    })
    const minted = (await (await t.request('POST', '/v1/agents/crasher/join-tokens')).json()) as {
      token: string
    }
    agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    task = await agent.openTask({ purpose: 'echo things', tools: ['echo', 'crash', 'log'] })
  })
  afterAll(async () => {
    await stop?.()
    await t?.dispose()
    await server?.stop()
  })

  it('answers the call in flight with a JSON-RPC error, keeps its records, and goes on once the upstream is back', async () => {
    const client = await mcpClient(`${url}/mcp/v1`, agent, task)
    // Control: a call that goes through.
    expect(JSON.stringify((await client.callTool(echo)).content)).toContain('Echo: hi')

    const error = await rpcError(client.callTool({ name: 'crash', arguments: {} }))
    expect(error.code).toBe(RPC.UPSTREAM)
    expect(error.message).toMatch(/upstream `v1` failed/)
    // Nothing lost: the call was decided and recorded before it went upstream, and its failure after.
    const recorded = await t.warden.chain.query({ task: task.taskId })
    const call = recorded.find((e) => e.kind === 'tool.call' && e.body.tool === 'crash')
    expect(call).toBeDefined()
    await expect
      .poll(async () =>
        (await t.warden.chain.query({ task: task.taskId })).some(
          (e) =>
            e.kind === 'tool.result' && typeof e.body.error === 'string' && e.body.error.includes('upstream'),
        ),
      )
      .toBe(true)

    // The server back on its port: the gateway's session is unknown there, so it initializes again.
    server = await fixture(V1_SERVER, 'sse', Number(new URL(server.url).port))
    expect(JSON.stringify((await client.callTool(echo)).content)).toContain('Echo: hi')
    await client.close()
  })

  it('answers an isolated session’s call as plain JSON, and on an event stream when the server says something during it', async () => {
    const endpoint = `${url}/mcp/v1-isolated`
    const types: string[] = []
    const fetchWithProof = agent.gatewayFetch(task, endpoint)
    const client = new Client({ name: 'plain-agent', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(endpoint), {
        fetch: async (input, init) => {
          const response = await fetchWithProof(input, init)
          if (init?.method === 'POST') types.push(response.headers.get('content-type') ?? '')
          return response
        },
      }),
    )
    const logged: unknown[] = []
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logged.push(n.params.data)
    })
    types.length = 0
    expect(JSON.stringify((await client.callTool(echo)).content)).toContain('Echo: hi')
    expect(types).toEqual(['application/json'])

    types.length = 0
    expect(JSON.stringify((await client.callTool({ name: 'log', arguments: {} })).content)).toContain(
      'logged',
    )
    expect(types).toEqual(['text/event-stream'])
    expect(logged).toEqual(['working'])
    await client.close()
  })
})

describe("the upstream wire's limits: time, cancellation, size", () => {
  let server: Server
  let base: string
  const held: ServerResponse[] = []

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume()
      const answer = (type: string, body: string) => {
        response.writeHead(200, { 'content-type': type })
        response.end(body)
      }
      const big = 'x'.repeat(2048)
      if (request.url === '/hang') held.push(response)
      else if (request.url === '/ok')
        answer('application/json', '{"jsonrpc":"2.0","id":1,"result":{"ok":true}}')
      else if (request.url === '/big')
        answer('application/json', `{"jsonrpc":"2.0","id":1,"result":{"x":"${big}"}}`)
      else if (request.url === '/sse')
        answer(
          'text/event-stream',
          'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"ok":"sse"}}\n\n',
        )
      else if (request.url === '/big-sse')
        answer(
          'text/event-stream',
          `event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"x":"${big}"}}\n\n`,
        )
      else answer('application/json', '')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    for (const response of held) response.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: {} }

  it('answers within the limits, as JSON and as an event stream (positive controls)', async () => {
    expect((await wire(`${base}/ok`).post(call, {}, { timeout: 5_000 })).answer?.result).toEqual({ ok: true })
    expect((await wire(`${base}/sse`).post(call, {}, { timeout: 5_000 })).answer?.result).toEqual({
      ok: 'sse',
    })
  })

  it('fails an exchange past its time limit with the SDK client’s timeout error', async () => {
    const failed = await wire(`${base}/hang`)
      .post(call, {}, { timeout: 100 })
      .catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(McpError)
    expect((failed as McpError).code).toBe(-32001)
  })

  it('fails an exchange the caller cancels with the caller’s reason, whether or not it was sent', async () => {
    const controller = new AbortController()
    const pending = wire(`${base}/hang`)
      .post(call, {}, { timeout: 5_000, signal: controller.signal })
      .catch((e: unknown) => e)
    setTimeout(() => controller.abort(new Error('the client went away')), 50)
    expect(((await pending) as Error).message).toBe('the client went away')
    const before = new AbortController()
    before.abort(new Error('cancelled before'))
    const early = await wire(`${base}/ok`)
      .post(call, {}, { timeout: 5_000, signal: before.signal })
      .catch((e: unknown) => e)
    expect((early as Error).message).toBe('cancelled before')
  })

  it('fails an answer over the size limit, as JSON and as an event stream', async () => {
    for (const path of ['/big', '/big-sse']) {
      const failed = await wire(`${base}${path}`, 1024)
        .post(call, {}, { timeout: 5_000 })
        .catch((e: unknown) => e)
      expect(isWardenError(failed, 'UPSTREAM_UNAVAILABLE')).toBe(true)
      expect((failed as Error).message).toMatch(/exceeds 1024 bytes/)
    }
  })
})
