import { createHash, KeyObject, randomUUID, sign } from 'node:crypto'
import { type CryptoKey, decodeJwt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { fetchWithOwnSignals } from './fetch.js'

/** An error answered by Warden: its stable code and message. */
export class WardenApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** What an agent instance keeps between runs: its key and current SVID. Store it with mode 0600. */
export interface AgentCredential {
  url: string
  alg: 'ES256' | 'EdDSA'
  privateJwk: JWK
  publicJwk: JWK
  instanceId: string
  spiffeId: string
  svid: string
  expiresAt: string
}

/** A task token held by the instance that opened (or was delegated) the task. */
export interface TaskHandle {
  taskId: string
  token: string
  expiresAt: string
  scope: string[]
  tier: string
}

type Attestation = { method: 'join_token' | 'oidc' | 'spiffe_jwt'; token: string; codeDigest?: string }

/**
 * The agent side of Warden: one instance's key, its SVID, and DPoP proofs (RFC 9449) for every call. The key
 * never leaves the process; Warden only ever sees its public half and signatures.
 */
export class WardenAgent {
  /**
   * The key as node:crypto holds it: a proof is signed on the calling thread, where WebCrypto (jose's `SignJWT`)
   * pays a thread-pool round trip per proof — one per request to the gateway (as the server verifies, decision 016).
   */
  private readonly signingKey: KeyObject

  private constructor(
    key: CryptoKey,
    private credential: AgentCredential,
  ) {
    this.signingKey = KeyObject.from(key)
  }

  /** Generates a key, attests it, and returns the instance with its first SVID. */
  static async attest(
    url: string,
    attestation: Attestation,
    alg: 'ES256' | 'EdDSA' = 'ES256',
  ): Promise<WardenAgent> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    const publicJwk = await exportJWK(publicKey)
    const base = { url, alg, privateJwk: await exportJWK(privateKey), publicJwk }
    const agent = new WardenAgent(privateKey as CryptoKey, {
      ...base,
      instanceId: '',
      spiffeId: '',
      svid: '',
      expiresAt: '',
    })
    const issued = await agent.call<{
      instanceId: string
      spiffeId: string
      svid: string
      expiresAt: string
    }>('POST', '/v1/attest', { body: { ...attestation, publicKey: publicJwk } })
    agent.credential = { ...base, ...issued }
    return agent
  }

  /** Restores an instance from a saved credential. */
  static async restore(credential: AgentCredential): Promise<WardenAgent> {
    return new WardenAgent((await importJWK(credential.privateJwk, credential.alg)) as CryptoKey, credential)
  }

  /** The credential to save (holds the private key). */
  toCredential(): AgentCredential {
    return { ...this.credential }
  }

  /** Warden's base URL, as attested against. */
  get url(): string {
    return this.credential.url
  }

  /** Called with the new credential each time the SVID is renewed, so a saved copy can be rewritten. */
  onRenew: ((credential: AgentCredential) => void) | undefined

  /**
   * Renews the SVID once half its lifetime has passed (SPIRE's rotation point), so a saved credential keeps
   * working for as long as the instance is in good standing. An SVID already expired cannot be renewed: the
   * instance attests again.
   * @returns whether it renewed.
   */
  async ensureFreshSvid(now: number = Date.now()): Promise<boolean> {
    if (!this.credential.svid) return false
    const { iat, exp } = decodeJwt(this.credential.svid)
    if (typeof iat !== 'number' || typeof exp !== 'number') return false
    if (now < ((iat + exp) / 2) * 1000) return false
    if (now >= exp * 1000)
      throw new WardenApiError(
        'TOKEN_EXPIRED',
        `the saved SVID expired at ${new Date(exp * 1000).toISOString()}; attest this instance again with a new join token`,
        401,
      )
    await this.renew()
    return true
  }

  get spiffeId(): string {
    return this.credential.spiffeId
  }

  get svid(): string {
    return this.credential.svid
  }

  /** A DPoP proof for `method url`, bound to `accessToken` when given. */
  async proof(method: string, url: string, accessToken?: string): Promise<string> {
    const claims: Record<string, unknown> = { htm: method, htu: url, jti: randomUUID() }
    if (accessToken) claims.ath = createHash('sha256').update(accessToken).digest('base64url')
    claims.iat = Math.floor(Date.now() / 1000)
    const { alg, publicJwk } = this.credential
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const signed = `${encode({ alg, typ: 'dpop+jwt', jwk: publicJwk })}.${encode(claims)}`
    // RFC 7518 §3.4: an ES256 signature is the raw `r || s` pair; EdDSA hashes nothing itself (RFC 8037 §3.1).
    const signature =
      alg === 'ES256'
        ? sign('sha256', Buffer.from(signed), { key: this.signingKey, dsaEncoding: 'ieee-p1363' })
        : sign(null, Buffer.from(signed), this.signingKey)
    return `${signed}.${signature.toString('base64url')}`
  }

  /**
   * A `fetch` for an MCP client on Warden's gateway (e.g. the MCP SDK's Streamable HTTP transport): every request
   * carries the task token and a fresh DPoP proof for `url`, and an abort signal of its own (`fetchWithOwnSignals`).
   */
  gatewayFetch(task: Pick<TaskHandle, 'token'>, url: string): typeof fetch {
    const send = fetchWithOwnSignals()
    return async (input, init) => {
      const headers = new Headers(init?.headers)
      headers.set('authorization', `DPoP ${task.token}`)
      headers.set('dpop', await this.proof(init?.method ?? 'GET', url, task.token))
      return send(input, { ...init, headers })
    }
  }

  /** Calls Warden with a DPoP proof, and `Authorization: DPoP <token>` when a token is given. */
  async call<T>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; form?: Record<string, string> } = {},
  ): Promise<T> {
    const url = new URL(path, this.credential.url).toString()
    const headers: Record<string, string> = { dpop: await this.proof(method, url, options.token) }
    if (options.token) headers.authorization = `DPoP ${options.token}`
    let body: string | undefined
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(options.form).toString()
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await response.text()
    const payload = text ? (JSON.parse(text) as unknown) : {}
    if (!response.ok) {
      const error = payload as { code?: string; message?: string }
      throw new WardenApiError(
        error.code ?? 'INTERNAL',
        error.message ?? response.statusText,
        response.status,
      )
    }
    return payload as T
  }

  /** Renews the SVID with a fresh proof. */
  async renew(): Promise<void> {
    const issued = await this.call<{ svid: string; expiresAt: string }>('POST', '/v1/svid/renew', {
      token: this.credential.svid,
    })
    this.credential = { ...this.credential, svid: issued.svid, expiresAt: issued.expiresAt }
    this.onRenew?.(this.toCredential())
  }

  /** Opens a task with a declared intent. */
  async openTask(intent: {
    purpose: string
    prompt?: string
    tools?: string[]
    resources?: string[]
    dataClasses?: string[]
    maxDuration?: string | number
  }): Promise<TaskHandle> {
    await this.ensureFreshSvid()
    return this.call<TaskHandle>('POST', '/v1/tasks', { token: this.credential.svid, body: { intent } })
  }

  /** Closes a task this instance holds (and every task delegated from it). */
  async closeTask(task: TaskHandle, reason = 'done'): Promise<string[]> {
    const { closed } = await this.call<{ closed: string[] }>('POST', `/v1/tasks/${task.taskId}/close`, {
      token: task.token,
      body: { reason },
    })
    return closed
  }

  /** Accepts a delegated task: exchanges the parent's token for one bound to this instance (RFC 8693). */
  async acceptDelegation(parentToken: string, scope?: string[]): Promise<TaskHandle> {
    await this.ensureFreshSvid()
    const form: Record<string, string> = {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: parentToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      actor_token: this.credential.svid,
      actor_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    }
    if (scope) form.scope = scope.join(' ')
    const issued = await this.call<{
      access_token: string
      task_id: string
      expires_in: number
      scope: string
      tier: string
    }>('POST', '/v1/token', { form })
    return {
      taskId: issued.task_id,
      token: issued.access_token,
      expiresAt: new Date(Date.now() + issued.expires_in * 1000).toISOString(),
      scope: issued.scope.split(' ').filter(Boolean),
      tier: issued.tier,
    }
  }

  /** Leases a secret for the task's lifetime. */
  async lease(
    task: TaskHandle,
    secret: string,
  ): Promise<{ leaseId: string; value: string; expiresAt: string }> {
    return this.call('POST', `/v1/tasks/${task.taskId}/leases`, { token: task.token, body: { secret } })
  }
}
