import { createRemoteJWKSet, decodeJwt, type JWTVerifyGetKey, jwtVerify } from 'jose'
import type { OperatorOidcConfig, OperatorRole } from '../config/index.js'
import type { Clock, Logger } from '../kernel/index.js'
import type { Operator } from './operators.js'

/** Asymmetric algorithms only: an HMAC-signed token would be verifiable with a key the IdP publishes. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']

/**
 * Operators signed in by the team's identity provider: a bearer JWT verified with jose against the issuer's
 * JWKS (found by OpenID Connect Discovery 1.0 §4), its role read from a claim through the configured mapping.
 */
export class OidcOperators {
  private keys: Promise<JWTVerifyGetKey> | undefined

  constructor(
    private readonly config: OperatorOidcConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** The issuer's key set, from its discovery document; a failed discovery is tried again on the next token. */
  private keySet(): Promise<JWTVerifyGetKey> {
    this.keys ??= (async () => {
      const url = `${this.config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) })
      if (!response.ok) throw new Error(`discovery answered ${response.status}`)
      const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown }
      // OpenID Connect Discovery 1.0 §4.3: the document's issuer MUST be identical to the issuer asked.
      if (document.issuer !== this.config.issuer) throw new Error('discovery names another issuer')
      if (typeof document.jwks_uri !== 'string') throw new Error('discovery names no `jwks_uri`')
      return createRemoteJWKSet(new URL(document.jwks_uri))
    })()
    this.keys.catch((error: unknown) => {
      this.keys = undefined
      this.logger.warn('operator sign-in: the issuer cannot be discovered', { error: String(error) })
    })
    return this.keys
  }

  /** The operator a bearer JWT signs in, or undefined when it is not a valid token of this issuer with a role. */
  async verify(token: string): Promise<Operator | undefined> {
    let issuer: unknown
    try {
      issuer = decodeJwt(token).iss
    } catch {
      return undefined
    }
    // Only skips tokens of other issuers (task tokens, SVIDs) without a fetch; nothing is trusted before jwtVerify.
    if (issuer !== this.config.issuer) return undefined
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, await this.keySet(), {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: ALGORITHMS,
        currentDate: new Date(this.clock.now()),
        requiredClaims: ['exp'],
      }))
    } catch {
      return undefined
    }
    const claim = payload[this.config.roleClaim]
    const values = Array.isArray(claim) ? claim : [claim]
    const roles = [
      ...new Set(
        values
          // Own keys only: a claim value `constructor` must not find Object.prototype's.
          .filter(
            (value): value is string => typeof value === 'string' && Object.hasOwn(this.config.roles, value),
          )
          .map((value) => this.config.roles[value])
          .filter((role): role is OperatorRole => role !== undefined),
      ),
    ]
    const name = payload[this.config.nameClaim]
    if (roles.length === 0 || typeof name !== 'string' || name === '') return undefined
    return { name: `oidc:${name}`, roles, source: 'oidc', expiresAt: (payload.exp as number) * 1000 }
  }
}
