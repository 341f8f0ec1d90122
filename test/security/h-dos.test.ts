import { type ChildProcess, spawn } from 'node:child_process'
import { createPublicKey } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { verifyChain } from '../../src/chain/index.js'
import { MAX_SESSIONS_PER_INSTANCE, RPC } from '../../src/gateway/index.js'
import { ReplayCache } from '../../src/identity/index.js'
import { exceedsJsonLimits } from '../../src/kernel/index.js'
import { WardenApiError } from '../../src/sdk/index.js'
import { FakeClock } from '../fakes/clock.js'
import { mcpClient, rpcError } from '../fakes/gateway.js'
import { startServe } from '../fakes/process.js'
import { type Secured, startSecured, startUpstream, type Upstream, WORKSPACE_POLICY } from './fixture.js'

/** Catalogue section H: resource exhaustion and DoS (../shared/research/attacks.md). */

const MiB = 1024 * 1024

/** A raw JSON-RPC POST to the gateway with the agent's credentials (the SDK client would refuse to build some). */
async function post(s: Secured, body: string, contentType = 'application/json'): Promise<Response> {
  const fetchAs = s.agent.gatewayFetch(s.task, `${s.url}/mcp/files`)
  return fetchAs(`${s.url}/mcp/files`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/json, text/event-stream' },
    body,
  })
}

const call = (args: string) =>
  `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_file","arguments":${args}}}`

