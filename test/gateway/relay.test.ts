import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {
  type CallToolResult,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RPC } from '../../src/gateway/index.js'
import { type TaskHandle, WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen, rpcError } from '../fakes/gateway.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

const EVERYTHING = new URL(
  '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
  import.meta.url,
).pathname
const POLICIES = new URL('../../policies/', import.meta.url).pathname

const TOOLS = [
  'echo',
  'trigger-sampling-request',
  'trigger-elicitation-request',
  'trigger-long-running-operation',
  'toggle-subscriber-updates',
  'get-roots-list',
]

/** What one agent's client saw of the server side: every sampling prompt, log message and resource update. */
interface Seen {
  prompts: string[]
  logs: string[]
  updates: string[]
}

/** An MCP client that can answer sampling, elicitation and roots, recording what it was asked. */
async function agentClient(
  url: string,
  agent: WardenAgent,
  task: TaskHandle,
  label: string,
): Promise<{ client: Client; seen: Seen }> {
  const seen: Seen = { prompts: [], logs: [], updates: [] }
  const client = new Client(
    { name: `agent-${label}`, version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } },
  )
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    seen.prompts.push(JSON.stringify(request.params.messages))
    return {
      role: 'assistant',
      content: { type: 'text', text: `answer for ${label}` },
      model: `model-${label}`,
      stopReason: 'endTurn',
    }
  })
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }))
  client.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: `file:///work/project-${label}`, name: `project ${label}` }],
  }))
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    seen.logs.push(String(n.params.data))
  })
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    seen.updates.push(n.params.uri)
  })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { fetch: agent.gatewayFetch(task, url) }),
  )
  return { client, seen }
}

function textOf(result: unknown): string {
  return ((result as CallToolResult).content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n')
}

/** Resolves once `check` holds, re-checking whenever the event loop turns (no fixed sleeps to assert on). */
async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20))
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** server-everything over Streamable HTTP on a loopback port. */
async function startEverythingHttp(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    env: { PATH: process.env.PATH, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  await new Promise<void>((resolve, reject) => {
    let err = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString()
      if (err.includes('listening on port')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`server-everything exited with ${code}: ${err}`)))
  })
  return { url: `http://127.0.0.1:${port}/mcp`, child }
}

