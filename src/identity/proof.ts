import { createHash } from 'node:crypto'
import {
  type CryptoKey,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  jwtVerify,
} from 'jose'
import { type Clock, epochSeconds, WardenError } from '../kernel/index.js'
import { fromJoseError } from './jose-errors.js'
import type { ReplayCache } from './replay-cache.js'

/** Algorithms a proof may use: asymmetric only, so `none` and HMAC never verify (RFC 9449 §4.2). */
export const PROOF_ALGS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] as const

/** What a proof must match. */
export interface ProofExpectation {
  /** The HTTP method of the request (`htm`). */
  method: string
  /** The request URL; query and fragment are ignored (`htu`, RFC 9449 §4.3). */
  url: string
  /**
   * When the proof accompanies an access token: that token, whose hash must be `ath`. The token is key-bound, so
   * `scheme` must then be `DPoP` (RFC 9449 §7.1: a bound token is never a bearer token).
   */
  accessToken?: string
  /** The `Authorization` scheme the access token came under. */
  scheme?: string | undefined
  /** When the credential is bound to a key: its thumbprint (`cnf.jkt`). */
  jkt?: string
}

/** A verified proof: the key that signed it. */
export interface VerifiedProof {
  jkt: string
  jwk: JWK
}

export interface ProofVerifierOptions {
  /**
   * How far a proof's `iat` may be from now, either way (RFC 9449 §11.1 leaves the window to the server; ±60 s
   * is the common one: node-oidc-provider, the MCP conformance suite). `jti`s are kept that long.
   */
  maxAge: number
  clockSkew: number
}

/** Verifies DPoP proofs (RFC 9449) of possession of an instance's key, with a durable `jti` replay cache. */
export class ProofVerifier {
  constructor(
    private readonly clock: Clock,
    private readonly replay: ReplayCache,
    private readonly options: ProofVerifierOptions,
  ) {}

  /** Imported public keys by thumbprint and algorithm: an instance signs many proofs with one key. */
  private readonly keys = new Map<string, CryptoKey>()
  /** Thumbprints by the JWK's required members (RFC 7638 hashes exactly those), for the same reason. */
  private readonly thumbprints = new Map<string, string>()

  private async thumbprint(jwk: JWK): Promise<string> {
    const members = JSON.stringify([jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e])
    let jkt = this.thumbprints.get(members)
    if (!jkt) {
      jkt = await calculateJwkThumbprint(jwk)
      if (this.thumbprints.size >= 10_000)
        this.thumbprints.delete(this.thumbprints.keys().next().value as string)
      this.thumbprints.set(members, jkt)
    }
    return jkt
  }

  private async importKey(jkt: string, jwk: JWK, alg: string): Promise<CryptoKey> {
    const cacheKey = `${alg}:${jkt}`
    let key = this.keys.get(cacheKey)
    if (!key) {
      key = (await importJWK(jwk, alg)) as CryptoKey
      if (this.keys.size >= 10_000) this.keys.delete(this.keys.keys().next().value as string)
      this.keys.set(cacheKey, key)
    }
    return key
  }

