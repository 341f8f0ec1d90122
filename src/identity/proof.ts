import { constants, createHash, KeyObject, type VerifyKeyObjectInput, verify } from 'node:crypto'
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from 'jose'
import { LRUCache } from 'lru-cache'
import { type Clock, epochSeconds, WardenError } from '../kernel/index.js'
import { requireCompactJws } from './jwt-claims.js'
import type { ReplayCache } from './replay-cache.js'

/** Algorithms a proof may use: asymmetric only, so `none` and HMAC never verify (RFC 9449 §4.2). */
export const PROOF_ALGS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] as const
type ProofAlg = (typeof PROOF_ALGS)[number]

/**
 * node:crypto's verify parameters for each proof algorithm, as RFC 7518 §3.1 defines them (jose's own table for
 * WebCrypto, `lib/jws_algorithms.js`): ECDSA signatures are the raw `r || s` pair (§3.4), RSASSA-PSS salts with
 * the hash's length (§3.5), EdDSA hashes nothing itself (RFC 8037 §3.1).
 */
const VERIFY_WITH: Record<ProofAlg, { hash: string | null; options: Omit<VerifyKeyObjectInput, 'key'> }> = {
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { hash: null, options: {} },
  RS256: { hash: 'sha256', options: { padding: constants.RSA_PKCS1_PADDING } },
  PS256: {
    hash: 'sha256',
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
  },
}

/** Imported keys and thumbprints kept at most; the least recently used goes first. */
const MAX_KEYS = 10_000

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

  /**
   * Public keys by algorithm and thumbprint, imported by jose (which refuses a key that does not fit the algorithm:
   * another curve, another key type) and held as node:crypto `KeyObject`s: an instance signs many proofs with one
   * key, and node:crypto verifies on the calling thread, where WebCrypto pays a thread-pool round trip per proof.
   */
  private readonly keys = new LRUCache<string, KeyObject>({ max: MAX_KEYS })
  /** Thumbprints by the JWK's required members (RFC 7638 hashes exactly those), for the same reason. */
  private readonly thumbprints = new LRUCache<string, string>({ max: MAX_KEYS })

  private async thumbprint(jwk: JWK): Promise<string> {
    const members = JSON.stringify([jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e])
    let jkt = this.thumbprints.get(members)
    if (!jkt) {
      jkt = await calculateJwkThumbprint(jwk)
      this.thumbprints.set(members, jkt)
    }
    return jkt
  }

  private async importKey(jkt: string, jwk: JWK, alg: ProofAlg): Promise<KeyObject> {
    const cacheKey = `${alg}:${jkt}`
    let key = this.keys.get(cacheKey)
    if (!key) {
      const imported = await importJWK(jwk, alg)
      if (imported instanceof Uint8Array) throw new TypeError('a proof key must be asymmetric')
      key = imported instanceof KeyObject ? imported : KeyObject.from(imported)
      // jose refuses RSA keys under 2048 bits when it verifies (RFC 7518 §3.3); checked here, once per key.
      const bits = key.asymmetricKeyDetails?.modulusLength
      if (key.asymmetricKeyType?.startsWith('rsa') && (bits === undefined || bits < 2048))
        throw new TypeError(`${alg} requires a key of 2048 bits or more`)
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
    let payload: ReturnType<typeof decodeJwt>
    try {
      // Canonical compact serialization only (RFC 7515 §7.1), then jose decodes the header and the claims set
      // (a JSON object each).
      requireCompactJws(proof, 'the DPoP proof')
      header = decodeProtectedHeader(proof)
      payload = decodeJwt(proof)
    } catch (cause) {
      throw new WardenError('PROOF_INVALID', 'the DPoP proof is malformed', { cause })
    }
    // RFC 9449 §4.3 (4)-(6): typ, an asymmetric alg, and a public jwk without private members.
    if (header.typ !== 'dpop+jwt')
      throw new WardenError('PROOF_INVALID', 'the DPoP proof must have `typ` dpop+jwt')
    const alg = header.alg as ProofAlg
    if (!PROOF_ALGS.includes(alg)) {
      throw new WardenError(
        'PROOF_INVALID',
        `the DPoP proof algorithm \`${String(header.alg)}\` is not allowed`,
      )
    }
    // RFC 7515 §4.1.11: a JWS naming a critical extension the recipient does not support is invalid; a proof
    // needs none (jose refuses the same, and `b64: false` in any JWT).
    if (header.crit !== undefined)
      throw new WardenError('PROOF_INVALID', 'the DPoP proof names a critical extension (`crit`)')
    const jwk = header.jwk
    if (!jwk || typeof jwk !== 'object' || 'd' in jwk || 'k' in jwk) {
      throw new WardenError('PROOF_INVALID', 'the DPoP proof must carry a public `jwk`')
    }
    const skewSeconds = Math.ceil(this.options.clockSkew / 1000)
    let jkt: string
    let key: KeyObject
    try {
      jkt = await this.thumbprint(jwk as JWK)
      key = await this.importKey(jkt, jwk as JWK, alg)
    } catch (cause) {
      throw new WardenError('PROOF_INVALID', 'the DPoP proof `jwk` is not a usable public key', { cause })
    }
    // RFC 7515 §5.2: the signature is over the ASCII of the first two segments and the dot between them.
    const signed = proof.lastIndexOf('.')
    const { hash, options } = VERIFY_WITH[alg]
    let valid = false
    try {
      valid = verify(
        hash,
        Buffer.from(proof.slice(0, signed), 'latin1'),
        { key, ...options },
        Buffer.from(proof.slice(signed + 1), 'base64url'),
      )
    } catch {
      valid = false
    }
    if (!valid) throw new WardenError('PROOF_INVALID', 'the DPoP proof has a signature that does not verify')
    // The claim checks jose's jwtVerify makes with these options (`lib/jwt_claims_set.js`): the required claims
    // present, `iat`, `nbf` and `exp` numbers when present, `nbf` and `exp` against the clock with the skew.
    for (const claim of ['iat', 'jti', 'htm', 'htu'] as const) {
      if (!(claim in payload))
        throw new WardenError('PROOF_INVALID', `the DPoP proof has no \`${claim}\` claim`)
    }
    const now = epochSeconds(this.clock)
    for (const claim of ['iat', 'nbf', 'exp'] as const) {
      if (payload[claim] !== undefined && typeof payload[claim] !== 'number')
        throw new WardenError('PROOF_INVALID', `the DPoP proof \`${claim}\` is not a number`)
    }
    if (payload.nbf !== undefined && payload.nbf > now + skewSeconds)
      throw new WardenError('PROOF_INVALID', 'the DPoP proof is not yet valid (`nbf`)')
    if (payload.exp !== undefined && payload.exp <= now - skewSeconds)
      throw new WardenError('PROOF_INVALID', 'the DPoP proof has expired (`exp`)')
    // The window is symmetric (jose's maxTokenAge would refuse any iat ahead of the clock's skew).
    const iat = payload.iat as number
    const window = skewSeconds + Math.ceil(this.options.maxAge / 1000)
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
