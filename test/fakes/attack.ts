import { createHash, randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { expect } from 'vitest'
import { epochSeconds } from '../../src/kernel/index.js'
import type { InstanceKey } from './instance-key.js'
import { BASE, type TestWarden } from './warden.js'

/** base64url of a JSON value, or of raw text when given a string. */
export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

/** The decoded header and payload of a compact JWS, as sent. */
export function parts(token: string): {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  sig: string
} {
  const [h, p, s] = token.split('.')
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>,
    sig: s ?? '',
  }
}

/** An attacker's key and a helper to sign arbitrary header and payload bytes with it (ES256). */
export interface SigningKey {
  privateKey: CryptoKey
  jwk: JWK
  kid: string
  /** Signs exactly these header and payload texts (so duplicate members survive). */
  signRaw(headerText: string, payloadText: string): Promise<string>
  sign(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>
}

export async function signingKey(kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256' }
  const signRaw = async (headerText: string, payloadText: string) => {
    const input = `${b64(headerText)}.${b64(payloadText)}`
    const signature = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      privateKey as CryptoKey,
      Buffer.from(input),
    )
    return `${input}.${Buffer.from(signature).toString('base64url')}`
  }
  return {
    privateKey: privateKey as CryptoKey,
    jwk,
    kid,
    signRaw,
    sign: (header, payload) =>
      signRaw(JSON.stringify({ alg: 'ES256', kid, ...header }), JSON.stringify(payload)),
  }
}

/** The federated test trust domain `spiffe://test.example`, whose key (K_fed) the test holds. */
export interface Federation {
  key: SigningKey
  bundleFile: string
  /** A valid JWT-SVID of `sub` for Warden's federation audience, with `claims` overriding. */
  svid(sub?: string, claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>
}

export const FED_AUDIENCE = 'warden-test'

export async function federation(now: () => number): Promise<Federation> {
  const key = await signingKey('kfed-1')
  const dir = mkdtempSync(join(tmpdir(), 'warden-fed-'))
  const bundleFile = join(dir, 'bundle.json')
  writeFileSync(bundleFile, JSON.stringify({ keys: [{ ...key.jwk, use: 'jwt-svid' }] }))
  return {
    key,
    bundleFile,
    svid: (sub = 'spiffe://test.example/workload/probe', claims = {}, header = {}) => {
      const iat = Math.floor(now() / 1000)
      return key.sign(
        { typ: 'JWT', ...header },
        { sub, aud: FED_AUDIENCE, iat, exp: iat + 300, jti: randomUUID(), ...claims },
      )
    },
  }
}

/** Config for a Warden that trusts the federation (ID-04 to ID-07). */
export function federationConfig(fed: Federation) {
  return {
    trustDomain: 'warden.local',
    bundle: { file: fed.bundleFile },
    audience: FED_AUDIENCE,
    issuer: undefined as string | undefined,
    rules: [{ id: 'spiffe://test.example/workload/*', agent: 'fed-agent' }],
  }
}

/** Attests with a federated JWT-SVID and a fresh instance key. */
export async function attestFederated(t: TestWarden, key: InstanceKey, svid: string): Promise<Response> {
  return t.request('POST', '/v1/attest', {
    body: { method: 'spiffe_jwt', token: svid, publicKey: key.publicJwk },
    headers: { dpop: await key.proof('POST', `${BASE}/v1/attest`) },
    admin: false,
  })
}

/**
 * "401-chal" (the catalogue's rule 2): HTTP 401 with a `WWW-Authenticate` of the DPoP or Bearer scheme and an
 * `error=` parameter. Returns the challenge.
 */
export async function expect401Challenge(res: Response, label = ''): Promise<string> {
  const text = await res.clone().text()
  expect(res.status, `${label} ${text}`).toBe(401)
  const challenge = res.headers.get('www-authenticate') ?? ''
  expect(challenge, label).toMatch(/^(DPoP|Bearer)\b.*error="[a-z_]+"/)
  return challenge
}

/** A DPoP proof with arbitrary header and claims, signed by `key` (for malformed-proof probes). */
export async function rawProof(
  key: InstanceKey,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk, ...header } as never)
    .sign(key.privateKey)
}

/** The claims of a normal proof for `method url` bound to `token`, at `now`. */
export function proofClaims(method: string, url: string, token: string | undefined, now: number) {
  return {
    htm: method,
    htu: url,
    jti: randomUUID(),
    iat: epochSeconds({ now: () => now }),
    ...(token ? { ath: createHash('sha256').update(token).digest('base64url') } : {}),
  }
}
