import { type ChildProcess, spawn } from 'node:child_process'
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttpTransport,
  ProtocolError,
} from '@modelcontextprotocol/client'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RPC } from '../../src/gateway/index.js'
import { type TaskHandle, WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen, mcpClient, rpcError } from '../fakes/gateway.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

const MODULES = new URL('../../node_modules/@modelcontextprotocol/', import.meta.url).pathname
const V2_SERVER = new URL('../fixtures/v2-server.mjs', import.meta.url).pathname
const MODERN = '2026-07-28'
const TOOLS = ['echo', 'get-sum']

/** The v2 fixture server over Streamable HTTP, as a child process; `requests()` is what it has logged of each POST. */
async function v2OverHttp(): Promise<{ url: string; child: ChildProcess; requests: () => string[] }> {
  const child = spawn(process.execPath, [V2_SERVER, 'http'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let seen = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      const match = /listening on (\S+)/.exec(seen)
      if (match) resolve(match[1] as string)
    })
    child.once('exit', (code) => reject(new Error(`the v2 fixture exited with ${code}: ${seen}`)))
  })
  const requests = () => [...seen.matchAll(/^request (.*)$/gm)].map((m) => m[1] as string)
  return { url, child, requests }
}

/** A client of the v2 SDK pinned to the stateless revision, sending the task token with a fresh proof each time. */
async function modernClient(url: string, agent: WardenAgent, task: TaskHandle): Promise<ModernClient> {
  const client = new ModernClient(
    { name: 'modern-agent', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: MODERN } } },
  )
  await client.connect(new ModernHttpTransport(new URL(url), { fetch: agent.gatewayFetch(task, url) }))
  return client
}

/** The JSON-RPC error code a v2 client's call fails with. */
async function modernCode(promise: Promise<unknown>): Promise<number> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ProtocolError) return error.code
    throw error
  }
  throw new Error('expected a JSON-RPC error')
}

interface ChainEvent {
  kind: string
  body: Record<string, unknown>
}

