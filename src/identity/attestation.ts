import { calculateJwkThumbprint, importJWK, type JWK } from 'jose'
import { type IdSource, WardenError } from '../kernel/index.js'
import type { AgentRegistry } from './agent-registry.js'
import type { AttestMethod, Attestor } from './attestors/attestor.js'
import type { AuthFailures } from './auth-failures.js'
import type { InstanceRegistry } from './instance-registry.js'
import type { ProofVerifier } from './proof.js'
import { instanceSpiffeId } from './spiffe-id.js'
import type { SvidAuthority } from './svid.js'

/** The HTTP request a proof of possession was made for. */
export interface ProofContext {
  /** The DPoP header value. */
  proof: string | undefined
  method: string
  url: string
  /**
   * The scheme the credential was presented under (`Authorization: <scheme> <token>`), as sent. A key-bound
   * credential is accepted under `DPoP` only (RFC 9449 §7.1); absent counts as not `DPoP`.
   */
  scheme?: string | undefined
}

export interface AttestRequest extends ProofContext {
  method: string
  attestMethod: AttestMethod
  token: string
  publicKey: JWK
  /** The instance's own statement of its code digest, used when the evidence carries none. */
  codeDigest?: string | undefined
}

/** What an attested or renewed instance receives. */
export interface IssuedSvid {
  instanceId: string
  spiffeId: string
  svid: string
  expiresAt: number
}

/**
 * Turns attestation evidence plus a proof of key possession into an instance with its own SPIFFE ID and SVID.
 * Two attestations never share an instance: each gets a fresh instance id, so replicas are told apart.
 */
export class Attestation {
  private readonly attestors: ReadonlyMap<AttestMethod, Attestor>

  constructor(
    attestors: readonly Attestor[],
    private readonly agents: AgentRegistry,
    private readonly instances: InstanceRegistry,
    private readonly svids: SvidAuthority,
    private readonly proofs: ProofVerifier,
    private readonly ids: IdSource,
    private readonly trustDomain: string,
    private readonly failures?: AuthFailures,
  ) {
    this.attestors = new Map(attestors.map((attestor) => [attestor.method, attestor]))
  }

  /** Methods configured here. */
  methods(): AttestMethod[] {
    return [...this.attestors.keys()]
  }

  /** Attests, and records a refusal (rate-bounded) before rethrowing it. */
  async attest(request: AttestRequest): Promise<IssuedSvid> {
    try {
      return await this.attestOnce(request)
    } catch (error) {
      this.failures?.record(error, {
        what: `attestation:${request.attestMethod}`,
        method: request.method,
        url: request.url,
      })
      throw error
    }
  }

  private async attestOnce(request: AttestRequest): Promise<IssuedSvid> {
    const attestor = this.attestors.get(request.attestMethod)
    if (!attestor) {
      throw new WardenError(
        'ATTESTATION_METHOD_UNSUPPORTED',
        `attestation method \`${request.attestMethod}\` is not configured`,
      )
    }
    const jkt = await thumbprintOfPublicKey(request.publicKey)
    // Possession first: a request whose proof fails must not consume a join token.
    await this.proofs.verify(request.proof, { method: request.method, url: request.url, jkt })
    const evidence = await attestor.attest(request.token)
    const agent = await this.agents.get(evidence.agent)
    if (!agent)
      throw new WardenError(
        'ATTESTATION_NO_MATCH',
        `the attested agent \`${evidence.agent}\` is not registered`,
      )
    if (agent.status !== 'active')
      throw new WardenError('AGENT_DISABLED', `agent \`${agent.name}\` is disabled`)
    const codeDigest = evidence.codeDigest ?? request.codeDigest ?? null
    if (agent.codeDigest !== null && codeDigest !== agent.codeDigest) {
      throw new WardenError(
        'ATTESTATION_DIGEST_MISMATCH',
        `the code digest does not match agent \`${agent.name}\``,
      )
    }
    const id = this.ids.id()
    const instance = await this.instances.create({
      id,
      agent: agent.name,
      spiffeId: instanceSpiffeId(this.trustDomain, agent.name, id),
      jkt,
      method: request.attestMethod,
      subject: evidence.subject,
      codeDigest,
    })
    const issued = await this.svids.issue(instance)
    return {
      instanceId: instance.id,
      spiffeId: instance.spiffeId,
      svid: issued.svid,
      expiresAt: issued.expiresAt,
    }
  }

  /** Renews a still-valid SVID, given a fresh proof by the key it is bound to. */
  async renew(svid: string, context: ProofContext): Promise<IssuedSvid> {
    try {
      return await this.renewOnce(svid, context)
    } catch (error) {
      this.failures?.record(error, { what: 'svid', method: context.method, url: context.url })
      throw error
    }
  }

  private async renewOnce(svid: string, context: ProofContext): Promise<IssuedSvid> {
    const verified = await this.svids.verify(svid)
    await this.proofs.verify(context.proof, {
      method: context.method,
      url: context.url,
      jkt: verified.instance.jkt,
      accessToken: svid,
      scheme: context.scheme,
    })
    const issued = await this.svids.issue(verified.instance)
    return {
      instanceId: verified.instance.id,
      spiffeId: verified.instance.spiffeId,
      svid: issued.svid,
      expiresAt: issued.expiresAt,
    }
  }
}

/** RFC 7638 thumbprint of a public key; refuses private keys and keys jose cannot use for signatures. */
async function thumbprintOfPublicKey(jwk: JWK): Promise<string> {
  if ('d' in jwk || 'k' in jwk || 'p' in jwk)
    throw new WardenError('BAD_REQUEST', '`publicKey` must not hold private material')
  const alg =
    jwk.kty === 'EC' ? (jwk.crv === 'P-384' ? 'ES384' : 'ES256') : jwk.kty === 'OKP' ? 'EdDSA' : 'RS256'
  try {
    await importJWK(jwk, alg)
  } catch (cause) {
    throw new WardenError('BAD_REQUEST', '`publicKey` is not a usable public JWK', { cause })
  }
  return calculateJwkThumbprint(jwk)
}
