import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProofVerifier, ReplayCache } from '../../src/identity/index.js'
import { epochSeconds } from '../../src/kernel/index.js'
import { migrate, SqliteStore } from '../../src/store/index.js'
import { b64 } from '../fakes/attack.js'
import { FakeClock } from '../fakes/clock.js'

// The DPoP proof checks (RFC 9449 §4.3) of ProofVerifier on its own, over a real SQLite replay cache: each refusal
// beside a proof that differs only in what is checked and is accepted.

const URL_ = 'https://warden.example/v1/authorize'
const TOKEN = 'header.payload.signature'
const ath = (token: string) => createHash('sha256').update(token).digest('base64url')

type Alg = 'ES256' | 'ES384' | 'EdDSA' | 'RS256' | 'PS256'
interface Signer {
  alg: Alg
  privateKey: CryptoKey
  jwk: JWK
}
async function signer(alg: Alg): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg)
  return { alg, privateKey: privateKey as CryptoKey, jwk: await exportJWK(publicKey) }
}

/** Signs exactly `header` and `claims` with a node:crypto key (for what jose refuses to sign). */
function signRaw(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: KeyObject,
  hash: string,
): string {
  const input = `${b64(header)}.${b64(claims)}`
  const signature = sign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

/** Flips one character in the middle of the signature. */
function tamper(proof: string): string {
  const at = proof.lastIndexOf('.') + 10
  return `${proof.slice(0, at)}${proof[at] === 'A' ? 'B' : 'A'}${proof.slice(at + 1)}`
}

describe('ProofVerifier', () => {
  const clock = new FakeClock()
  let dir: string
  let store: SqliteStore
  let verifier: ProofVerifier
  let es256: Signer

  const claims = (extra: Record<string, unknown> = {}) => ({
    htm: 'POST',
    htu: URL_,
    jti: randomUUID(),
    iat: epochSeconds(clock),
    ath: ath(TOKEN),
    ...extra,
  })
  const proof = (extra: Record<string, unknown> = {}, by: Signer = es256, header = {}) =>
    new SignJWT(claims(extra))
      .setProtectedHeader({ alg: by.alg, typ: 'dpop+jwt', jwk: by.jwk, ...header })
      .sign(by.privateKey)
  const check = (value: string, expected: { method?: string; url?: string; accessToken?: string } = {}) =>
    verifier.verify(value, {
      method: expected.method ?? 'POST',
      url: expected.url ?? URL_,
      accessToken: expected.accessToken ?? TOKEN,
      scheme: 'DPoP',
    })
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: { code?: string }) => error.code,
    )

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-proof-'))
    store = new SqliteStore(join(dir, 'warden.db'))
    await migrate(store, clock.now())
    verifier = new ProofVerifier(clock, new ReplayCache(store, clock), { maxAge: 60_000, clockSkew: 5_000 })
    es256 = await signer('ES256')
  })
  afterAll(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('accepts a proof once and refuses it replayed', async () => {
    const once = await proof()
    expect(await codeOf(check(once))).toBe('accepted')
    expect(await codeOf(check(once))).toBe('PROOF_REPLAYED')
    expect(await codeOf(check(await proof()))).toBe('accepted')
  })

  it('refuses only the replay among proofs checked together', async () => {
    const [a, b, c] = await Promise.all([proof(), proof(), proof()])
    const outcomes = await Promise.all([a, b, a, c, b].map((p) => codeOf(check(p as string))))
    expect(outcomes).toEqual(['accepted', 'accepted', 'PROOF_REPLAYED', 'accepted', 'PROOF_REPLAYED'])
  })

  it('refuses another token (`ath`), method (`htm`) or URL (`htu`), and accepts the matching ones', async () => {
    expect(await codeOf(check(await proof({ ath: ath('another.token.here') })))).toBe('PROOF_INVALID')
    expect(await codeOf(check(await proof({ ath: undefined })))).toBe('PROOF_INVALID')
    expect(await codeOf(check(await proof({ htm: 'GET' })))).toBe('PROOF_INVALID')
    expect(await codeOf(check(await proof({ htu: 'https://warden.example/v1/tasks' })))).toBe('PROOF_INVALID')
    expect(await codeOf(check(await proof({ htu: 'https://other.example/v1/authorize' })))).toBe(
      'PROOF_INVALID',
    )
    // Controls: the same proofs for the request they name.
    const other = 'another.token.here'
    expect(await codeOf(check(await proof({ ath: ath(other) }), { accessToken: other }))).toBe('accepted')
    expect(await codeOf(check(await proof({ htm: 'GET' }), { method: 'get' }))).toBe('accepted')
    expect(await codeOf(check(await proof({ htu: `${URL_}?q=1#f` })))).toBe('accepted')
  })

  it('refuses an `iat` outside the window and accepts one inside it', async () => {
    const now = epochSeconds(clock)
    for (const iat of [now + 120, now - 120])
      expect(await codeOf(check(await proof({ iat }))), `iat ${iat - now}`).toBe('PROOF_INVALID')
    for (const iat of [now + 60, now - 60])
      expect(await codeOf(check(await proof({ iat }))), `iat ${iat - now}`).toBe('accepted')
  })

  it('keeps the claim checks a JWT verifier makes: required claims, `exp`, `nbf`, and no `crit`', async () => {
    const now = epochSeconds(clock)
    for (const missing of ['jti', 'htm', 'htu', 'iat'])
      expect(await codeOf(check(await proof({ [missing]: undefined }))), missing).toBe('PROOF_INVALID')
    expect(await codeOf(check(await proof({ iat: String(now) })))).toBe('PROOF_INVALID')
    expect(await codeOf(check(await proof({ exp: now - 10 })))).toBe('PROOF_INVALID')
    expect(await codeOf(check(await proof({ nbf: now + 10 })))).toBe('PROOF_INVALID')
    expect(await codeOf(check(await proof({ exp: String(now + 30) })))).toBe('PROOF_INVALID')
    // jose will not sign a `crit` it does not know: signed with node:crypto.
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const header = { alg: 'ES256', typ: 'dpop+jwt', jwk: publicKey.export({ format: 'jwk' }) }
    const critical = { ...header, crit: ['urn:example:ext'], 'urn:example:ext': true }
    expect(await codeOf(check(signRaw(critical, claims(), privateKey, 'sha256')))).toBe('PROOF_INVALID')
    // Controls: `exp` and `nbf` that hold now, and an extra header member that is not claimed critical.
    expect(await codeOf(check(await proof({ exp: now + 30, nbf: now - 10 })))).toBe('accepted')
    const extra = { ...header, 'urn:example:ext': true }
    expect(await codeOf(check(signRaw(extra, claims(), privateKey, 'sha256')))).toBe('accepted')
  })

  it.each(['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] as const)(
    'verifies an %s proof and refuses it with a tampered signature',
    async (alg) => {
      const key = await signer(alg)
      const good = await proof({}, key)
      expect(await codeOf(check(tamper(await proof({}, key))))).toBe('PROOF_INVALID')
      expect(await codeOf(check(good))).toBe('accepted')
      expect(await codeOf(check(tamper(await proof({}, key))))).toBe('PROOF_INVALID')
    },
  )

  it('refuses a proof signed by a key other than its `jwk`, and one whose key does not fit its `alg`', async () => {
    const other = await signer('ES256')
    expect(await codeOf(check(await proof({}, es256, { jwk: other.jwk })))).toBe('PROOF_INVALID')
    // A P-384 key under ES256 (P-256), and a 1024-bit RSA key (RFC 7518 §3.3 asks for 2048 or more).
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const wrongCurve = signRaw(
      { alg: 'ES256', typ: 'dpop+jwt', jwk: p384.publicKey.export({ format: 'jwk' }) },
      claims(),
      p384.privateKey,
      'sha256',
    )
    expect(await codeOf(check(wrongCurve))).toBe('PROOF_INVALID')
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const weak = signRaw(
      { alg: 'RS256', typ: 'dpop+jwt', jwk: rsa.publicKey.export({ format: 'jwk' }) },
      claims(),
      rsa.privateKey,
      'sha256',
    )
    expect(await codeOf(check(weak))).toBe('PROOF_INVALID')
    // Control: the same construction with a P-256 key is a valid ES256 proof.
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const right = signRaw(
      { alg: 'ES256', typ: 'dpop+jwt', jwk: p256.publicKey.export({ format: 'jwk' }) },
      claims(),
      p256.privateKey,
      'sha256',
    )
    expect(await codeOf(check(right))).toBe('accepted')
  })

  it('refuses a proof that is not a canonical compact JWS', async () => {
    const good = await proof()
    const [h, p, s] = good.split('.')
    for (const bad of [`${h}.${p}.${s}=`, `${h}.${p}`, `${h}.${p}.${s}.x`, ` ${good}`, `${h}.${p}.`])
      expect(await codeOf(check(bad)), bad.slice(-8)).toBe('PROOF_INVALID')
    expect(await codeOf(check(good))).toBe('accepted')
  })
})