describe('DS-01 oversized and deeply nested payloads', () => {
  let s: Secured
  let client: Client
  beforeAll(async () => {
    s = await startSecured({ config: { server: { bodyLimitBytes: 4 * MiB } } })
    client = await s.client()
  })
  afterAll(() => s?.close())

  it.each([
    ['5 MiB', 5 * MiB],
    ['50 MiB', 50 * MiB],
  ])('refuses a %s body with 413', async (_, size) => {
    const res = await post(s, call(`{"path":"/workspace/${'a'.repeat(size)}"}`))
    expect(res.status).toBe(413)
    expect(((await res.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('refuses a body sent in chunks, with no length announced, once it passes the limit; answers a small one', async () => {
    // The gateway reads its bodies itself (not through `bodyLimit`): the cap must hold without a Content-Length.
    const chunked = (text: string) => {
      const bytes = new TextEncoder().encode(text)
      return new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += MiB) controller.enqueue(bytes.subarray(at, at + MiB))
          controller.close()
        },
      })
    }
    const send = (text: string) =>
      s.agent.gatewayFetch(s.task, `${s.url}/mcp/files`)(`${s.url}/mcp/files`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: chunked(text),
        duplex: 'half',
      } as RequestInit)
    const big = await send(call(`{"path":"/workspace/${'a'.repeat(5 * MiB)}"}`))
    expect(big.status).toBe(413)
    expect(((await big.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE')
    // Positive control: a small body sent the same way is read, and answered by the MCP layer (no session yet).
    const small = await send('{"jsonrpc":"2.0","id":8,"method":"ping"}')
    expect(small.status).not.toBe(413)
    expect(((await small.json()) as { jsonrpc?: string }).jsonrpc).toBe('2.0')
  })

  it('refuses a 10 MB string field with 413', async () => {
    const res = await post(s, call(`{"path":"/workspace/a","note":"${'x'.repeat(10_000_000)}"}`))
    expect(res.status).toBe(413)
  })

  it.each([
    ['1e6 array elements', `{"path":"/workspace/a","list":[${'0,'.repeat(999_999)}0]}`],
    [
      '60,000 object keys',
      `{"path":"/workspace/a",${Array.from({ length: 60_000 }, (_, i) => `"k${i}":0`).join(',')}}`,
    ],
    ['100k levels of nesting', `{"path":"/workspace/a","deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
  ])('refuses %s inside the size cap with 400 before parsing, and UP sees nothing', async (_, args) => {
    const body = call(args)
    expect(body.length).toBeLessThan(4 * MiB)
    const before = s.up.seen.length
    const res = await post(s, body)
    expect(res.status).toBe(400)
    // The gateway speaks JSON-RPC: Invalid Request.
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32600)
    expect(s.up.seen).toHaveLength(before)
  })

  it('counts structure only: brackets, commas and quotes inside strings are text', () => {
    const limits = { depth: 3, keys: 2, elements: 2, members: 10 }
    const scan = (text: string) => exceedsJsonLimits(new TextEncoder().encode(text), limits)
    expect(scan('{"a":"[[[[[,,,,{{{{","b":"\\"[[[[\\\\"}')).toBeUndefined()
    expect(scan('{"a":[1,2],"b":{"c":[]}}')).toBeUndefined()
    expect(scan('{"a":1,"b":2,"c":3}')).toContain('keys')
    expect(scan('[1,2,3]')).toContain('elements')
    expect(scan('[[[[1]]]]')).toContain('nests')
    expect(
      exceedsJsonLimits(new TextEncoder().encode('[[1,2],[3,4],[5]]'), {
        ...limits,
        elements: 9,
        members: 6,
      }),
    ).toContain('members')
  })

  it('applies the limits whatever the declared content type (the API parses text/plain JSON too)', async () => {
    const keys = Array.from({ length: 60_000 }, (_, i) => `"k${i}":0`).join(',')
    const res = await s.agent
      .call('POST', '/v1/authorize', { token: s.task.token, body: JSON.parse(`{${keys}}`) })
      .catch((error: unknown) => error)
    expect(res).toBeInstanceOf(WardenApiError)
    expect((res as WardenApiError).status).toBe(400)
  })

  it('serves a call with a 5,000-element argument and the benign client afterwards (positive control)', async () => {
    const list = Array.from({ length: 5000 }, (_, i) => i)
    await client.callTool({ name: 'read_file', arguments: { path: '/workspace/big', list } })
    await client.callTool({ name: 'read_file', arguments: { path: '/workspace/after' } })
    expect(s.up.calls().map((c) => c.args.path)).toEqual(['/workspace/big', '/workspace/after'])
  })
})

describe('DS-02 slow clients and connection exhaustion', () => {
  it('closes a socket that never finishes its headers, and keeps serving others', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warden-slow-'))
    const serve = await startServe(['--data', dataDir], { WARDEN_ADMIN_TOKEN: 'slow-admin' })
    try {
      const { hostname, port } = new URL(serve.url)
      const socket = connect(Number(port), hostname)
      await once(socket, 'connect')
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')
      let answer = ''
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString()
      })
      // The drip may write after the server has closed the socket: a reset then is expected, not a failure.
      socket.on('error', () => undefined)
      const drip = setInterval(() => socket.write('a'), 500)
      // Meanwhile a legitimate client is served.
      expect((await fetch(`${serve.url}/healthz`)).status).toBe(200)
      await once(socket, 'close')
      clearInterval(drip)
      expect(answer).toMatch(/^HTTP\/1\.1 408/)
    } finally {
      await serve.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 40_000)

  it.todo(
    'caps SSE streams per principal: sessions are capped (DS-03); streams per session are the SDK transport’s (#18)',
  )
})

describe('DS-03 state exhaustion', { timeout: 60_000 }, () => {
  let s: Secured
  beforeEach(async () => {
    s = await startSecured({
      config: {
        server: {
          rateLimits: { failures: { burst: 20, perSecond: 0.5 }, issued: { burst: 10, perSecond: 0.1 } },
        },
      },
    })
  })
  afterEach(() => s?.close())

  it('answers failed attestations past the burst with 429 and Retry-After; calls with a standing token go on', async () => {
    const client = await s.client()
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 80; i++) {
      const res = await fetch(`${s.url}/v1/attest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'join_token', token: `wrong-${i}`, publicKey: { kty: 'EC' } }),
      })
      statuses.push(res.status)
      if (res.status === 429) retryAfter ??= res.headers.get('retry-after')
    }
    // Rejected as the credential deserves first, then throttled.
    expect(statuses.slice(0, 15).every((status) => status !== 429 && status >= 400)).toBe(true)
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(20)
    expect(Number(retryAfter)).toBeGreaterThan(0)
    // Legitimate traffic on a standing task token continues.
    await client.callTool({ name: 'echo', arguments: { text: 'still served' } })
    expect(s.up.calls().at(-1)).toEqual({ tool: 'echo', args: { text: 'still served' } })
    // Once `Retry-After` has passed, a valid attestation goes through (positive control).
    await new Promise((resolve) => setTimeout(resolve, Number(retryAfter) * 1000))
    await s.newAgent('after-flood')
  })

  it('answers token exchanges past the burst with 429', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${s.url}/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: s.task.token,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          actor_token: 'not-a-jwt',
          actor_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        }).toString(),
      })
      statuses.push(res.status)
    }
    expect(statuses[0]).not.toBe(429)
    expect(statuses.at(-1)).toBe(429)
  })

  it('limits credentials issued to one principal (tasks opened), with 429 past its burst', async () => {
    const { agent } = await s.newAgent('opener')
    const outcomes: Array<number | 'ok'> = []
    for (let i = 0; i < 30; i++) {
      outcomes.push(
        await agent
          .openTask({ purpose: `task ${i}`, tools: ['echo'] })
          .then(() => 'ok' as const)
          .catch((error: WardenApiError) => error.status),
      )
    }
    expect(outcomes.slice(0, 8).every((outcome) => outcome === 'ok')).toBe(true)
    expect(outcomes.at(-1)).toBe(429)
    // Another principal is not affected.
    const other = await s.newAgent('bystander')
    expect(other.task.taskId).toBeTruthy()
  })

  it('keeps proof `jti`s only for their window: the replay cache does not grow with traffic', async () => {
    const clock = new FakeClock()
    const cache = new ReplayCache(s.t.warden.store, clock)
    for (let i = 0; i < 2000; i++) expect(await cache.claim(`flood-${i}`, clock.now() + 60_000)).toBe(true)
    // Positive control: a replay inside the window is caught.
    expect(await cache.claim('flood-7', clock.now() + 60_000)).toBe(false)
    clock.advance('2m')
    await cache.claim('later', clock.now() + 60_000)
    const left = await s.t.warden.store.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM proof_jtis WHERE jti LIKE 'flood-%'`,
    )
    expect(Number(left?.n)).toBe(0)
  })

  it('caps the MCP sessions one instance holds (429), and frees a slot when one is deleted', async () => {
    const send = s.agent.gatewayFetch(s.task, `${s.url}/mcp/files`)
    const open = () =>
      send(`${s.url}/mcp/files`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'p', version: '1' },
          },
        }),
      })
    const ids: string[] = []
    let refused: Response | undefined
    for (let i = 0; i < MAX_SESSIONS_PER_INSTANCE + 5 && !refused; i++) {
      const res = await open()
      await res.text()
      if (res.status === 200) ids.push(res.headers.get('mcp-session-id') as string)
      else refused = res
    }
    expect(refused?.status).toBe(429)
    expect(ids.length).toBe(MAX_SESSIONS_PER_INSTANCE)
    await send(`${s.url}/mcp/files`, { method: 'DELETE', headers: { 'mcp-session-id': ids[0] as string } })
    expect((await open()).status).toBe(200)
  })

  it.todo(
    'ends sessions idle for 15 minutes: the sweep runs on wall-clock time every 30 s, too slow for a test',
  )
})

describe('DS-04 crypto and parser amplification', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured()
  })
  afterAll(() => s?.close())

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

  it.each([
    [
      'PBES2 with p2c 2^31-1',
      { alg: 'PBES2-HS256+A128KW', enc: 'A128GCM', p2c: 2147483647, p2s: 'AAAAAAAAAAAAAAAAAAAAAA' },
    ],
    ['a zip:DEF bomb', { alg: 'dir', enc: 'A128GCM', zip: 'DEF' }],
  ])('refuses a JWE (%s) as a token before any key derivation or inflation', async (_, header) => {
    const jwe = `${b64(header)}.${'A'.repeat(43)}.${'A'.repeat(16)}.${'A'.repeat(4000)}.${'A'.repeat(22)}`
    const mcp = await fetch(`${s.url}/mcp/files`, {
      method: 'POST',
      headers: { authorization: `DPoP ${jwe}`, dpop: jwe, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(mcp.status).toBe(401)
    expect(mcp.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/)
    const task = await fetch(`${s.url}/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `DPoP ${jwe}`, dpop: jwe, 'content-type': 'application/json' },
      body: JSON.stringify({ intent: { purpose: 'x' } }),
    })
    expect(task.status).toBe(401)
  })

  it('refuses a DPoP proof carrying a 16384-bit RSA key before verifying it', async () => {
    const jwk = { kty: 'RSA', e: 'AQAB', n: Buffer.alloc(2048, 0xff).toString('base64url') }
    const proof = `${b64({ typ: 'dpop+jwt', alg: 'RS256', jwk })}.${b64({ htm: 'POST', htu: `${s.url}/mcp/files`, iat: Math.floor(Date.now() / 1000), jti: 'x' })}.${'A'.repeat(2731)}`
    const res = await fetch(`${s.url}/mcp/files`, {
      method: 'POST',
      headers: { authorization: `DPoP ${s.task.token}`, dpop: proof, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(401)
    // Positive control: the agent's own proof is accepted.
    await (await s.client()).callTool({ name: 'echo', arguments: { text: 'ok' } })
  })

  it.todo(
    'URI templates match in linear time (CVE-2026-0621): fixed in the MCP SDK version SC-01 requires; Warden matches no templates itself',
  )
})

describe('DS-05 slow or hostile upstream', () => {
  let s: Secured
  let second: Upstream
  beforeAll(async () => {
    second = await startUpstream('second')
    s = await startSecured({
      config: { upstreams: { files: { timeout: '1s' }, second: { url: second.url } } },
      policies: {
        'workspace.cedar': `${WORKSPACE_POLICY}\npermit (principal, action == Warden::second::Action::"echo", resource);\n`,
      },
    })
  })
  afterAll(async () => {
    await s?.close()
    await second?.close()
  })

  it('answers a call the upstream never finishes with a JSON-RPC error at the per-call timeout; another upstream is unaffected', async () => {
    const files = await s.client()
    const slow = rpcError(files.callTool({ name: 'slow', arguments: { ms: 5000 } }))
    const other = await (await import('../fakes/gateway.js')).mcpClient(
      `${s.url}/mcp/second`,
      s.agent,
      s.task,
    )
    expect(await other.callTool({ name: 'echo', arguments: { text: 'healthy' } })).toMatchObject({
      content: [{ text: 'healthy' }],
    })
    expect((await slow).code).not.toBe(RPC.DENIED)
    expect(second.calls()).toEqual([{ tool: 'echo', args: { text: 'healthy' } }])
    await other.close()
  })

  it('aborts an upstream answer past 16 MiB, and serves the same tool under the cap (positive control)', async () => {
    const files = await s.client()
    const small = await files.callTool({ name: 'big', arguments: { bytes: 1_000_000 } })
    expect(JSON.stringify(small).length).toBeGreaterThan(1_000_000)
    const error = await rpcError(files.callTool({ name: 'big', arguments: { bytes: 17 * MiB } }))
    expect(error.code).not.toBe(RPC.DENIED)
  })

  it('answers a call to an upstream that accepts the connection and never speaks with an error in time', async () => {
    const { createServer } = await import('node:net')
    const sockets: import('node:net').Socket[] = []
    const mute = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve))
    const port = (mute.address() as { port: number }).port
    const t = await startSecured({
      config: { upstreams: { mute: { url: `http://127.0.0.1:${port}/mcp`, timeout: '1s' } } },
    })
    try {
      const outcome = await mcpClient(`${t.url}/mcp/mute`, t.agent, t.task).then(
        async (client) => {
          // Listing needs the upstream's connection: it must give up at the timeout, not hang.
          const result = await client.listTools().then(
            () => 'answered',
            () => 'error',
          )
          await client.close()
          return result
        },
        () => 'error',
      )
      expect(outcome).toBe('error')
    } finally {
      await t.close()
      for (const socket of sockets) socket.destroy()
      mute.close()
    }
  })
})

