import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signingKey } from '../fakes/attack.js'
import { FakeClock } from '../fakes/clock.js'
import { type Attested, attestWithJoinToken, registerAgent } from '../fakes/identity.js'
import { type OpenedTask, openTask } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

// Section C of the attack catalogue: token exchange and sub-agent delegation (RFC 8693), at the token endpoint
// and, for what a delegated token may still do, at the MCP endpoint of a real gateway.

const MODULES = new URL('../../node_modules/@modelcontextprotocol/', import.meta.url).pathname
const MCP = `${BASE}/mcp/files`
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token'
const JWT = 'urn:ietf:params:oauth:token-type:jwt'

interface Issued {
  access_token: string
  task_id: string
  scope: string
}

async function opened(res: Response): Promise<OpenedTask> {
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as OpenedTask
}

describe('section C: token exchange and delegation', () => {
  let t: TestWarden
  let sandbox: string
  let a: Attested
  let b: Attested
  let c: Attested
  let parent: OpenedTask

  /** POSTs a token-exchange form; `fields` override the defaults, `undefined` drops one; `proof: null` sends none. */
  const exchangeWith = async (
    actor: Attested,
    fields: Record<string, string | string[] | undefined>,
    options: { proof?: null } = {},
  ) => {
    const form = new URLSearchParams()
    const all: Record<string, string | string[] | undefined> = {
      grant_type: EXCHANGE,
      subject_token: parent.token,
      subject_token_type: ACCESS,
      actor_token: actor.svid,
      actor_token_type: JWT,
      ...fields,
    }
    for (const [name, value] of Object.entries(all)) {
      if (value === undefined) continue
      for (const one of Array.isArray(value) ? value : [value]) form.append(name, one)
    }
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
    if (options.proof !== null) headers.dpop = await actor.key.proof('POST', `${BASE}/v1/token`)
    return t.app.request(`${BASE}/v1/token`, { method: 'POST', headers, body: form.toString() })
  }
  const granted = async (res: Response): Promise<Issued> => {
    expect(res.status, await res.clone().text()).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    return (await res.json()) as Issued
  }
  /** An OAuth error with no token minted. */
  const refused = async (res: Response, status: number, error: string, label = '') => {
    const body = (await res.json()) as Record<string, unknown>
    expect([res.status, body.error], `${label} ${JSON.stringify(body)}`).toEqual([status, error])
    expect(body.access_token).toBeUndefined()
    expect(res.headers.get('cache-control')).toBe('no-store')
  }
  /** MCP `initialize` with a fresh proof by `who`; returns the status (the body is dropped). */
  const initialize = async (who: Attested, token: string, session?: string) => {
    const res = await t.app.request(MCP, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `DPoP ${token}`,
        dpop: await who.key.proof('POST', MCP, { accessToken: token }),
        ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}),
      },
      body: JSON.stringify(
        session
          ? { jsonrpc: '2.0', id: 2, method: 'tools/list' }
          : {
              jsonrpc: '2.0',
              id: 1,
              method: 'initialize',
              params: {
                protocolVersion: '2025-06-18',
                capabilities: {},
                clientInfo: { name: 'p', version: '1' },
              },
            },
      ),
    })
    await res.body?.cancel()
    return { status: res.status, session: res.headers.get('mcp-session-id') ?? undefined }
  }

  beforeAll(async () => {
    sandbox = mkdtempSync(join(tmpdir(), 'warden-tx-'))
    t = await startTestWarden(
      {
        upstreams: { files: { command: ['node', `${MODULES}server-filesystem/dist/index.js`, sandbox] } },
        tasks: { maxDelegationDepth: 2 },
      },
      { clock: new FakeClock() },
    )
    const tools = ['read_file', 'write_file', 'list_directory']
    await registerAgent(t, 'agent-a', { tier: 'standard', entitlements: tools, delegatesTo: ['agent-b'] })
    await registerAgent(t, 'agent-b', {
      tier: 'standard',
      entitlements: tools,
      delegatesTo: ['agent-c', 'agent-a'],
    })
    await registerAgent(t, 'agent-c', { tier: 'standard', entitlements: tools, delegatesTo: ['agent-a'] })
    await registerAgent(t, 'agent-d', { tier: 'standard', entitlements: tools })
    a = await attestWithJoinToken(t, 'agent-a')
    b = await attestWithJoinToken(t, 'agent-b')
    c = await attestWithJoinToken(t, 'agent-c')
    parent = await opened(await openTask(t, a, { purpose: 'delegation probes', tools: ['read_file'] }))
    await t.warden.gateway.start()
  })
  afterAll(async () => {
    await t.dispose()
    rmSync(sandbox, { recursive: true, force: true })
  })

  describe('TX-01 scope escalation', () => {
    it('never widens: a broader scope is invalid_scope, no scope stays within the parent', async () => {
      expect((await granted(await exchangeWith(b, { scope: 'read_file' }))).scope).toBe('read_file')
      await refused(await exchangeWith(b, { scope: 'read_file write_file admin' }), 400, 'invalid_scope')
      await refused(await exchangeWith(b, { scope: '*' }), 400, 'invalid_scope')
      const none = await granted(await exchangeWith(b, {}))
      expect(none.scope.split(' ').every((tool) => ['read_file'].includes(tool))).toBe(true)
    })
  })

  describe('TX-02 audience and resource escalation', () => {
    it('answers invalid_target for any audience or resource it cannot honour, and records the attempt', async () => {
      for (const fields of [
        { audience: 'http://127.0.0.1:9/mcp' },
        { resource: 'http://127.0.0.1:9/' },
        { resource: `${BASE}/v1/agents` },
        { resource: 'http://169.254.169.254/' },
        { audience: ['warden:tasks', 'other'] },
      ]) {
        await refused(await exchangeWith(b, fields), 400, 'invalid_target', JSON.stringify(fields))
      }
      const records = await t.warden.chain.query({ kind: 'auth.fail', limit: 1000 })
      expect(records.some((r) => r.body.code === 'TARGET_INVALID' && r.body.what === 'token_exchange')).toBe(
        true,
      )
      // Control: the task audience itself is honoured.
      await granted(await exchangeWith(b, { audience: 'warden:tasks', scope: 'read_file' }))
    })
  })

  describe('TX-03 actor binding and may_act', () => {
    it("refuses another instance's SVID, an agent the parent may not delegate to, and a client without DPoP", async () => {
      await granted(await exchangeWith(b, { scope: 'read_file' }))
      // (a)/(b) B's key, C's SVID: the actor token is not the authenticated client.
      await refused(await exchangeWith({ ...b, svid: c.svid }, {}), 400, 'invalid_request', 'foreign actor')
      // (c) the registry's delegatesTo is Warden's may_act: A may not delegate to D.
      const d = await attestWithJoinToken(t, 'agent-d')
      await refused(await exchangeWith(d, {}), 400, 'invalid_request', 'may_act')
      // (d) no proof of possession, or no client credential at all.
      await refused(await exchangeWith(b, {}, { proof: null }), 401, 'invalid_dpop_proof', 'no DPoP')
      await refused(await exchangeWith(b, { actor_token: undefined }), 401, 'invalid_client', 'no actor')
    })
  })

  describe('TX-04 act chain integrity, depth and cycles', () => {
    it('records only real exchanges, refuses injected actors, over-depth chains and cycles', async () => {
      const toB = await granted(
        await exchangeWith(b, { scope: 'read_file', act: '{"sub":"admin"}', actor: 'admin' }),
      )
      const toC = await granted(
        await exchangeWith(c, { subject_token: toB.access_token, scope: 'read_file' }),
      )
      const claims = decodeJwt(toC.access_token) as {
        sub: string
        act: { sub: string; act: { sub: string } }
      }
      expect(claims.sub).toBe(a.spiffeId)
      expect(claims.act.sub).toBe(c.spiffeId)
      expect(claims.act.act.sub).toBe(b.spiffeId)
      expect(JSON.stringify(claims.act)).not.toContain('admin')
      // The audit record of the delegation holds the whole chain.
      const delegations = await t.warden.chain.query({ kind: 'delegation', limit: 1000 })
      expect(delegations.map((r) => r.body.act)).toContainEqual(claims.act)
      // A subject token from another issuer whose nested act names an admin is no subject token at all.
      const attacker = await signingKey()
      const forged = await attacker.sign(
        { typ: 'at+jwt' },
        {
          ...decodeJwt(parent.token),
          act: { sub: b.spiffeId, act: { sub: 'spiffe://warden.local/agent/admin/x' } },
        },
      )
      await refused(await exchangeWith(c, { subject_token: forged }), 400, 'invalid_request', 'forged act')
      // Depth: maxDelegationDepth is 2, so C's token cannot be delegated once more (C → A).
      await refused(
        await exchangeWith(a, { subject_token: toC.access_token }),
        400,
        'invalid_request',
        'too deep',
      )
      // Cycle: A → B → A, with A's own instance as the actor again.
      await refused(
        await exchangeWith(a, { subject_token: toB.access_token }),
        400,
        'invalid_request',
        'cycle',
      )
    })
  })

  describe('TX-05 lifetime clamp and revocation cascade', () => {
    it("stops every delegated token when an agent or instance on the path is disabled or quarantined (not only the child's own)", async () => {
      const a2 = await attestWithJoinToken(t, 'agent-a')
      const p = await opened(await openTask(t, a2, { purpose: 'cascade', tools: ['read_file'] }))
      const toB = await granted(await exchangeWith(b, { subject_token: p.token }))
      const toC = await granted(await exchangeWith(c, { subject_token: toB.access_token }))
      const opened1 = await initialize(c, toC.access_token)
      expect(opened1.status).toBe(200)
      expect((await initialize(c, toC.access_token, opened1.session)).status).toBe(200)

      // The root agent disabled: the grandchild's new session and its existing one both stop, at the gateway.
      await t.request('POST', '/v1/agents/agent-a/disable')
      expect((await initialize(c, toC.access_token)).status).toBe(403)
      expect((await initialize(c, toC.access_token, opened1.session)).status).toBe(403)
      await refused(
        await exchangeWith(c, { subject_token: toB.access_token }),
        400,
        'invalid_request',
        'exchange',
      )
      await t.request('POST', '/v1/agents/agent-a/enable')
      expect((await initialize(c, toC.access_token)).status).toBe(200)

      // The middle instance quarantined: the same.
      await t.request('POST', `/v1/instances/${b.instanceId}/quarantine`, { body: { reason: 'compromised' } })
      expect((await initialize(c, toC.access_token)).status).toBe(403)
      const decisions = await t.warden.chain.query({ kind: 'auth.fail', limit: 1000 })
      expect(decisions.some((r) => r.body.code === 'INSTANCE_QUARANTINED')).toBe(true)
    })
  })

  describe('TX-06 subject-token type confusion', () => {
    it('mints nothing from an SVID, a proof or an unknown type, and issues no refresh token', async () => {
      const fresh = await attestWithJoinToken(t, 'agent-b')
      const p = await opened(await openTask(t, a, { purpose: 'types', tools: ['read_file'] }))
      const subject = { subject_token: p.token }
      await granted(await exchangeWith(fresh, { ...subject, scope: 'read_file' }))
      await refused(await exchangeWith(fresh, { subject_token: a.svid }), 400, 'invalid_request', 'SVID')
      const proof = await a.key.proof('POST', `${BASE}/v1/token`)
      await refused(await exchangeWith(fresh, { subject_token: proof }), 400, 'invalid_request', 'proof')
      await refused(
        await exchangeWith(fresh, {
          ...subject,
          subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        }),
        400,
        'invalid_request',
        'id token type',
      )
      await refused(
        await exchangeWith(fresh, { ...subject, subject_token_type: 'urn:example:unknown' }),
        400,
        'invalid_request',
        'unknown type',
      )
      await refused(
        await exchangeWith(fresh, {
          ...subject,
          requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
        }),
        400,
        'invalid_request',
        'refresh token',
      )
      await refused(
        await exchangeWith(fresh, { ...subject, grant_type: 'client_credentials' }),
        400,
        'unsupported_grant_type',
      )
    })
  })

  // Last: it moves the clock past every SVID's lifetime.
  describe('TX-05 lifetime clamp', () => {
    it("never outlives the parent, and a delegated token stops with its parent's revocation", async () => {
      const p = await opened(await openTask(t, a, { purpose: 'clamp', tools: ['read_file'] }))
      const pExp = decodeJwt(p.token).exp as number
      t.clock.advance(`${pExp - Math.floor(t.clock.now() / 1000) - 10}s`)
      // A fresh sub-agent instance: SVIDs live 5 minutes, the parent token 15.
      const late = await attestWithJoinToken(t, 'agent-b')
      const child = await granted(await exchangeWith(late, { subject_token: p.token }))
      expect(decodeJwt(child.access_token).exp as number).toBeLessThanOrEqual(pExp)
      expect((await initialize(late, child.access_token)).status).toBe(200)
      await t.request('POST', `/v1/tasks/${p.taskId}/close`, { body: { reason: 'revoked' } })
      expect((await initialize(late, child.access_token)).status).toBe(401)
    })
  })
})
