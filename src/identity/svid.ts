import { type JWTPayload, jwtVerify, SignJWT } from 'jose'
import { type Clock, epochSeconds, type IdSource, WardenError } from '../kernel/index.js'
import type { Agent, AgentRegistry } from './agent-registry.js'
import type { IdentityEvents } from './identity-events.js'
import type { Instance, InstanceRegistry } from './instance-registry.js'
import { fromJoseError } from './jose-errors.js'
import { requireCompactJws } from './jwt-claims.js'
import type { KeyRing } from './key-ring.js'

/** The claims of a Warden JWT-SVID. */
export interface SvidClaims extends JWTPayload {
  sub: string
  jti: string
  exp: number
  cnf: { jkt: string }
}

/** An SVID that verified, with the live instance and agent behind it. */
export interface VerifiedSvid {
  claims: SvidClaims
  instance: Instance
  agent: Agent
}

export interface SvidOptions {
  issuer: string
  audience: string
  ttl: number
  clockSkew: number
}

/**
 * Issues and verifies JWT-SVIDs (SPIFFE JWT-SVID spec): `sub` the instance's SPIFFE ID, `aud`, a short `exp`,
 * `jti`, and `cnf.jkt` binding the SVID to the instance's key (RFC 7800 §3.1 with RFC 9449 §6.1 thumbprints).
 */
export class SvidAuthority {
  constructor(
    private readonly keys: KeyRing,
    private readonly agents: AgentRegistry,
    private readonly instances: InstanceRegistry,
    private readonly events: IdentityEvents,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly options: SvidOptions,
  ) {}

  /** Signs a fresh SVID for an active instance. */
  async issue(instance: Instance): Promise<{ svid: string; expiresAt: number; jti: string }> {
    const { kid, alg, key } = await this.keys.signingKey()
    const iat = epochSeconds(this.clock)
    const exp = iat + Math.floor(this.options.ttl / 1000)
    const jti = this.ids.id()
    const svid = await new SignJWT({ cnf: { jkt: instance.jkt } })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer(this.options.issuer)
      .setSubject(instance.spiffeId)
      .setAudience(this.options.audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key)
    await this.instances.touch(instance.id)
    await this.events.record({
      kind: 'svid.issue',
      agent: instance.agent,
      subject: instance.spiffeId,
      body: { jti, kid, expiresAt: exp * 1000 },
    })
    return { svid, expiresAt: exp * 1000, jti }
  }

  /**
   * Verifies an SVID against Warden's current keys, then checks that its instance is active, its agent enabled
   * and its key binding unchanged.
   */
  async verify(svid: string): Promise<VerifiedSvid> {
    requireCompactJws(svid, 'the SVID')
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(svid, this.keys.verificationKeys(), {
        typ: 'JWT',
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ['ES256', 'EdDSA'],
        currentDate: new Date(this.clock.now()),
        clockTolerance: Math.ceil(this.options.clockSkew / 1000),
        requiredClaims: ['sub', 'exp', 'jti', 'cnf'],
      }))
    } catch (cause) {
      throw fromJoseError(cause, 'the SVID')
    }
    const jkt = (payload.cnf as { jkt?: unknown } | undefined)?.jkt
    if (typeof jkt !== 'string') throw new WardenError('TOKEN_CLAIMS_INVALID', 'the SVID has no `cnf.jkt`')
    const instance = await this.instances.findBySpiffeId(String(payload.sub))
    if (!instance) throw new WardenError('INSTANCE_NOT_FOUND', 'the SVID names an unknown instance')
    if (instance.status === 'quarantined') {
      throw new WardenError('INSTANCE_QUARANTINED', `instance \`${instance.id}\` is quarantined`)
    }
    if (instance.jkt !== jkt) throw new WardenError('PROOF_KEY_MISMATCH', 'the SVID is bound to another key')
    const agent = await this.agents.require(instance.agent)
    if (agent.status !== 'active')
      throw new WardenError('AGENT_DISABLED', `agent \`${agent.name}\` is disabled`)
    return { claims: payload as SvidClaims, instance, agent }
  }
}