  /** Verifies `proof` against `expected`; throws `PROOF_*` codes. */
  async verify(proof: string | undefined, expected: ProofExpectation): Promise<VerifiedProof> {
    if (expected.accessToken !== undefined && expected.scheme?.toLowerCase() !== 'dpop') {
      throw new WardenError(
        'TOKEN_INVALID',
        'a key-bound token must be presented as `Authorization: DPoP <token>`',
      )
    }
    if (!proof) throw new WardenError('PROOF_MISSING', 'a DPoP proof is required')
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(proof)
    } catch (cause) {
      throw new WardenError('PROOF_INVALID', 'the DPoP proof is malformed', { cause })
    }
    // RFC 9449 §4.3 (4)-(6): typ, an asymmetric alg, and a public jwk without private members.
    if (header.typ !== 'dpop+jwt')
      throw new WardenError('PROOF_INVALID', 'the DPoP proof must have `typ` dpop+jwt')
    if (!PROOF_ALGS.includes(header.alg as (typeof PROOF_ALGS)[number])) {
      throw new WardenError(
        'PROOF_INVALID',
        `the DPoP proof algorithm \`${String(header.alg)}\` is not allowed`,
      )
    }
    const jwk = header.jwk
    if (!jwk || typeof jwk !== 'object' || 'd' in jwk || 'k' in jwk) {
      throw new WardenError('PROOF_INVALID', 'the DPoP proof must carry a public `jwk`')
    }
    const skewSeconds = Math.ceil(this.options.clockSkew / 1000)
    let jkt: string
    let key: CryptoKey
    try {
      jkt = await this.thumbprint(jwk as JWK)
      key = await this.importKey(jkt, jwk as JWK, header.alg as string)
    } catch (cause) {
      throw new WardenError('PROOF_INVALID', 'the DPoP proof `jwk` is not a usable public key', { cause })
    }
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(proof, key, {
        typ: 'dpop+jwt',
        algorithms: [...PROOF_ALGS],
        currentDate: new Date(this.clock.now()),
        clockTolerance: skewSeconds,
        requiredClaims: ['iat', 'jti', 'htm', 'htu'],
      }))
    } catch (cause) {
      const mapped = fromJoseError(cause, 'the DPoP proof')
      throw new WardenError('PROOF_INVALID', mapped.message, { cause })
    }
    // The window is symmetric (jose's maxTokenAge would refuse any iat ahead of the clock's skew).
    const iat = payload.iat as number
    const window = skewSeconds + Math.ceil(this.options.maxAge / 1000)
    const now = epochSeconds(this.clock)
    if (!Number.isFinite(iat) || iat > now + window) {
      throw new WardenError('PROOF_INVALID', 'the DPoP proof is issued in the future')
    }
    if (iat < now - window) throw new WardenError('PROOF_INVALID', 'the DPoP proof is too old (`iat`)')
    if (payload.htm !== expected.method.toUpperCase()) {
      throw new WardenError('PROOF_INVALID', `the DPoP proof is for method \`${String(payload.htm)}\``)
    }
    if (typeof payload.htu !== 'string' || normalizeHtu(payload.htu) !== normalizeHtu(expected.url)) {
      throw new WardenError('PROOF_INVALID', 'the DPoP proof is for another URL')
    }
    if (expected.accessToken !== undefined) {
      const ath = createHash('sha256').update(expected.accessToken).digest('base64url')
      if (payload.ath !== ath)
        throw new WardenError('PROOF_INVALID', 'the DPoP proof is for another token (`ath`)')
    }
    const jti = payload.jti
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) {
      throw new WardenError('PROOF_INVALID', 'the DPoP proof `jti` is missing or too long')
    }
    if (expected.jkt !== undefined && jkt !== expected.jkt) {
      throw new WardenError(
        'PROOF_KEY_MISMATCH',
        'the DPoP proof is signed by a key other than the bound one',
      )
    }
    // Replay check last, so a proof that fails any other check does not burn its jti. It is accepted until
    // iat + maxAge + skew, so its jti is kept that long.
    const expiresAt = (iat + skewSeconds) * 1000 + this.options.maxAge
    if (!(await this.replay.claim(`${jkt}:${jti}`, expiresAt))) {
      throw new WardenError('PROOF_REPLAYED', 'the DPoP proof was already used')
    }
    return { jkt, jwk: jwk as JWK }
  }
}

/** RFC 9449 §4.3 (9): compare `htu` without query and fragment, with scheme and host normalised. */
function normalizeHtu(value: string): string {
  try {
    const url = new URL(value)
    return `${url.protocol}//${url.host}${url.pathname}`
  } catch {
    return `invalid:${value}`
  }
}
