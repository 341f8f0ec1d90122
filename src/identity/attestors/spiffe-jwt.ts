import { createHash } from 'node:crypto'
import { decodeJwt, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose'
import type { FederationConfig } from '../../config/index.js'
import { type Clock, epochSeconds, WardenError } from '../../kernel/index.js'
import { fromJoseError } from '../jose-errors.js'
import { checkClaims, refuseDuplicateMembers, requireCompactJws } from '../jwt-claims.js'
import type { ReplayCache } from '../replay-cache.js'
import { matchesPattern, parseSpiffeId } from '../spiffe-id.js'
import type { AttestationEvidence, Attestor } from './attestor.js'
import { createKeySource } from './key-source.js'

/** JWT-SVID algorithms (SPIFFE JWT-SVID spec §3), plus EdDSA; never `none` or HMAC. */
const JWT_SVID_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
]

/**
 * Keeps the keys of a SPIFFE bundle meant for JWT-SVIDs (`use: jwt-svid`, SPIFFE Trust Domain and Bundle §4.2.1).
 * jose only selects keys whose `use` is `sig` or absent, so the SPIFFE `use` is dropped once it has been checked.
 */
function jwtSvidKeys(set: JSONWebKeySet): JSONWebKeySet {
  return {
    keys: set.keys.filter((key) => key.use === 'jwt-svid').map(({ use: _use, ...key }) => key),
  }
}

/**
 * Attests with a JWT-SVID from a federated trust domain, verified against that domain's bundle (chosen by the
 * trust domain of `sub`, SPIFFE JWT-SVID §6.2), its claims held to `checkClaims`, and used once: a JWT-SVID is a
 * bearer token, so without a replay check one captured token would mint instances until it expires.
 */
export class SpiffeJwtAttestor implements Attestor {
  readonly method = 'spiffe_jwt' as const
  private readonly domains: ReadonlyArray<{ config: FederationConfig; keys: JWTVerifyGetKey }>

  constructor(
    federations: readonly FederationConfig[],
    private readonly clock: Clock,
    private readonly clockSkew: number,
    private readonly replay: ReplayCache,
  ) {
    this.domains = federations.map((config) => ({
      config,
      keys: createKeySource(config.bundle, jwtSvidKeys),
    }))
  }

  async attest(token: string): Promise<AttestationEvidence> {
    requireCompactJws(token, 'the JWT-SVID')
    refuseDuplicateMembers(token, 'the JWT-SVID')
    let unverified: JWTPayload
    try {
      unverified = decodeJwt(token)
    } catch (cause) {
      throw new WardenError('TOKEN_INVALID', 'the JWT-SVID is malformed', { cause })
    }
    const trustDomain =
      typeof unverified.sub === 'string' ? parseSpiffeId(unverified.sub).trustDomain : undefined
    const domain = this.domains.find((candidate) => candidate.config.trustDomain === trustDomain)
    const skew = Math.ceil(this.clockSkew / 1000)
    if (!domain)
      throw new WardenError('TOKEN_ISSUER_MISMATCH', 'the JWT-SVID is from a trust domain not federated here')
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, domain.keys, {
        audience: domain.config.audience,
        ...(domain.config.issuer ? { issuer: domain.config.issuer } : {}),
        algorithms: JWT_SVID_ALGS,
        currentDate: new Date(this.clock.now()),
        clockTolerance: skew,
        requiredClaims: ['exp', 'sub', 'aud'],
      }))
    } catch (cause) {
      throw fromJoseError(cause, 'the JWT-SVID')
    }
    const now = epochSeconds(this.clock)
    checkClaims(
      payload,
      { now, skew, maxLifetime: Math.floor(domain.config.maxLifetime / 1000) },
      'the JWT-SVID',
    )
    const spiffeId = String(payload.sub)
    const rule = domain.config.rules.find((candidate) => matchesPattern(candidate.id, spiffeId))
    if (!rule) throw new WardenError('ATTESTATION_NO_MATCH', `no rule maps \`${spiffeId}\` to an agent`)
    // Used once: by `jti` when it has one, else by the token's digest, until it expires.
    const once =
      typeof payload.jti === 'string' ? payload.jti : createHash('sha256').update(token).digest('hex')
    const expiresAt = ((payload.exp as number) + skew) * 1000
    if (!(await this.replay.claim(`spiffe_jwt:${domain.config.trustDomain}:${once}`, expiresAt))) {
      throw new WardenError('TOKEN_REPLAYED', 'the JWT-SVID was already used to attest')
    }
    return { agent: rule.agent, subject: spiffeId }
  }
}
