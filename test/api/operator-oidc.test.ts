import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../fakes/identity.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey']

/**
 * An identity provider in the test: a node:http server publishing an OpenID Connect discovery document and a JWKS
 * made by jose; tokens are signed with its private key. Warden verifies them as it would any issuer's.
 */
describe('operators signed in by an identity provider (OIDC)', () => {
  let idp: Server
  let issuer: string
  let key: SigningKey
  let stranger: SigningKey
  let t: TestWarden

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256')
    key = pair.privateKey
    stranger = (await generateKeyPair('ES256')).privateKey
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' }
    idp = createServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      if (req.url === '/.well-known/openid-configuration')
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }))
      else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }))
      else {
        res.statusCode = 404
        res.end('{}')
      }
    })
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve))
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`
    t = await startTestWarden({
      policy: { watch: false },
      operators: {
        oidc: {
          issuer,
          audience: 'warden',
          roleClaim: 'groups',
          roles: { 'sec-approvers': 'approver', 'sec-policy': 'policy' },
          nameClaim: 'email',
        },
      },
    })
  })
  afterAll(async () => {
    await t?.dispose()
    idp?.close()
  })

  /** A token from the identity provider, valid for an hour of Warden's (fake) clock unless told otherwise. */
  const token = (
    claims: Record<string, unknown>,
    options: { signer?: SigningKey; audience?: string; expiresInS?: number } = {},
  ) => {
    const now = Math.floor(t.clock.now() / 1000)
    return new SignJWT({ email: 'alice@example.com', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setIssuer(issuer)
      .setSubject('alice')
      .setAudience(options.audience ?? 'warden')
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresInS ?? 3600))
      .sign(options.signer ?? key)
  }
  const as = async (jwt: string | Promise<string>) => ({
    headers: { authorization: `Bearer ${await jwt}` },
    admin: false,
  })

  it('signs in an operator whose group maps to a role, and holds them to that role', async () => {
    const approver = await as(token({ groups: ['staff', 'sec-approvers'] }))
    const me = await t.request('GET', '/v1/operators/me', approver)
    expect(me.status).toBe(200)
    expect(await me.json()).toEqual({ name: 'oidc:alice@example.com', roles: ['approver'], source: 'oidc' })
    expect((await t.request('GET', '/v1/agents', approver)).status).toBe(200)
    const reload = await t.request('POST', '/v1/policies/reload', approver)
    expect(reload.status).toBe(403)
    expect(await codeOf(reload)).toBe('FORBIDDEN')
  })

  it('records the identity-provider name of an operator who acts', async () => {
    const policy = await as(token({ groups: 'sec-policy' }))
    expect((await t.request('POST', '/v1/policies/reload', policy)).status).toBe(200)
    const { events } = (await (await t.request('GET', '/v1/events?kind=policy.reload')).json()) as {
      events: Array<{ body: Record<string, unknown> }>
    }
    expect(events.at(-1)?.body).toMatchObject({ operator: 'oidc:alice@example.com' })
  })

  it('refuses a token with no mapped group, for another audience, expired, or signed by a key the issuer does not publish', async () => {
    const refused = [
      await token({ groups: ['staff'] }),
      await token({ groups: ['constructor'] }),
      await token({ groups: ['sec-approvers'] }, { audience: 'someone-else' }),
      await token({ groups: ['sec-approvers'] }, { expiresInS: -60 }),
      await token({ groups: ['sec-approvers'] }, { signer: stranger }),
    ]
    for (const jwt of refused) {
      const res = await t.request('GET', '/v1/agents', await as(jwt))
      expect(res.status).toBe(401)
      expect(await codeOf(res)).toBe('UNAUTHENTICATED')
    }
  })

  it('refuses the token once it expires, though it was accepted before', async () => {
    const jwt = await token({ groups: ['sec-approvers'] }, { expiresInS: 300 })
    expect((await t.request('GET', '/v1/agents', await as(jwt))).status).toBe(200)
    t.clock.advance('6m')
    expect((await t.request('GET', '/v1/agents', await as(jwt))).status).toBe(401)
  })

  it('signs in to the console with the same token, which then offers only the role’s actions', async () => {
    const jwt = await token({ groups: ['sec-approvers'] })
    const signIn = await t.app.request(`${BASE}/console/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
      body: new URLSearchParams({ token: jwt }).toString(),
    })
    expect(signIn.status).toBe(303)
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string
    const page = await t.app.request(`${BASE}/console/tools`, { headers: { cookie } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('oidc:alice@example.com (approver)')
  })
})