describe('the gateway serves the 2026-07-28 stateless revision beside 2025-11-25 sessions', () => {
  let t: TestWarden
  let url: string
  let stop: () => Promise<void>
  let agent: WardenAgent
  let v2Http: Awaited<ReturnType<typeof v2OverHttp>>

  beforeAll(async () => {
    v2Http = await v2OverHttp()
    t = await startTestWarden(
      {
        upstreams: {
          // A 2025-11-25 server (SDK v1) over stdio, and v2-SDK servers over stdio and Streamable HTTP.
          everything: { command: ['node', `${MODULES}server-everything/dist/index.js`, 'stdio'] },
          'v2-stdio': { command: ['node', V2_SERVER, 'stdio'] },
          'v2-http': { url: v2Http.url },
          // A connection per session (per call, for a stateless client): the server's requests can be relayed.
          isolated: {
            command: ['node', `${MODULES}server-everything/dist/index.js`, 'stdio'],
            sessions: 'isolated',
          },
        },
      },
      { clock: new ShiftedClock() },
    )
    await t.warden.gateway.start()
    ;({ url, close: stop } = await listen(t))
    await t.request('POST', '/v1/agents', {
      body: {
        name: 'assistant',
        owner: 'ops@example.com',
        tier: 'standard',
        entitlements: [
          ...TOOLS,
          'delete_everything',
          'trigger-elicitation-request',
          'trigger-sampling-request',
          'trigger-long-running-operation',
        ],
      },
    })
    const minted = (await (await t.request('POST', '/v1/agents/assistant/join-tokens')).json()) as {
      token: string
    }
    agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
  }, 60_000)

  afterAll(async () => {
    await stop?.()
    await t?.dispose()
    v2Http?.child.kill()
  })

  const chainOf = async (task: TaskHandle): Promise<ChainEvent[]> =>
    (
      (await (await t.request('GET', `/v1/tasks/${task.taskId}/chain?limit=1000`)).json()) as {
        events: ChainEvent[]
      }
    ).events

  /** What the chain says about a task's requests, in order and free of ids: kind, action, tool, effect, reasons. */
  const recordsOf = async (task: TaskHandle): Promise<string[]> =>
    (await chainOf(task))
      .filter((e) => ['tool.call', 'decision', 'tool.result'].includes(e.kind))
      .map((e) =>
        [e.kind, e.body.action, e.body.tool, e.body.effect, JSON.stringify(e.body.reasons ?? null)].join(' '),
      )
      .sort()

  it('answers a 2026-07-28 client and a 2025-11-25 client at once, with the same decisions, records and denials', async () => {
    const modernTask = await agent.openTask({ purpose: 'add numbers and echo', tools: TOOLS })
    const legacyTask = await agent.openTask({ purpose: 'add numbers and echo', tools: TOOLS })
    const endpoint = `${url}/mcp/everything`
    const modern = await modernClient(endpoint, agent, modernTask)
    const legacy = await mcpClient(endpoint, agent, legacyTask)
    try {
      // Every method each era has, both clients at once.
      const run = async (client: ModernClient | Client) => {
        const c = client as Client
        const tools = (await c.listTools()).tools.map((tool) => tool.name).sort()
        const echoed = await c.callTool({ name: 'echo', arguments: { message: 'same for both' } })
        const sum = await c.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } })
        const resources = await c.listResources()
        const templates = await c.listResourceTemplates()
        const first = resources.resources[0]?.uri as string
        const read = await c.readResource({ uri: first })
        const prompts = await c.listPrompts()
        const prompt = await c.getPrompt({ name: 'simple-prompt', arguments: {} })
        const completion = await c.complete({
          ref: { type: 'ref/prompt', name: 'args-prompt' },
          argument: { name: 'city', value: 'Ne' },
        })
        return {
          tools,
          echoed: echoed.content,
          sum: sum.content,
          resources: resources.resources.map((r) => r.uri),
          templates: templates.resourceTemplates.map((r) => r.uriTemplate),
          read: read.contents.map((c) => c.uri),
          prompts: prompts.prompts.map((p) => p.name),
          prompt: prompt.messages.length,
          completion: completion.completion.values,
        }
      }
      const [seenModern, seenLegacy] = await Promise.all([run(modern), run(legacy)])
      expect(seenModern).toEqual(seenLegacy)
      expect(seenModern.tools).toEqual(['echo', 'get-sum'])
      expect(JSON.stringify(seenModern.echoed)).toContain('same for both')

      // The same denial in both eras: a tool outside the task, before the upstream sees it.
      const deniedModern = await modernCode(modern.callTool({ name: 'get-env', arguments: {} }))
      const deniedLegacy = (await rpcError(legacy.callTool({ name: 'get-env', arguments: {} }))).code
      expect(deniedModern).toBe(RPC.DENIED)
      expect(deniedLegacy).toBe(RPC.DENIED)
      // What each era has of its own. 2026-07-28: `server/discover` (at connect), with the capabilities a 2025
      // session gets from `initialize`, less the session features the revision removed (subscriptions, logging).
      const discovered = modern.getDiscoverResult()
      expect(discovered?.supportedVersions).toEqual([MODERN])
      const { resources, ...sessionCapabilities } = legacy.getServerCapabilities() ?? {}
      const { resources: modernResources, ...modernCapabilities } = discovered?.capabilities ?? {}
      expect(Object.keys(modernCapabilities).sort()).toEqual(Object.keys(sessionCapabilities).sort())
      expect(resources?.subscribe).toBe(true)
      expect(modernResources).toBeDefined()
      expect((modernResources as { subscribe?: boolean }).subscribe).toBeUndefined()
      // The same records, decision for decision.
      const [modernRecords, legacyRecords] = await Promise.all([recordsOf(modernTask), recordsOf(legacyTask)])
      expect(modernRecords.length).toBeGreaterThan(10)
      expect(modernRecords).toEqual(legacyRecords)
      // 2025-11-25: `ping`, and resource subscriptions (decided and recorded; the revision has neither).
      await legacy.ping()
      const uri = seenLegacy.resources[0] as string
      await legacy.subscribeResource({ uri })
      await legacy.unsubscribeResource({ uri })
      // One call and its decision more: the subscription (unsubscribing narrows, and is not decided).
      const after = await recordsOf(legacyTask)
      expect(after.length - legacyRecords.length).toBe(2)
      expect(after.filter((record) => record.startsWith('tool.call resources/subscribe'))).toHaveLength(1)
    } finally {
      await modern.close()
      await legacy.close()
    }
  }, 60_000)

  it("relays an upstream's progress to the 2026-07-28 client that made the call, on its POST's event stream", async () => {
    const tool = 'trigger-long-running-operation'
    const task = await agent.openTask({ purpose: 'run a long operation', tools: [tool] })
    const endpoint = `${url}/mcp/everything`
    const modern = await modernClient(endpoint, agent, task)
    const legacy = await mcpClient(endpoint, agent, task)
    try {
      const seen: number[] = []
      const args = { duration: 0.3, steps: 3 }
      const done = await modern.callTool(
        { name: tool, arguments: args },
        { onprogress: (progress) => seen.push(progress.progress) },
      )
      expect(JSON.stringify(done.content)).toContain('completed')
      expect(seen).toEqual([1, 2, 3])
      // Control: the 2025 client gets the same progress on its session.
      const legacySeen: number[] = []
      await legacy.callTool({ name: tool, arguments: args }, undefined, {
        onprogress: (progress) => legacySeen.push(progress.progress),
      })
      expect(legacySeen).toEqual(seen)
    } finally {
      await modern.close()
      await legacy.close()
    }
  }, 60_000)

  it("sets a 2025 session's log level on an isolated upstream; 2026-07-28 has no such method (404, -32601)", async () => {
    const task = await agent.openTask({ purpose: 'echo a message', tools: ['echo'] })
    const endpoint = `${url}/mcp/isolated`
    const legacy = await mcpClient(endpoint, agent, task)
    const modern = await modernClient(endpoint, agent, task)
    try {
      expect(legacy.getServerCapabilities()?.logging).toBeDefined()
      await legacy.setLoggingLevel('debug')
      expect(modern.getDiscoverResult()?.capabilities.logging).toBeUndefined()
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `DPoP ${task.token}`,
          dpop: await agent.proof('POST', endpoint, task.token),
          'mcp-protocol-version': MODERN,
          'mcp-method': 'logging/setLevel',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'logging/setLevel',
          params: {
            level: 'debug',
            _meta: {
              'io.modelcontextprotocol/protocolVersion': MODERN,
              'io.modelcontextprotocol/clientCapabilities': {},
            },
          },
        }),
      })
      expect(res.status).toBe(404)
      expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32601)
    } finally {
      await modern.close()
      await legacy.close()
    }
  }, 60_000)

  it('talks to a 2026-07-28 upstream statelessly for a 2026-07-28 client, and on a 2025 session for a 2025 client', async () => {
    const task = await agent.openTask({ purpose: 'echo a message', tools: ['echo'] })
    const endpoint = `${url}/mcp/v2-http`
    const modern = await modernClient(endpoint, agent, task)
    const legacy = await mcpClient(endpoint, agent, task)
    try {
      const before = v2Http.requests().length
      await modern.callTool({ name: 'echo', arguments: { message: 'stateless' } })
      const modernHop = v2Http.requests().slice(before)
      // Discovered once (`server/discover`), then each call on its own: the revision's header, no session.
      expect(modernHop.filter((r) => r.startsWith('tools/call'))).toEqual([
        'tools/call version=2026-07-28 session=-',
      ])
      expect(v2Http.requests().filter((r) => r.startsWith('server/discover')).length).toBeGreaterThan(0)
      expect(modernHop.some((r) => r.startsWith('initialize'))).toBe(false)
      const again = v2Http.requests().length
      await legacy.callTool({ name: 'echo', arguments: { message: 'session' } })
      // Control: the 2025 client's call goes on Warden's initialized 2025 connection (the v2 handler issues no
      // session ids of its own, so none is sent).
      expect(
        v2Http
          .requests()
          .slice(again)
          .filter((r) => r.startsWith('tools/call')),
      ).toEqual(['tools/call version=2025-11-25 session=-'])
      // A denial stays before the upstream, whichever hop the call would have taken.
      const denied = v2Http.requests().length
      expect(await modernCode(modern.callTool({ name: 'delete_everything', arguments: {} }))).toBe(RPC.DENIED)
      expect(v2Http.requests().slice(denied)).toEqual([])
    } finally {
      await modern.close()
      await legacy.close()
    }
  }, 60_000)

  it('serves v2-SDK upstreams over stdio and HTTP to clients of both SDK generations', async () => {
    const task = await agent.openTask({ purpose: 'echo a message', tools: ['echo'] })
    for (const name of ['v2-stdio', 'v2-http']) {
      const endpoint = `${url}/mcp/${name}`
      const modern = await modernClient(endpoint, agent, task)
      const legacy = await mcpClient(endpoint, agent, task)
      try {
        for (const client of [modern as unknown as Client, legacy]) {
          expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['echo'])
          const echoed = await client.callTool({ name: 'echo', arguments: { message: `via ${name}` } })
          expect(JSON.stringify(echoed.content)).toContain(`Echo: via ${name}`)
        }
        // Outside the task: denied in both eras (the control above is the same client's allowed call).
        expect(await modernCode(modern.callTool({ name: 'delete_everything', arguments: {} }))).toBe(
          RPC.DENIED,
        )
        expect((await rpcError(legacy.callTool({ name: 'delete_everything', arguments: {} }))).code).toBe(
          RPC.DENIED,
        )
      } finally {
        await modern.close()
        await legacy.close()
      }
    }
  }, 60_000)

  it("relays an upstream's request for input to the stateless client that made the call, as input_required, and records it", async () => {
    const tools = ['trigger-elicitation-request', 'trigger-sampling-request']
    const task = await agent.openTask({ purpose: 'ask the user and the model', tools })
    const endpoint = `${url}/mcp/isolated`
    const client = new ModernClient(
      { name: 'modern-agent', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: {}, sampling: {} } },
    )
    const asked: string[] = []
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(request.params.message)
      return { action: 'accept', content: { name: 'Ada', check: true, firstLine: 'Hello', integer: 7 } }
    })
    client.setRequestHandler('sampling/createMessage', async () => ({
      role: 'assistant',
      content: { type: 'text', text: 'the model says hi' },
      model: 'test-model',
      stopReason: 'endTurn',
    }))
    await client.connect(
      new ModernHttpTransport(new URL(endpoint), { fetch: agent.gatewayFetch(task, endpoint) }),
    )
    try {
      const elicited = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} })
      expect(asked).toHaveLength(1)
      expect(JSON.stringify(elicited.content)).toContain('Ada')
      const sampled = await client.callTool({
        name: 'trigger-sampling-request',
        arguments: { prompt: 'say hi', maxTokens: 10 },
      })
      expect(JSON.stringify(sampled.content)).toContain('the model says hi')
    } finally {
      await client.close()
    }
    const events = await chainOf(task)
    const relayed = events.filter((e) => e.kind === 'server.request' || e.kind === 'server.result')
    expect(relayed.map((e) => `${e.kind} ${e.body.method}`)).toEqual([
      'server.request elicitation/create',
      'server.result elicitation/create',
      'server.request sampling/createMessage',
      'server.result sampling/createMessage',
    ])
    // Decided once per call (the retry carries the answers, not a new call), and each relayed request by policy.
    const calls = events.filter((e) => e.kind === 'tool.call').map((e) => e.body.action)
    expect(calls.sort()).toEqual(['elicitation/create', 'sampling/createMessage', 'tools/call', 'tools/call'])
  }, 60_000)

  it('keeps a round to the task that started it: another task cannot answer for it', async () => {
    const tools = ['trigger-elicitation-request']
    const owner = await agent.openTask({ purpose: 'ask the user', tools })
    const intruder = await agent.openTask({ purpose: 'ask the user', tools })
    const endpoint = `${url}/mcp/isolated`
    const post = async (task: TaskHandle, params: Record<string, unknown>) => {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `DPoP ${task.token}`,
          dpop: await agent.proof('POST', endpoint, task.token),
          'mcp-protocol-version': MODERN,
          'mcp-method': 'tools/call',
          'mcp-name': 'trigger-elicitation-request',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: {
            name: 'trigger-elicitation-request',
            arguments: {},
            ...params,
            _meta: {
              'io.modelcontextprotocol/protocolVersion': MODERN,
              'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
            },
          },
        }),
      })
      return ((await res.json()) as { result: Record<string, unknown> }).result
    }
    const first = await post(owner, {})
    expect(first.resultType).toBe('input_required')
    const state = first.requestState as string
    const key = Object.keys(first.inputRequests as object)[0] as string
    const answer = { action: 'accept', content: { name: 'Mallory' } }
    // Another task presenting the owner's state starts a call of its own; the owner's round is untouched.
    const stolen = await post(intruder, { requestState: state, inputResponses: { [key]: answer } })
    expect(stolen.resultType).toBe('input_required')
    expect(stolen.requestState).not.toBe(state)
    // Control: the owner's retry completes its call.
    const done = await post(owner, {
      requestState: state,
      inputResponses: { [key]: { action: 'accept', content: { name: 'Ada' } } },
    })
    expect(done.resultType).toBe('complete')
    expect(JSON.stringify(done.content)).toContain('Ada')
  }, 60_000)
})
