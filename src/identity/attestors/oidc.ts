import { decodeJwt, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose'
import type { ClaimRule, OidcIssuerConfig } from '../../config/index.js'
import { type Clock, epochSeconds, WardenError } from '../../kernel/index.js'
import { fromJoseError } from '../jose-errors.js'
import { checkClaims, refuseDuplicateMembers, requireCompactJws } from '../jwt-claims.js'
import { matchesPattern } from '../spiffe-id.js'
import type { AttestationEvidence, Attestor } from './attestor.js'
import { createKeySource } from './key-source.js'

/**
 * Attests with an OIDC / JWT token from a configured issuer (a Kubernetes service-account token, a CI OIDC
 * token): verified with jose against the issuer's JWKS, then mapped to an agent by claim rules.
 */
export class OidcAttestor implements Attestor {
  readonly method = 'oidc' as const
  private readonly issuers: ReadonlyArray<{ config: OidcIssuerConfig; keys: JWTVerifyGetKey }>

  constructor(
    issuers: readonly OidcIssuerConfig[],
    private readonly clock: Clock,
    private readonly clockSkew: number,
  ) {
    this.issuers = issuers.map((config) => ({ config, keys: createKeySource(config.jwks) }))
  }

  async attest(token: string): Promise<AttestationEvidence> {
    requireCompactJws(token, 'the OIDC token')
    refuseDuplicateMembers(token, 'the OIDC token')
    let unverified: JWTPayload
    try {
      unverified = decodeJwt(token)
    } catch (cause) {
      throw new WardenError('TOKEN_INVALID', 'the OIDC token is malformed', { cause })
    }
    // Only picks which issuer's keys to try; nothing is trusted before jwtVerify below.
    const issuer = this.issuers.find((candidate) => candidate.config.issuer === unverified.iss)
    if (!issuer)
      throw new WardenError('TOKEN_ISSUER_MISMATCH', 'the OIDC token is from an issuer not configured here')
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, issuer.keys, {
        issuer: issuer.config.issuer,
        audience: issuer.config.audience,
        algorithms: issuer.config.algorithms,
        currentDate: new Date(this.clock.now()),
        clockTolerance: Math.ceil(this.clockSkew / 1000),
        requiredClaims: ['exp', 'sub'],
      }))
    } catch (cause) {
      throw fromJoseError(cause, 'the OIDC token')
    }
    checkClaims(
      payload,
      {
        now: epochSeconds(this.clock),
        skew: Math.ceil(this.clockSkew / 1000),
        maxLifetime: Math.floor(issuer.config.maxLifetime / 1000),
      },
      'the OIDC token',
    )
    const rule = issuer.config.rules.find((candidate) => matchesClaims(candidate, payload))
    if (!rule)
      throw new WardenError(
        'ATTESTATION_NO_MATCH',
        `no rule of issuer \`${issuer.config.name}\` matches the token`,
      )
    const digestClaim = issuer.config.digestClaim
    const codeDigest = digestClaim ? payload[digestClaim] : undefined
    return {
      agent: rule.agent,
      subject: `${issuer.config.issuer}#${String(payload.sub)}`,
      ...(typeof codeDigest === 'string' ? { codeDigest } : {}),
    }
  }
}

function matchesClaims(rule: ClaimRule, payload: JWTPayload): boolean {
  return Object.entries(rule.claims).every(([claim, pattern]) => {
    const value = payload[claim]
    return typeof value === 'string' && matchesPattern(pattern, value)
  })
}
