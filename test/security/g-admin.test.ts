import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RPC } from '../../src/gateway/index.js'
import { rpcError } from '../fakes/gateway.js'
import { ADMIN_TOKEN } from '../fakes/warden.js'
import { type Secured, startSecured, WORKSPACE_POLICY } from './fixture.js'

/** Catalogue section G: admin API and web (../shared/research/attacks.md). */

/** An HTTP request sent as written: the path is not normalised (fetch's URL parser would resolve `%2e%2e`). */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    let answered = false
    // A connection of its own (no keep-alive pool): a socket still writing a refused body must not outlive the
    // request in a pool where its late EPIPE would have no listener.
    const req = httpRequest({ hostname, port, method, path, headers, agent: false }, (res) => {
      answered = true
      let text = ''
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString()
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    // A server that answers 413 before reading a large body closes the socket under the write.
    req.on('error', (error) => (answered ? undefined : reject(error)))
    req.on('socket', (socket) => socket.on('error', (error) => (answered ? undefined : reject(error))))
    req.end(body)
  })
}

const ADMIN_ROUTES: Array<[string, string]> = [
  ['GET', '/v1/agents'],
  ['POST', '/v1/agents'],
  ['GET', '/v1/agents/reader'],
  ['POST', '/v1/agents/reader/disable'],
  ['POST', '/v1/agents/reader/join-tokens'],
  ['GET', '/v1/instances'],
  ['POST', '/v1/instances/x/quarantine'],
  ['GET', '/v1/tasks'],
  ['GET', '/v1/events'],
  ['PUT', '/v1/secrets/x'],
  ['GET', '/v1/policies'],
  ['POST', '/v1/policies/reload'],
  ['GET', '/v1/tools'],
  ['PUT', '/v1/servers/files/tools'],
  ['POST', '/v1/servers/files/tools/echo/approve'],
  ['GET', '/v1/approvals'],
  ['GET', '/v1/owners'],
  ['POST', '/v1/owners/x/tokens'],
]

describe('AD-01 authentication on every admin route, method and path variant', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured()
  })
  afterAll(() => s?.close())

  it('accepts the admin token (positive control)', async () => {
    const res = await raw(s.url, 'GET', '/v1/agents', { authorization: `Bearer ${ADMIN_TOKEN}` })
    expect(res.status).toBe(200)
    expect(res.body).toContain('reader')
  })

  it('refuses no credential, a wrong admin token, an agent task token and an agent SVID on every admin route', async () => {
    const credentials = {
      none: {},
      wrong: { authorization: 'Bearer wat_not-the-admin-token' },
      taskBearer: { authorization: `Bearer ${s.task.token}` },
      taskDpop: { authorization: `DPoP ${s.task.token}` },
      svid: { authorization: `Bearer ${s.agent.svid}` },
    }
    const seen: string[] = []
    for (const [method, path] of ADMIN_ROUTES) {
      for (const [name, headers] of Object.entries(credentials)) {
        const res = await raw(
          s.url,
          method,
          path,
          { 'content-type': 'application/json', ...headers },
          method === 'GET' ? undefined : '{}',
        )
        if (res.status !== 401 && res.status !== 403) seen.push(`${method} ${path} ${name} → ${res.status}`)
      }
    }
    expect(seen).toEqual([])
  })

  it('refuses every method, OPTIONS and HEAD included', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
      const res = await raw(s.url, method, '/v1/agents')
      expect([method, res.status]).toEqual([method, 401])
    }
  })

  it.each([
    '/v1/agents/',
    '//v1/agents',
    '/v1//agents',
    '/V1/AGENTS',
    '/v1/Agents',
    '/v1/agents;x',
    '/v1/agents%2f',
    '/v1/%2e%2e/v1/agents',
    '/v1/./agents',
    '/v1/x/../agents',
    '/v1/agents?x=/healthz',
    '/v1/agents#',
  ])('refuses the path variant %s without a credential', async (path) => {
    const res = await raw(s.url, 'GET', path)
    expect([401, 403]).toContain(res.status)
    expect(res.body).not.toContain('reader@example.com')
  })

  it('ignores method-override and rewrite headers', async () => {
    for (const headers of [
      { 'x-http-method-override': 'GET' },
      { 'x-original-url': '/v1/agents' },
      { 'x-rewrite-url': '/v1/agents' },
    ]) {
      const res = await raw(s.url, 'GET', '/.well-known/jwks.json', headers)
      expect(res.status).toBe(200)
      expect(res.body).not.toContain('reader@example.com')
      const post = await raw(
        s.url,
        'POST',
        '/v1/agents',
        { ...headers, 'content-type': 'application/json' },
        '{}',
      )
      expect(post.status).toBe(401)
    }
  })
})