describe('DS-06 load curve and soak', () => {
  it.todo(
    'an open-loop 60-minute soak at 70% of the knee: not a unit test; `npm run bench` measures the curve',
  )
})

/** A process of its own holding `BEGIN EXCLUSIVE` on the store's file, as `sqlite3 warden.db` would. */
async function holdLock(file: string): Promise<{ child: ChildProcess; release(): Promise<void> }> {
  const script = fileURLToPath(new URL('../fixtures/hold-sqlite-lock.mjs', import.meta.url))
  const child = spawn(process.execPath, [script, file], { stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('locked')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)))
  })
  return {
    child,
    release: async () => {
      const exited = once(child, 'exit')
      child.stdin?.write('release\n')
      await exited
    },
  }
}

describe('AU-06 at the store layer: a store locked by another process', { timeout: 60_000 }, () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured()
  })
  afterAll(() => s?.close())

  it('answers STORE_UNAVAILABLE (503) to calls and credential requests, forwards nothing, and resumes once released', async () => {
    const client = await s.client()
    await client.callTool({ name: 'echo', arguments: { text: 'before' } })
    const lock = await holdLock(join(s.t.dataDir, 'warden.db'))
    try {
      for (let i = 0; i < 5; i++) {
        const res = await post(
          s,
          JSON.stringify({
            jsonrpc: '2.0',
            id: i,
            method: 'tools/call',
            params: { name: 'echo', arguments: { text: `locked ${i}` } },
          }),
        )
        // Authentication claims the proof's `jti` in the store: the request stops there.
        expect(res.status).toBe(503)
        expect(((await res.json()) as { code: string }).code).toBe('STORE_UNAVAILABLE')
        expect(res.headers.get('retry-after')).toBeTruthy()
      }
      for (let i = 0; i < 2; i++) {
        const refused = await s.agent
          .openTask({ purpose: 'while locked', tools: ['echo'] })
          .catch((e: unknown) => e)
        expect((refused as WardenApiError).status).toBe(503)
      }
      const join = await s.t.request('POST', '/v1/agents/reader/join-tokens')
      expect(join.status).toBe(503)
    } finally {
      await lock.release()
    }
    expect(s.up.calls().map((c) => c.args.text)).toEqual(['before'])
    // Resumes by itself: the next call and the next credential go through.
    await client.callTool({ name: 'echo', arguments: { text: 'after' } })
    await s.agent.openTask({ purpose: 'after the lock', tools: ['echo'] })
    expect(s.up.calls().map((c) => c.args.text)).toEqual(['before', 'after'])
    const publicKey = createPublicKey(readFileSync(join(s.t.dataDir, 'keys', 'chain-public.pem')))
    await s.t.warden.chain.checkpoint()
    expect(await verifyChain(s.t.warden.chain, publicKey)).toMatchObject({ ok: true })
  })
})
