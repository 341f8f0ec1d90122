import { createHash } from 'node:crypto'
import { type JWTPayload, jwtVerify, SignJWT } from 'jose'
import { LRUCache } from 'lru-cache'
import { fromJoseError, type KeyRing, requireCompactJws, type Tier } from '../identity/index.js'
import { type Clock, epochSeconds, type IdSource, WardenError } from '../kernel/index.js'
import type { ActorChain, Task } from './task-registry.js'

/** The claims of a task token (an RFC 9068-style access token, `typ: at+jwt`). */
export interface TaskTokenClaims extends JWTPayload {
  /** The principal: the SPIFFE ID of the instance that opened the root task. */
  sub: string
  task: string
  /** Space-separated tool names (RFC 8693 §4.2). */
  scope: string
  tier: Tier
  /** SHA-256 of the task's declared intent. */
  intent: string
  /** The key the token is bound to (RFC 9449 §6.1); absent on a token of a tier that needs no proofs. */
  cnf?: { jkt: string }
  jti: string
  exp: number
  /** The current actor and, nested, the prior ones (RFC 8693 §4.1); absent on a root task's token. */
  act?: ActorChain
}

export interface TaskTokenOptions {
  issuer: string
  audience: string
  clockSkew: number
}

// RFC 9068 §2.1: access-token JWTs are typed, so an SVID (`typ: JWT`, other audience) is never taken for one.
const TYP = 'at+jwt'
/** Verified tokens kept at most; the least recently used goes first. */
const MAX_VERIFIED = 10_000

/** A verified token's cache key: its SHA-256 (base64url), so the cache holds no bearer material. */
function digestOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/** Signs and checks task tokens with the deployment's rotating keys. */
export class TaskTokens {
  constructor(
    private readonly keys: KeyRing,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly options: TaskTokenOptions,
  ) {}

  /** The `aud` of every task token. */
  get audience(): string {
    return this.options.audience
  }

  /** Mints a token for `task`, bound to key `jkt` when given, expiring at `exp` (seconds). */
  async mint(
    task: Task,
    jkt: string | undefined,
    exp: number,
  ): Promise<{ token: string; jti: string; expiresAt: number }> {
    const { kid, alg, key } = await this.keys.signingKey()
    const jti = this.ids.id()
    const claims: Record<string, unknown> = {
      task: task.id,
      scope: task.scope.join(' '),
      tier: task.tier,
      intent: task.intentDigest,
    }
    if (jkt !== undefined) claims.cnf = { jkt }
    if (task.act) claims.act = task.act
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg, kid, typ: TYP })
      .setIssuer(this.options.issuer)
      .setSubject(task.principal)
      .setAudience(this.options.audience)
      .setIssuedAt(epochSeconds(this.clock))
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key)
    return { token, jti, expiresAt: exp * 1000 }
  }

  /**
   * Tokens whose signature and claims already verified, by the SHA-256 of their exact text, with the key that
   * signed them, until they expire (the least recently used go first past `MAX_VERIFIED`). What a signature
   * cannot say is never cached: expiry (against the injected clock) and the signing key's standing are checked on
   * every hit; the task's, instance's and agent's standing and the DPoP proof are the caller's checks, on every
   * request (`TaskLifecycle.authenticate`).
   */
  private readonly verified = new LRUCache<string, { claims: TaskTokenClaims; kid: string | undefined }>({
    max: MAX_VERIFIED,
  })

  /** Checks signature, type, issuer, audience, expiry and claim shapes; not revocation (the task's state). */
  async verify(token: string): Promise<TaskTokenClaims> {
    requireCompactJws(token, 'the task token')
    const digest = digestOf(token)
    const cached = this.verified.get(digest)
    const skew = Math.ceil(this.options.clockSkew / 1000)
    if (cached) {
      if (cached.claims.exp + skew > epochSeconds(this.clock) && this.keys.verifies(cached.kid))
        return cached.claims
      this.verified.delete(digest)
    }
    const { claims, kid } = await this.verifyFully(token)
    // Kept no longer than the token lives (the clock check above is what refuses it; this frees the memory).
    const ttl = (claims.exp + skew) * 1000 - this.clock.now()
    if (ttl > 0) this.verified.set(digest, { claims, kid }, { ttl })
    return claims
  }

  /** Whether `token`'s signature is cached as verified (operators' and tests' view of the cache). */
  isVerified(token: string): boolean {
    return this.verified.has(digestOf(token))
  }

  private async verifyFully(token: string): Promise<{ claims: TaskTokenClaims; kid: string | undefined }> {
    let payload: JWTPayload
    let kid: string | undefined
    try {
      ;({
        payload,
        protectedHeader: { kid },
      } = await jwtVerify(token, this.keys.verificationKeys(), {
        typ: TYP,
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ['ES256', 'EdDSA'],
        currentDate: new Date(this.clock.now()),
        clockTolerance: Math.ceil(this.options.clockSkew / 1000),
        requiredClaims: ['sub', 'exp', 'jti', 'task', 'scope', 'tier'],
      }))
    } catch (cause) {
      throw fromJoseError(cause, 'the task token')
    }
    const cnf = payload.cnf
    const boundWell =
      cnf === undefined ||
      (typeof cnf === 'object' && cnf !== null && typeof (cnf as { jkt?: unknown }).jkt === 'string')
    if (!boundWell || typeof payload.task !== 'string' || typeof payload.scope !== 'string') {
      throw new WardenError('TOKEN_CLAIMS_INVALID', 'the task token has malformed claims')
    }
    return { claims: payload as TaskTokenClaims, kid }
  }
}
