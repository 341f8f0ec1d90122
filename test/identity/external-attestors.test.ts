import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ConfigInput } from '../../src/config/index.js'
import { attest, codeOf, registerAgent } from '../fakes/identity.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

const K8S = 'https://kubernetes.default.svc'
const SA = 'system:serviceaccount:payments:billing-worker'

interface IssuerKey {
  privateKey: CryptoKey
  publicKey: CryptoKey
  jwk: JWK
}

async function issuerKey(alg: 'RS256' | 'ES256', kid: string, use?: string): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, ...(use ? { use } : {}) }
  return { privateKey: privateKey as CryptoKey, publicKey: publicKey as CryptoKey, jwk }
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

describe('attestation by OIDC / JWT', () => {
  let dir: string
  let key: IssuerKey
  let t: TestWarden
  let jwksServer: Server
  let jwksUrl: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-oidc-'))
    key = await issuerKey('RS256', 'k1')
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [key.jwk] }))
    jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys: [key.jwk] }))
    })
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`
  })
  afterAll(() => {
    jwksServer.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const config = (): ConfigInput => ({
    identity: {
      oidc: [
        {
          name: 'k8s',
          issuer: K8S,
          jwks: { file: join(dir, 'jwks.json') },
          audience: 'warden',
          digestClaim: 'image_digest',
          rules: [{ claims: { sub: 'system:serviceaccount:payments:billing-*' }, agent: 'billing' }],
        },
        {
          name: 'ci',
          issuer: 'https://ci.example',
          jwks: { url: jwksUrl },
          audience: 'warden',
          rules: [{ claims: { repository: 'acme/reporter', ref: 'refs/heads/main' }, agent: 'reporter' }],
        },
      ],
    },
  })

  beforeEach(async () => {
    t = await startTestWarden(config())
    await registerAgent(t, 'billing', { codeDigest: `sha256:${'cd'.repeat(32)}` })
    await registerAgent(t, 'reporter')
  })
  afterEach(() => t.dispose())

  const mint = (
    claims: Record<string, unknown> = {},
    options: { key?: IssuerKey; kid?: string; iat?: number } = {},
  ) => {
    const signer = options.key ?? key
    const now = options.iat ?? Math.floor(t.clock.now() / 1000)
    return new SignJWT({ image_digest: `sha256:${'cd'.repeat(32)}`, ...claims })
      .setProtectedHeader({ alg: signer.jwk.alg as string, kid: options.kid ?? (signer.jwk.kid as string) })
      .setIssuer((claims.iss as string) ?? K8S)
      .setSubject((claims.sub as string) ?? SA)
      .setAudience((claims.aud as string) ?? 'warden')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(signer.privateKey)
  }

  it('maps a Kubernetes service-account token to its agent by claim rules, with the image digest checked', async () => {
    const { res } = await attest(t, { method: 'oidc', token: await mint() })
    expect(res.status).toBe(201)
    const body = (await res.json()) as { spiffeId: string; instanceId: string }
    expect(body.spiffeId).toMatch(/^spiffe:\/\/warden\.local\/agent\/billing\//)
    const instance = (await (await t.request('GET', `/v1/instances/${body.instanceId}`)).json()) as {
      subject: string
    }
    expect(instance.subject).toBe(`${K8S}#${SA}`)
  })

  it('maps a CI token verified against a JWKS URL', async () => {
    const token = await mint({
      iss: 'https://ci.example',
      sub: 'repo:acme/reporter',
      repository: 'acme/reporter',
      ref: 'refs/heads/main',
    })
    const { res } = await attest(t, { method: 'oidc', token })
    expect(res.status, await res.clone().text()).toBe(201)
  })

  it('refuses a token whose image digest differs from the registered one', async () => {
    const { res } = await attest(t, { method: 'oidc', token: await mint({ image_digest: 'sha256:00' }) })
    expect(await codeOf(res)).toBe('ATTESTATION_DIGEST_MISMATCH')
  })

  it('refuses attacks and bad tokens with their codes', async () => {
    const now = Math.floor(t.clock.now() / 1000)
    const other = await issuerKey('RS256', 'k2')
    const sameKid = await issuerKey('RS256', 'k1')
    const pem = await exportSPKI(key.publicKey)
    const cases: Array<[string, Promise<string> | string, string]> = [
      [
        'alg none',
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: K8S, sub: SA, aud: 'warden', exp: now + 600 })}.`,
        'TOKEN_ALG_NOT_ALLOWED',
      ],
      [
        'HS256 signed with the public key',
        new SignJWT({ sub: SA })
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .setIssuer(K8S)
          .setAudience('warden')
          .setExpirationTime(now + 600)
          .sign(new TextEncoder().encode(pem)),
        'TOKEN_ALG_NOT_ALLOWED',
      ],
      ['unknown kid', mint({}, { key: other }), 'TOKEN_KEY_UNKNOWN'],
      ['known kid, another key', mint({}, { key: sameKid }), 'TOKEN_INVALID'],
      ['expired', mint({}, { iat: now - 3600 }), 'TOKEN_EXPIRED'],
      ['not yet valid', mint({ nbf: now + 3600 }), 'TOKEN_NOT_YET_VALID'],
      ['unconfigured issuer', mint({ iss: 'https://evil.example' }), 'TOKEN_ISSUER_MISMATCH'],
      ['wrong audience', mint({ aud: 'someone-else' }), 'TOKEN_AUDIENCE_MISMATCH'],
      ['no rule matches', mint({ sub: 'system:serviceaccount:payments:other' }), 'ATTESTATION_NO_MATCH'],
      ['garbage', 'a.b.c', 'TOKEN_INVALID'],
    ]
    for (const [note, token, code] of cases) {
      const { res } = await attest(t, { method: 'oidc', token: await token })
      expect([note, await codeOf(res)]).toEqual([note, code])
    }
  })

  it('refuses a method that is not configured', async () => {
    const { res } = await attest(t, { method: 'spiffe_jwt', token: await mint() })
    expect(await codeOf(res)).toBe('ATTESTATION_METHOD_UNSUPPORTED')
  })
})

describe('attestation by a JWT-SVID from a federated trust domain', () => {
  let dir: string
  let t: TestWarden
  let partner: IssuerKey
  const bundleFile = () => join(dir, 'partner.bundle.json')

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-fed-'))
    partner = await issuerKey('ES256', 'p1', 'jwt-svid')
    const x509Only = await issuerKey('ES256', 'x1', 'x509-svid')
    writeFileSync(bundleFile(), JSON.stringify({ keys: [partner.jwk, x509Only.jwk], spiffe_sequence: 1 }))
    t = await startTestWarden({
      identity: {
        federation: [
          {
            trustDomain: 'partner.example',
            bundle: { file: bundleFile() },
            audience: 'spiffe://warden.local',
            rules: [{ id: 'spiffe://partner.example/ns/prod/sa/*', agent: 'billing' }],
          },
        ],
      },
    })
    await registerAgent(t, 'billing')
  })
  afterEach(async () => {
    await t.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  const svid = (sub: string, signer = partner, kid = signer.jwk.kid as string) => {
    const now = Math.floor(t.clock.now() / 1000)
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(sub)
      .setAudience('spiffe://warden.local')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(signer.privateKey)
  }

  it('maps a partner workload to an agent by SPIFFE ID rules', async () => {
    const { res } = await attest(t, {
      method: 'spiffe_jwt',
      token: await svid('spiffe://partner.example/ns/prod/sa/billing'),
    })
    expect(res.status, await res.clone().text()).toBe(201)
  })

  it('refuses an unfederated trust domain, an unmapped ID and a key not meant for JWT-SVIDs', async () => {
    const x509 = await issuerKey('ES256', 'x1')
    const cases: Array<[string, Promise<string>, string]> = [
      ['other domain', svid('spiffe://evil.example/ns/prod/sa/billing'), 'TOKEN_ISSUER_MISMATCH'],
      ['unmapped id', svid('spiffe://partner.example/ns/dev/sa/billing'), 'ATTESTATION_NO_MATCH'],
      ['x509-svid key', svid('spiffe://partner.example/ns/prod/sa/billing', x509, 'x1'), 'TOKEN_KEY_UNKNOWN'],
    ]
    for (const [note, token, code] of cases) {
      const { res } = await attest(t, { method: 'spiffe_jwt', token: await token })
      expect([note, await codeOf(res)]).toEqual([note, code])
    }
  })

  it('picks up a rotated bundle without a restart', async () => {
    const next = await issuerKey('ES256', 'p2', 'jwt-svid')
    writeFileSync(bundleFile(), JSON.stringify({ keys: [next.jwk], spiffe_sequence: 2 }))
    const later = new Date(Date.now() + 5000)
    utimesSync(bundleFile(), later, later)
    const ok = await attest(t, {
      method: 'spiffe_jwt',
      token: await svid('spiffe://partner.example/ns/prod/sa/a', next),
    })
    expect(ok.res.status).toBe(201)
    const old = await attest(t, {
      method: 'spiffe_jwt',
      token: await svid('spiffe://partner.example/ns/prod/sa/b'),
    })
    expect(await codeOf(old.res)).toBe('TOKEN_KEY_UNKNOWN')
  })
})
