import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_SESSIONS_PER_INSTANCE, RPC, SESSION_IDLE_MS } from '../../src/gateway/index.js'
import { type TaskHandle, WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen } from '../fakes/gateway.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

const MODULES = new URL('../../node_modules/@modelcontextprotocol/', import.meta.url).pathname
const MODERN = '2026-07-28'
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
}

interface Answer {
  status: number
  body: {
    id?: unknown
    result?: Record<string, unknown>
    error?: { code: number; message: string; data?: Record<string, unknown> }
    code?: string
  } | null
}

describe('the gateway speaks 2026-07-28 on the wire: JSON-RPC rules, headers, negotiation, stateless auth', () => {
  let t: TestWarden
  let url: string
  let endpoint: string
  let stop: () => Promise<void>
  let agent: WardenAgent
  let task: TaskHandle

  beforeAll(async () => {
    t = await startTestWarden(
      {
        upstreams: {
          everything: { command: ['node', `${MODULES}server-everything/dist/index.js`, 'stdio'] },
        },
      },
      { clock: new ShiftedClock() },
    )
    await t.warden.gateway.start()
    ;({ url, close: stop } = await listen(t))
    endpoint = `${url}/mcp/everything`
    await t.request('POST', '/v1/agents', {
      body: { name: 'raw', owner: 'ops@example.com', tier: 'standard', entitlements: ['echo', 'get-sum'] },
    })
    const minted = (await (await t.request('POST', '/v1/agents/raw/join-tokens')).json()) as { token: string }
    agent = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    task = await agent.openTask({ purpose: 'echo a message', tools: ['echo'] })
  }, 60_000)

  afterAll(async () => {
    await stop?.()
    await t?.dispose()
  })

  /** POSTs `body` (text as is, anything else as JSON) with the task token, a fresh proof and `headers`. */
  const post = async (
    body: unknown,
    headers: Record<string, string> = {},
    options: { task?: TaskHandle; proof?: string } = {},
  ): Promise<Answer> => {
    const token = (options.task ?? task).token
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `DPoP ${token}`,
        dpop: options.proof ?? (await agent.proof('POST', endpoint, token)),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : null }
  }

  /** A 2026-07-28 request with its standard headers, as a v2 client sends it. */
  const modern = (method: string, params: Record<string, unknown> = {}, id: number | string = 1) => ({
    body: { jsonrpc: '2.0', id, method, params: { ...params, _meta: ENVELOPE } },
    headers: {
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
    },
  })

  const signals = async (): Promise<Array<Record<string, unknown>>> => {
    const chain = (await (
      await t.request('GET', `/v1/tasks/${task.taskId}/chain?kind=signal&limit=1000`)
    ).json()) as {
      events: Array<{ body: Record<string, unknown> }>
    }
    return chain.events.map((e) => e.body)
  }

  it('answers a stateless tools/call as plain JSON, with resultType, no session', async () => {
    const { body, headers } = modern('tools/call', { name: 'echo', arguments: { message: 'hi' } })
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `DPoP ${task.token}`,
        dpop: await agent.proof('POST', endpoint, task.token),
        ...headers,
      },
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('mcp-session-id')).toBeNull()
    const answer = (await res.json()) as { result: { resultType: string; content: Array<{ text: string }> } }
    expect(answer.result.resultType).toBe('complete')
    expect(answer.result.content[0]?.text).toContain('hi')
  })

  it('names the request (X-Request-Id) in the records of the call and its decision', async () => {
    const { body, headers } = modern('tools/call', { name: 'echo', arguments: { message: 'named' } }, 'rid')
    const answer = await post(body, { ...headers, 'x-request-id': 'req-gw-stateless-1' })
    expect(answer.body?.result?.resultType).toBe('complete')
    const chain = (await (await t.request('GET', `/v1/tasks/${task.taskId}/chain?limit=1000`)).json()) as {
      events: Array<{ kind: string; body: Record<string, unknown> }>
    }
    const named = chain.events.filter((e) => e.body.requestId === 'req-gw-stateless-1')
    expect(named.map((e) => e.kind).sort()).toEqual(['decision', 'tool.call'])
    expect(named.find((e) => e.kind === 'tool.call')?.body.args).toEqual({ message: 'named' })
    // Positive control for the filter: a request without the header is named by an id Warden made.
    const other = modern('tools/call', { name: 'echo', arguments: { message: 'unnamed' } }, 'rid2')
    expect((await post(other.body, other.headers)).body?.result?.resultType).toBe('complete')
    const again = (await (await t.request('GET', `/v1/tasks/${task.taskId}/chain?limit=1000`)).json()) as {
      events: Array<{ kind: string; body: Record<string, unknown> }>
    }
    const call = again.events.find(
      (e) => e.kind === 'tool.call' && (e.body.args as { message?: string }).message === 'unnamed',
    )
    expect(call?.body.requestId).toMatch(/^[a-z0-9]+$/)
  })

  it('answers server/discover with what the task may use, and lists with a private cache hint', async () => {
    const discover = modern('server/discover')
    const found = await post(discover.body, discover.headers)
    expect(found.status).toBe(200)
    expect(found.body?.result?.supportedVersions).toEqual([MODERN])
    const capabilities = (found.body?.result?.capabilities ?? {}) as Record<string, unknown>
    expect(capabilities.tools).toBeDefined()
    // Session features the stateless revision does not have here.
    expect(capabilities.logging).toBeUndefined()
    const listed = modern('tools/list')
    const tools = await post(listed.body, listed.headers)
    expect(((tools.body?.result?.tools ?? []) as Array<{ name: string }>).map((tool) => tool.name)).toEqual([
      'echo',
    ])
    expect(tools.body?.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' })

    // A task that may call none of the upstream's tools is not offered tools at all.
    const none = await agent.openTask({ purpose: 'add numbers', tools: ['get-sum'] })
    const other = await post(discover.body, discover.headers, { task: none })
    expect(((other.body?.result?.capabilities ?? {}) as Record<string, unknown>).tools).toBeDefined()
    const noTools = await agent.openTask({ purpose: 'nothing here', tools: [] }).catch(() => undefined)
    if (noTools) {
      const empty = await post(discover.body, discover.headers, { task: noTools })
      expect(((empty.body?.result?.capabilities ?? {}) as Record<string, unknown>).tools).toBeUndefined()
    }
  })

  it('refuses an Mcp-Method or Mcp-Name that disagrees with the body (400, -32020) and records a signal', async () => {
    const before = (await signals()).filter((s) => s.kind === 'header_mismatch').length
    const call = modern('tools/call', { name: 'echo', arguments: { message: 'x' } })
    const wrongMethod = await post(call.body, { ...call.headers, 'mcp-method': 'tools/list' })
    expect(wrongMethod.status).toBe(400)
    expect(wrongMethod.body?.error?.code).toBe(-32020)
    const wrongName = await post(call.body, { ...call.headers, 'mcp-name': 'get-sum' })
    expect(wrongName.status).toBe(400)
    expect(wrongName.body?.error?.code).toBe(-32020)
    // A 2025 session request's headers, where sent, must agree too.
    const legacyBody = { jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} }
    const legacy = await post(legacyBody, { 'mcp-method': 'tools/call' })
    expect(legacy.status).toBe(400)
    const recorded = (await signals()).filter((s) => s.kind === 'header_mismatch')
    expect(recorded.length - before).toBe(3)
    expect(recorded.at(-3)?.evidence).toMatchObject({
      header: 'mcp-method',
      sent: 'tools/list',
      body: 'tools/call',
    })

    // Control: the same request with headers that agree (Base64 sentinel decoded) is answered.
    const ok = await post(call.body, {
      ...call.headers,
      'mcp-name': `=?base64?${Buffer.from('echo').toString('base64')}?=`,
    })
    expect(ok.status).toBe(200)
    expect(ok.body?.result?.content).toBeDefined()
  })

  it('requires the standard headers on a 2026-07-28 request', async () => {
    const call = modern('tools/call', { name: 'echo', arguments: { message: 'x' } })
    const { 'mcp-name': _name, ...withoutName } = call.headers as Record<string, string>
    expect((await post(call.body, withoutName)).body?.error?.code).toBe(-32020)
    const { 'mcp-method': _method, ...withoutMethod } = call.headers as Record<string, string>
    expect((await post(call.body, withoutMethod)).body?.error?.code).toBe(-32020)
    const { 'mcp-protocol-version': _version, ...withoutVersion } = call.headers as Record<string, string>
    expect((await post(call.body, withoutVersion)).body?.error?.code).toBe(-32020)
    expect((await post(call.body, call.headers)).status).toBe(200)
  })

  it('negotiates versions as the revision says: -32022 with the supported ones, -32602 for a broken envelope', async () => {
    const call = modern('tools/list')
    const future = {
      ...call.body,
      params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2027-01-01' } },
    }
    const unsupported = await post(future, { ...call.headers, 'mcp-protocol-version': '2027-01-01' })
    expect(unsupported.status).toBe(400)
    expect(unsupported.body?.error?.code).toBe(-32022)
    expect(unsupported.body?.error?.data).toMatchObject({ requested: '2027-01-01' })
    // What `server/discover` offers, no more (2025 revisions are reached with `initialize`).
    expect(unsupported.body?.error?.data?.supported).toEqual([MODERN])
    // The protocol version header disagreeing with the envelope.
    const mismatch = await post(call.body, { ...call.headers, 'mcp-protocol-version': '2025-11-25' })
    expect(mismatch.body?.error?.code).toBe(-32020)
    // A modern header over a body without the envelope.
    const bare = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, call.headers)
    expect(bare.status).toBe(400)
    expect(bare.body?.error?.code).toBe(-32602)
    // No client capabilities in the envelope.
    const { 'io.modelcontextprotocol/clientCapabilities': _caps, ...partial } = ENVELOPE
    const broken = await post({ ...call.body, params: { _meta: partial } }, call.headers)
    expect(broken.body?.error?.code).toBe(-32602)
    // 2026-07-28 removed ping and logging/setLevel, and has no initialize.
    for (const method of ['ping', 'logging/setLevel', 'initialize']) {
      const removed = modern(method)
      const answer = await post(removed.body, removed.headers)
      // Over HTTP, a method the server does not implement is a 404 as well.
      expect(answer.status).toBe(404)
      expect(answer.body?.error?.code).toBe(-32601)
    }
  })

  it('keeps to JSON-RPC: -32700 for text that is not JSON, -32600 for batches and malformed requests, 202 for notifications', async () => {
    expect((await post('{"jsonrpc": "2.0", "id": 1, "method": ')).body?.error?.code).toBe(-32700)
    const batch = await post([modern('tools/list').body])
    expect(batch.status).toBe(400)
    expect(batch.body?.error?.code).toBe(-32600)
    expect((await post({ jsonrpc: '1.0', id: 1, method: 'tools/list' })).body?.error?.code).toBe(-32600)
    expect((await post({ jsonrpc: '2.0', id: 1 })).body?.error?.code).toBe(-32600)
    expect((await post({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: [1] })).body?.error?.code).toBe(
      -32600,
    )
    // 60,000 keys under the body cap: refused before any other step reads them.
    const wide = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, i]))
    const big = modern('tools/call', { name: 'echo', arguments: wide })
    expect((await post(big.body, big.headers)).body?.error?.code).toBe(-32600)
    const unknown = modern('tools/frobnicate')
    const notFound = await post(unknown.body, unknown.headers)
    expect(notFound.status).toBe(404)
    expect(notFound.body?.error?.code).toBe(-32601)
    const note = {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 1, _meta: ENVELOPE },
    }
    expect((await post(note, { 'mcp-protocol-version': MODERN })).status).toBe(202)
  })

  it('checks the proof on every stateless request, and the task on the next one once it is closed', async () => {
    const own = await agent.openTask({ purpose: 'echo a message', tools: ['echo'] })
    const call = modern('tools/call', { name: 'echo', arguments: { message: 'x' } })
    const proof = await agent.proof('POST', endpoint, own.token)
    expect((await post(call.body, call.headers, { task: own, proof })).status).toBe(200)
    // The same proof again: a replay (jti single use).
    const replayed = await post(call.body, call.headers, { task: own, proof })
    expect(replayed.status).toBe(401)
    // A proof for another URL.
    const elsewhere = await agent.proof('POST', `${url}/mcp/other`, own.token)
    expect((await post(call.body, call.headers, { task: own, proof: elsewhere })).status).toBe(401)
    expect((await post(call.body, call.headers, { task: own })).status).toBe(200)
    await agent.closeTask(own)
    const closed = await post(call.body, call.headers, { task: own })
    expect(closed.status).toBe(401)
    expect(closed.body?.code).toBe('TASK_CLOSED')
  })

  it('denies a stateless call outside the task with the decision, before the upstream sees it', async () => {
    const call = modern('tools/call', { name: 'get-sum', arguments: { a: 1, b: 2 } })
    const denied = await post(call.body, call.headers)
    expect(denied.status).toBe(200)
    expect(denied.body?.error?.code).toBe(RPC.DENIED)
    expect(denied.body?.error?.data?.decisionId).toBeDefined()
  })

  it('caps the 2025 sessions one instance holds, and ends a session idle for 15 minutes', async () => {
    const minted = (await (await t.request('POST', '/v1/agents/raw/join-tokens')).json()) as { token: string }
    const other = await WardenAgent.attest(url, { method: 'join_token', token: minted.token })
    const own = await other.openTask({ purpose: 'echo a message', tools: ['echo'] })
    const initialize = async () => {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `DPoP ${own.token}`,
          dpop: await other.proof('POST', endpoint, own.token),
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'raw', version: '1' },
          },
        }),
      })
      await res.body?.cancel()
      return { status: res.status, session: res.headers.get('mcp-session-id') }
    }
    const sessions: string[] = []
    for (let i = 0; i < MAX_SESSIONS_PER_INSTANCE; i++) {
      const opened = await initialize()
      expect(opened.status).toBe(200)
      sessions.push(opened.session as string)
    }
    const refused = await initialize()
    expect(refused.status).toBe(429)
    // Idle past the limit: the sweep ends them, and the instance may open sessions again.
    await t.warden.gateway.sweep(Date.now() + SESSION_IDLE_MS)
    const ping = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `DPoP ${own.token}`,
        dpop: await other.proof('POST', endpoint, own.token),
        'mcp-session-id': sessions[0] as string,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    })
    expect(ping.status).toBe(404)
    expect((await initialize()).status).toBe(200)
  }, 60_000)
})