describe('AD-02 browser-origin attacks', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured()
  })
  afterAll(() => s?.close())

  it('has no ambient authentication: a cross-site text/plain POST carrying JSON is refused, and no cookie is ever set', async () => {
    const res = await raw(
      s.url,
      'POST',
      '/v1/agents',
      { 'content-type': 'text/plain' },
      JSON.stringify({ name: 'evil', owner: 'e@evil.example', tier: 'critical' }),
    )
    expect(res.status).toBe(401)
    expect(res.headers['set-cookie']).toBeUndefined()
    const listed = await raw(s.url, 'GET', '/v1/agents', { authorization: `Bearer ${ADMIN_TOKEN}` })
    expect(listed.body).not.toContain('evil')
    expect(listed.headers['set-cookie']).toBeUndefined()
  })

  it('refuses an evil Origin, even with the admin token, and a preflight from it, without reflecting it', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const evil = await raw(s.url, 'GET', '/v1/agents', { ...admin, origin: 'http://evil.example' })
    expect(evil.status).toBe(403)
    const preflight = await raw(s.url, 'OPTIONS', '/v1/agents', {
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    })
    expect(preflight.status).toBe(403)
    for (const res of [evil, preflight]) {
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
      expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    }
    // Controls: no Origin, and Warden's own origin.
    expect((await raw(s.url, 'GET', '/v1/agents', admin)).status).toBe(200)
    expect((await raw(s.url, 'GET', '/v1/agents', { ...admin, origin: s.url })).status).toBe(200)
  })

  it('forbids framing of every response', async () => {
    for (const path of ['/healthz', '/v1/agents', '/nope']) {
      const res = await raw(s.url, 'GET', path)
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    }
  })

  it('refuses an evil Host, and serves the loopback names', async () => {
    const { port } = new URL(s.url)
    // Probes answer any Host (docs/operations.md); everything else is guarded.
    expect((await raw(s.url, 'GET', '/.well-known/jwks.json', { host: 'evil.example.com' })).status).toBe(403)
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      expect((await raw(s.url, 'GET', '/.well-known/jwks.json', { host })).status).toBe(200)
    }
  })
})

describe('AD-03 object-level authorization and mass assignment', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured({
      config: { approvals: { hold: '1s' } },
      policies: {
        'workspace.cedar': WORKSPACE_POLICY.replace(
          '@id("forbid-delete")',
          'permit (principal, action == Warden::files::Action::"delete_file", resource);\n' +
            '@id("forbid-delete")\n@escalate("deleting needs a human")',
        ),
      },
    })
  })
  afterAll(() => s?.close())

  it('refuses privileged or unknown fields at registration; Warden assigns the SPIFFE ID', async () => {
    const res = await s.t.request('POST', '/v1/agents', {
      body: {
        name: 'mallory',
        owner: 'm@example.com',
        tier: 'low',
        role: 'admin',
        spiffe_id: 'spiffe://prod.example/admin',
        trust_domain: 'other',
      },
    })
    expect(res.status).toBe(400)
    expect((await s.t.request('GET', '/v1/agents/mallory')).status).toBe(404)
    // Positive control: the same registration without them; the instance's ID comes from Warden alone.
    const { agent } = await s.newAgent('mallory')
    expect(agent.spiffeId.startsWith('spiffe://warden.local/')).toBe(true)
    expect(agent.spiffeId).not.toContain('prod.example')
  })

  it("lets an owner see and answer only their own agents' approvals", async () => {
    const client = await s.client()
    const held = await rpcError(
      client.callTool({ name: 'delete_file', arguments: { path: '/workspace/old' } }),
    )
    expect(held.code).toBe(RPC.ESCALATED)
    const approval = (held.data as { approval: string }).approval
    const mint = async (owner: string) =>
      ((await (await s.t.request('POST', `/v1/owners/${owner}/tokens`)).json()) as { token: string }).token
    await s.newAgent('other')
    const stranger = await mint('other@example.com')
    const owner = await mint('reader@example.com')
    const as = (token: string, method: string, path: string) =>
      s.t.request(method, path, {
        admin: false,
        headers: { authorization: `Bearer ${token}` },
        ...(method === 'POST' ? { body: {} } : {}),
      })
    expect((await as(stranger, 'GET', `/v1/approvals/${approval}`)).status).toBe(403)
    expect((await as(stranger, 'POST', `/v1/approvals/${approval}/approve`)).status).toBe(403)
    const list = (await (await as(stranger, 'GET', '/v1/approvals')).json()) as { approvals: unknown[] }
    expect(list.approvals).toEqual([])
    // An agent's own credential is no owner's.
    expect((await as(s.task.token, 'GET', `/v1/approvals/${approval}`)).status).toBe(401)
    // Positive control: the owner of the agent sees it.
    expect((await as(owner, 'GET', `/v1/approvals/${approval}`)).status).toBe(200)
    expect(s.up.calls()).toEqual([])
  })
})

