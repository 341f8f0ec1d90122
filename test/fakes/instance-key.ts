import { createHash, randomUUID } from 'node:crypto'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { type Clock, epochSeconds, systemClock } from '../../src/kernel/index.js'

/** An agent instance's key pair, able to sign DPoP proofs (RFC 9449) the way a real agent SDK would. */
export class InstanceKey {
  private constructor(
    readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly alg: 'ES256' | 'EdDSA',
    private readonly clock: Clock,
  ) {}

  static async generate(options: { alg?: 'ES256' | 'EdDSA'; clock?: Clock } = {}): Promise<InstanceKey> {
    const alg = options.alg ?? 'ES256'
    const { privateKey, publicKey } = await generateKeyPair(alg)
    return new InstanceKey(
      privateKey as CryptoKey,
      await exportJWK(publicKey),
      alg,
      options.clock ?? systemClock,
    )
  }

  /** A DPoP proof for `method url`, optionally bound to an access token (`ath`). */
  async proof(
    method: string,
    url: string,
    options: { accessToken?: string; iat?: number; jti?: string; typ?: string; jwk?: JWK } = {},
  ): Promise<string> {
    const claims: Record<string, unknown> = { htm: method, htu: url, jti: options.jti ?? randomUUID() }
    if (options.accessToken) claims.ath = createHash('sha256').update(options.accessToken).digest('base64url')
    return new SignJWT(claims)
      .setProtectedHeader({
        alg: this.alg,
        typ: options.typ ?? 'dpop+jwt',
        jwk: options.jwk ?? this.publicJwk,
      })
      .setIssuedAt(options.iat ?? epochSeconds(this.clock))
      .sign(this.privateKey)
  }
}
