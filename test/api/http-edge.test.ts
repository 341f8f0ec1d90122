import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { codeOf, registerAgent } from '../fakes/identity.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

describe('HTTP edge', () => {
  let t: TestWarden
  beforeEach(async () => {
    t = await startTestWarden({
      server: { bodyLimitBytes: 4096, allowedOrigins: ['https://console.example'] },
    })
  })
  afterEach(() => t.dispose())

  it('refuses admin routes without the admin token, or with a wrong one', async () => {
    expect(await codeOf(await t.request('GET', '/v1/agents', { admin: false }))).toBe('UNAUTHENTICATED')
    const wrong = await t.request('GET', '/v1/agents', { headers: { authorization: 'Bearer nope' } })
    expect(wrong.status).toBe(401)
    expect(await codeOf(wrong)).toBe('UNAUTHENTICATED')
  })

  it('refuses every admin and owner route without a credential', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/v1/agents'],
      ['POST', '/v1/agents'],
      ['GET', '/v1/agents/x'],
      ['POST', '/v1/agents/x/disable'],
      ['POST', '/v1/agents/x/join-tokens'],
      ['GET', '/v1/instances'],
      ['POST', '/v1/instances/x/quarantine'],
      ['GET', '/v1/tasks'],
      ['GET', '/v1/tasks/x'],
      ['GET', '/v1/tasks/x/chain'],
      ['GET', '/v1/events'],
      ['PUT', '/v1/secrets/x'],
      ['GET', '/v1/policies'],
      ['POST', '/v1/policies/reload'],
      ['GET', '/v1/tools'],
      ['PUT', '/v1/servers/x/tools'],
      ['POST', '/v1/servers/x/tools/y/approve'],
      ['GET', '/v1/approvals'],
      ['GET', '/v1/approvals/x'],
      ['POST', '/v1/approvals/x/approve'],
      ['POST', '/v1/approvals/x/deny'],
      ['GET', '/v1/owners'],
      ['POST', '/v1/owners/x/tokens'],
    ]
    for (const [method, path] of routes) {
      const res = await t.request(
        method,
        path,
        method === 'GET' ? { admin: false } : { admin: false, body: {} },
      )
      expect([method, path, res.status]).toEqual([method, path, 401])
    }
  })

  it('answers malformed JSON with BAD_REQUEST and registers nothing', async () => {
    const res = await t.request('POST', '/v1/agents', { body: '{"name": "billing",' })
    expect(res.status).toBe(400)
    expect(await codeOf(res)).toBe('BAD_REQUEST')
    expect(((await (await t.request('GET', '/v1/agents')).json()) as { agents: [] }).agents).toEqual([])
  })

  it('names the offending field of an invalid body', async () => {
    const res = await registerAgent(t, 'billing', { owner: 'not-an-email' })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { code: string; message: string }
    expect(body.code).toBe('BAD_REQUEST')
    expect(body.message).toContain('owner')
  })

  it('refuses a body over the size limit with PAYLOAD_TOO_LARGE', async () => {
    const res = await registerAgent(t, 'billing', {
      entitlements: Array.from({ length: 500 }, (_, i) => `tool_${i}`),
    })
    expect(res.status).toBe(413)
    expect(await codeOf(res)).toBe('PAYLOAD_TOO_LARGE')
  })

  it('refuses a registration that reuses a name', async () => {
    expect((await registerAgent(t, 'billing')).status).toBe(201)
    expect(await codeOf(await registerAgent(t, 'billing'))).toBe('AGENT_EXISTS')
  })

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin', async () => {
    const rebound = await t.app.request('http://attacker.example:8700/.well-known/jwks.json')
    expect(rebound.status).toBe(403)
    expect(await codeOf(rebound)).toBe('HOST_NOT_ALLOWED')
    const crossSite = await t.request('GET', '/.well-known/jwks.json', {
      headers: { origin: 'https://evil.example' },
    })
    expect(await codeOf(crossSite)).toBe('HOST_NOT_ALLOWED')
    expect(
      (await t.request('GET', '/.well-known/jwks.json', { headers: { origin: 'https://console.example' } }))
        .status,
    ).toBe(200)
    expect(
      (await t.request('GET', '/.well-known/jwks.json', { headers: { origin: 'http://localhost:8700' } }))
        .status,
    ).toBe(200)
  })

  it('answers an unknown route with NOT_FOUND in the error envelope', async () => {
    const res = await t.request('GET', '/v1/nothing')
    expect(res.status).toBe(404)
    expect(await codeOf(res)).toBe('NOT_FOUND')
  })

  it('serves a SPIFFE bundle whose keys are marked for JWT-SVIDs', async () => {
    const bundle = (await (
      await t.request('GET', '/.well-known/spiffe-bundle', { admin: false })
    ).json()) as {
      keys: Array<{ use: string; kid: string }>
      spiffe_sequence: number
    }
    expect(bundle.keys.length).toBeGreaterThan(0)
    expect(bundle.keys.every((k) => k.use === 'jwt-svid')).toBe(true)
    expect(bundle.spiffe_sequence).toBeGreaterThan(0)
  })
})