describe('AD-04 error and header hygiene', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured({ config: { server: { bodyLimitBytes: 1024 * 1024 } } })
  })
  afterAll(() => s?.close())

  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }

  it('answers malformed JSON, wrong types, a 5 MB field and unknown routes with generic bodies', async () => {
    const cases = [
      await raw(s.url, 'POST', '/v1/agents', admin, '{"name": "x",'),
      await raw(s.url, 'POST', '/v1/agents', admin, '{"name": 5, "owner": [], "tier": {}}'),
      await raw(s.url, 'POST', '/v1/agents', admin, `{"name":"${'x'.repeat(5_000_000)}"}`),
      await raw(s.url, 'GET', '/v1/nothing-here', admin),
      await raw(s.url, 'GET', '/v1/nothing-here'),
    ]
    expect(cases.map((res) => res.status)).toEqual([400, 400, 413, 404, 401])
    for (const res of cases) {
      const body = JSON.parse(res.body) as Record<string, unknown>
      expect(Object.keys(body).sort()).toEqual(['code', 'message'])
      expect(res.body).not.toMatch(/\bat \S+:\d+|node_modules|\/src\/|SELECT|SQLITE/)
    }
  })

  it('answers an unexpected failure with a generic 500: no stack, SQL, path or key material', async () => {
    const agents = s.t.warden.identity.agents
    const list = agents.list.bind(agents)
    agents.list = async () => {
      throw new Error(`SQLITE_CORRUPT: SELECT * FROM agents at ${s.t.dataDir}/warden.db`)
    }
    try {
      const res = await raw(s.url, 'GET', '/v1/agents', admin)
      expect(res.status).toBe(500)
      expect(JSON.parse(res.body)).toEqual({ code: 'INTERNAL', message: 'internal error' })
    } finally {
      agents.list = list
    }
  })

  it('never echoes a presented token', async () => {
    const secret = `${s.task.token.slice(0, -8)}AAAAAAAA`
    for (const path of ['/mcp/files', '/v1/tasks', '/v1/authorize']) {
      const res = await raw(
        s.url,
        'POST',
        path,
        { authorization: `DPoP ${secret}`, 'content-type': 'application/json' },
        '{}',
      )
      expect([400, 401]).toContain(res.status)
      expect(res.body).not.toContain(secret.slice(20, 52))
    }
  })

  it('marks credential responses no-store, and every response nosniff', async () => {
    // Over the wire: what a client (or a cache between) sees.
    const responses: Array<[string, Response]> = []
    const join = await fetch(`${s.url}/v1/agents/reader/join-tokens`, { method: 'POST', headers: admin })
    expect(join.status).toBe(201)
    responses.push(['join token', join])
    const { token } = (await join.json()) as { token: string }
    const owner = await fetch(`${s.url}/v1/owners/reader@example.com/tokens`, {
      method: 'POST',
      headers: admin,
    })
    responses.push(['owner token', owner])
    // Attestation, task open and refresh, as an agent does them over HTTP.
    const { agent } = await s.newAgent('headers')
    const attestUrl = `${s.url}/v1/attest`
    const { InstanceKey } = await import('../fakes/instance-key.js')
    const key = await InstanceKey.generate()
    const attest = await fetch(attestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop: await key.proof('POST', attestUrl) },
      body: JSON.stringify({ method: 'join_token', token, publicKey: key.publicJwk }),
    })
    expect(attest.status).toBe(201)
    responses.push(['attest', attest])
    const tasksUrl = `${s.url}/v1/tasks`
    const opened = await fetch(tasksUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `DPoP ${agent.svid}`,
        dpop: await agent.proof('POST', tasksUrl, agent.svid),
      },
      body: JSON.stringify({ intent: { purpose: 'headers', tools: ['echo'] } }),
    })
    expect(opened.status).toBe(201)
    responses.push(['task token', opened])
    const task = (await opened.json()) as { taskId: string; token: string }
    const refreshUrl = `${s.url}/v1/tasks/${task.taskId}/token`
    const refreshed = await fetch(refreshUrl, {
      method: 'POST',
      headers: {
        authorization: `DPoP ${task.token}`,
        dpop: await agent.proof('POST', refreshUrl, task.token),
      },
    })
    expect(refreshed.status).toBe(201)
    responses.push(['refreshed task token', refreshed])
    for (const [name, res] of responses)
      expect([name, res.headers.get('cache-control')]).toEqual([name, 'no-store'])
    for (const path of ['/healthz', '/.well-known/jwks.json', '/v1/agents', '/mcp/files', '/nope']) {
      const res = await raw(s.url, 'GET', path)
      expect([path, res.headers['x-content-type-options']]).toEqual([path, 'nosniff'])
    }
  })
})