describe('relaying what upstream servers send back, to the session that caused it', () => {
  let t: TestWarden
  let url: string
  let stop: () => Promise<void>
  let http: { url: string; child: ChildProcess }
  let policies: string
  let agent: WardenAgent
  let taskA: TaskHandle
  let taskB: TaskHandle
  const clients: Client[] = []

  beforeAll(async () => {
    http = await startEverythingHttp()
    // The shipped policies, plus one rule to prove relayed requests are still decided.
    policies = mkdtempSync(join(tmpdir(), 'warden-relay-policies-'))
    for (const name of readdirSync(POLICIES).filter((n) => n.endsWith('.cedar')))
      copyFileSync(join(POLICIES, name), join(policies, name))
    writeFileSync(
      join(policies, 'relay-test.cedar'),
      '@id("no-blobs")\nforbid (principal, action == Warden::Action::"read_resource", resource is Warden::Resource)\nwhen { resource.uri like "demo://resource/dynamic/blob/*" };\n' +
        '@id("no-sampling")\nforbid (principal, action == Warden::Action::"sampling", resource)\nwhen { context.task.purpose == "no sampling" };\n',
    )
    t = await startTestWarden(
      {
        upstreams: {
          everything: { command: ['node', EVERYTHING, 'stdio'], sessions: 'isolated' },
          'everything-shared': { command: ['node', EVERYTHING, 'stdio'] },
          'everything-http': { url: http.url },
        },
        policy: { dir: policies, watch: false },
      },
      { clock: new ShiftedClock() },
    )
    await t.warden.gateway.start()
    ;({ url, close: stop } = await listen(t))
    await t.request('POST', '/v1/agents', {
      body: { name: 'relay-agent', owner: 'ops@example.com', tier: 'standard', entitlements: TOOLS },
    })
    const minted = (await (await t.request('POST', '/v1/agents/relay-agent/join-tokens')).json()) as {
      token: string
    }
    agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    taskA = await agent.openTask({ purpose: 'task A', tools: TOOLS })
    taskB = await agent.openTask({ purpose: 'task B', tools: TOOLS })
  }, 60_000)

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined)
    await stop?.()
    await t?.dispose()
    http?.child.kill()
    rmSync(policies, { recursive: true, force: true })
  })

  async function open(upstream: string, task: TaskHandle, label: string) {
    const opened = await agentClient(`${url}/mcp/${upstream}`, agent, task, label)
    clients.push(opened.client)
    return opened
  }

  async function chain(task: TaskHandle, kind: string): Promise<Array<{ body: Record<string, unknown> }>> {
    const res = await t.request('GET', `/v1/tasks/${task.taskId}/chain?kind=${kind}&limit=1000`)
    return ((await res.json()) as { events: Array<{ body: Record<string, unknown> }> }).events
  }

  describe.each([
    ['stdio, a process per session', 'everything'],
    ['Streamable HTTP, an MCP session per session', 'everything-http'],
  ])('an isolated upstream over %s', (_, upstream) => {
    it('relays progress to the calling client under its own progress token', async () => {
      const { client } = await open(upstream, taskA, 'A')
      const progress: number[] = []
      // The SDK client matches progress by the token it sent: another token would not reach `onprogress`.
      const result = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } },
        undefined,
        { onprogress: (p) => progress.push(p.progress) },
      )
      expect(textOf(result)).toContain('Long running operation completed')
      expect(progress).toEqual([1, 2])
    }, 30_000)

    it('sends a sampling request to the session whose call caused it, never to another session', async () => {
      const a = await open(upstream, taskA, 'A')
      const b = await open(upstream, taskB, 'B')
      const [resultA, resultB] = await Promise.all([
        a.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'question of A' } }),
        b.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'question of B' } }),
      ])
      expect(textOf(resultA)).toContain('answer for A')
      expect(textOf(resultA)).not.toContain('answer for B')
      expect(textOf(resultB)).toContain('answer for B')
      expect(a.seen.prompts.join()).toContain('question of A')
      expect(a.seen.prompts.join()).not.toContain('question of B')
      expect(b.seen.prompts.join()).not.toContain('question of A')

      // An auditor sees the server asking the agent's model, tied to the call that caused it.
      const calls = await chain(taskA, 'tool.call')
      const asked = (await chain(taskA, 'server.request')).filter(
        (e) => e.body.method === 'sampling/createMessage' && e.body.server === upstream,
      )
      expect(asked.length).toBeGreaterThan(0)
      expect(calls.map((e) => e.body.call)).toContain(asked.at(-1)?.body.call)
      expect(JSON.stringify(asked)).not.toContain('question of A')
      const answered = await chain(taskA, 'server.result')
      expect(answered.some((e) => e.body.model === 'model-A')).toBe(true)
      expect((await chain(taskB, 'server.result')).some((e) => e.body.model === 'model-A')).toBe(false)
    }, 30_000)

    it('relays an elicitation and the answer, and roots from the client of the session', async () => {
      const { client } = await open(upstream, taskA, 'A')
      const elicited = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} })
      expect(textOf(elicited)).toContain('decline')
      const results = await chain(taskA, 'server.result')
      expect(results.some((e) => e.body.method === 'elicitation/create' && e.body.action === 'decline')).toBe(
        true,
      )
      const roots = await client.callTool({ name: 'get-roots-list', arguments: {} })
      expect(textOf(roots)).toContain('file:///work/project-A')
    }, 30_000)

    it('relays logging/setLevel, subscriptions and their update notifications', async () => {
      const { client, seen } = await open(upstream, taskA, 'A')
      expect(client.getServerCapabilities()?.logging).toBeDefined()
      expect(client.getServerCapabilities()?.resources?.subscribe).toBe(true)
      await client.setLoggingLevel('info')
      const uri = 'demo://resource/dynamic/text/1'
      await client.subscribeResource({ uri })
      // server-everything acknowledges a subscription with an info log message to that session.
      await eventually(() => seen.logs.some((log) => log.includes('Received Subscribe')))
      await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} })
      await eventually(() => seen.updates.includes(uri))
      await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} })
      await client.unsubscribeResource({ uri })
    }, 30_000)
  })

  it('completes a prompt argument, decided like reading the prompt', async () => {
    const { client } = await open('everything', taskA, 'A')
    const { completion } = await client.complete({
      ref: { type: 'ref/prompt', name: 'completable-prompt' },
      argument: { name: 'department', value: 'Eng' },
    })
    expect(completion.values).toContain('Engineering')
    const calls = await chain(taskA, 'tool.call')
    expect(calls.some((e) => e.body.action === 'completion/complete')).toBe(true)
  }, 30_000)

  it('keeps denied requests denied: a forbidden subscription, completion and tool', async () => {
    const { client, seen } = await open('everything', taskA, 'A')
    const subscribe = await rpcError(client.subscribeResource({ uri: 'demo://resource/dynamic/blob/1' }))
    expect(subscribe.code).toBe(RPC.DENIED)
    const complete = await rpcError(
      client.complete({
        ref: { type: 'ref/resource', uri: 'demo://resource/dynamic/blob/{index}' },
        argument: { name: 'index', value: '1' },
      }),
    )
    expect(complete.code).toBe(RPC.DENIED)

    const narrow = await agent.openTask({ purpose: 'echo only', tools: ['echo'] })
    const other = await open('everything', narrow, 'N')
    const call = await rpcError(
      other.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'anything' } }),
    )
    expect(call.code).toBe(RPC.DENIED)
    expect(other.seen.prompts).toEqual([])
    expect(seen.prompts).toEqual([])
  }, 30_000)

  it('decides what a server asks of the client: a sampling request policy forbids never reaches it', async () => {
    const guarded = await agent.openTask({ purpose: 'no sampling', tools: TOOLS })
    const { client, seen } = await open('everything', guarded, 'G')
    const refused = await client
      .callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'secret question' } })
      .catch((e: unknown) => e)
    // The upstream's request was refused (its tool reports the error, or the call fails with it).
    expect(JSON.stringify(refused)).toContain('denied by Warden')
    expect(seen.prompts).toEqual([])
    const chain = (await (await t.request('GET', `/v1/tasks/${guarded.taskId}/chain?limit=1000`)).json()) as {
      events: Array<{ kind: string; body: Record<string, unknown> }>
    }
    const decided = chain.events.filter((e) => e.kind === 'decision').map((e) => e.body.reasons)
    expect(JSON.stringify(decided)).toContain('relay-test.cedar#no-sampling')
  }, 30_000)

  it('on a shared stdio connection relays progress but refuses sampling, which it cannot route', async () => {
    const { client, seen } = await open('everything-shared', taskA, 'A')
    // Log messages name no session on a shared connection: logging is not advertised.
    expect(client.getServerCapabilities()?.logging).toBeUndefined()
    const progress: number[] = []
    await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    )
    expect(progress).toEqual([1, 2])
    const refused = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'x' } })
    expect(refused.isError).toBe(true)
    expect(textOf(refused)).toContain('sessions: isolated')
    expect(seen.prompts).toEqual([])
  }, 30_000)
})
