import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose'
import type { Clock, Logger } from '../kernel/index.js'

/** Asymmetric algorithms Warden signs with. ES256 verifies faster than Ed25519 on Node 20 (research/perf-baselines.md). */
export type SigningAlg = 'ES256' | 'EdDSA'

/** A signing key as persisted: private JWK plus its schedule. */
export interface StoredKey {
  kid: string
  alg: SigningAlg
  privateJwk: JWK
  createdAt: number
  /** The key signs until then. */
  signUntil: number
  /** The key verifies until then: the end of the longest-lived token it can have signed. */
  verifyUntil: number
}

/** Where keys persist; a file in the data directory by default (mode 0600), or the store shared by every node. */
export interface KeyStore {
  load(): Promise<StoredKey[]>
  save(keys: readonly StoredKey[]): Promise<void>
  /**
   * Runs `work` while no other node sharing these keys runs its own (a lock in the shared store), so that a
   * rotation that falls due happens once per deployment. Absent: the keys are this process's alone.
   */
  exclusive?<T>(work: () => Promise<T>): Promise<T>
}

/** Keys held in memory only (tests, benchmarks). */
export function memoryKeyStore(): KeyStore {
  let saved: StoredKey[] = []
  return {
    load: async () => saved.map((key) => ({ ...key })),
    save: async (keys) => {
      saved = keys.map((key) => ({ ...key }))
    },
  }
}

interface LiveKey extends StoredKey {
  privateKey: CryptoKey
  publicJwk: JWK
}

export interface KeyRingOptions {
  alg: SigningAlg
  /** How long a key signs before the next takes over. */
  rotateEvery: number
  /** The longest lifetime of any token signed with these keys; an old key verifies this long after it stops signing. */
  maxTokenTtl: number
  /** Called after each rotation (e.g. to record an identity event). */
  onRotate?: (kid: string, retiredKid: string | undefined) => Promise<unknown>
}

/**
 * Signing keys with scheduled rotation and overlap. Rotation is derived from the clock on use, so it happens
 * on schedule across restarts and under a fake clock alike: the first signature after `signUntil` makes a new key.
 */
export class KeyRing {
  private keys: LiveKey[] = []
  private jwks: { keys: JWK[] } = { keys: [] }
  private verifier: JWTVerifyGetKey = createLocalJWKSet({ keys: [] })
  private rotation: Promise<LiveKey> | undefined

  private constructor(
    private readonly store: KeyStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: KeyRingOptions,
  ) {}

  /** Loads persisted keys (dropping those past `verifyUntil`) and makes sure one can sign now. */
  static async open(
    store: KeyStore,
    clock: Clock,
    logger: Logger,
    options: KeyRingOptions,
  ): Promise<KeyRing> {
    const ring = new KeyRing(store, clock, logger, options)
    const now = clock.now()
    for (const stored of await store.load()) {
      if (stored.verifyUntil <= now) continue
      ring.keys.push(await hydrate(stored))
    }
    ring.refreshPublic()
    await ring.signingKey()
    return ring
  }

  /** The key to sign with now, rotating first when the current one's time is up. */
  async signingKey(): Promise<{ kid: string; alg: SigningAlg; key: CryptoKey }> {
    const live = this.current() ?? (await this.rotate(false))
    return { kid: live.kid, alg: live.alg, key: live.privateKey }
  }

  private current(): LiveKey | undefined {
    const now = this.clock.now()
    return this.keys.find((key) => key.createdAt <= now && now < key.signUntil)
  }

  /**
   * Starts a new signing key now; the previous one keeps verifying for `maxTokenTtl`. With `force` false (a
   * rotation falling due), a key another node sharing the store started meanwhile is taken instead.
   */
  rotate(force = true): Promise<LiveKey> {
    this.rotation ??= (this.store.exclusive ?? ((work) => work()))(async () => {
      if (this.store.exclusive) await this.reload()
      return (!force && this.current()) || this.doRotate()
    }).finally(() => {
      this.rotation = undefined
    })
    return this.rotation
  }

  /** Reads the persisted keys again (another node rotated): what this ring signs and verifies with follows. */
  async reload(): Promise<void> {
    const now = this.clock.now()
    const keys: LiveKey[] = []
    for (const stored of await this.store.load()) {
      if (stored.verifyUntil > now) keys.push(await hydrate(stored))
    }
    this.keys = keys
    this.refreshPublic()
  }

  private async doRotate(): Promise<LiveKey> {
    const now = this.clock.now()
    const { privateKey } = await generateKeyPair(this.options.alg, { extractable: true })
    const privateJwk = await exportJWK(privateKey)
    const publicJwk = publicPart(privateJwk)
    const kid = await calculateJwkThumbprint(publicJwk)
    const signUntil = now + this.options.rotateEvery
    const fresh: LiveKey = {
      kid,
      alg: this.options.alg,
      privateJwk,
      privateKey: privateKey as CryptoKey,
      publicJwk: { ...publicJwk, kid, alg: this.options.alg, use: 'sig' },
      createdAt: now,
      signUntil,
      verifyUntil: signUntil + this.options.maxTokenTtl,
    }
    const retired = this.keys.filter((key) => key.signUntil > now)
    for (const key of retired) {
      key.signUntil = now
      key.verifyUntil = now + this.options.maxTokenTtl
    }
    this.keys = [...this.keys.filter((key) => key.verifyUntil > now), fresh]
    await this.store.save(this.keys.map(({ privateKey: _p, publicJwk: _j, ...stored }) => stored))
    this.refreshPublic()
    this.logger.info('signing key rotated', { kid, retired: retired.map((key) => key.kid) })
    await this.options.onRotate?.(kid, retired[0]?.kid)
    return fresh
  }

  private refreshPublic(): void {
    this.jwks = { keys: this.keys.map((key) => key.publicJwk) }
    this.verifier = createLocalJWKSet(this.jwks)
  }

  /** The public keys that still verify, as a JWKS (RFC 7517). */
  publicJwks(): { keys: JWK[] } {
    const now = this.clock.now()
    if (this.keys.some((key) => key.verifyUntil <= now)) {
      this.keys = this.keys.filter((key) => key.verifyUntil > now)
      this.refreshPublic()
    }
    return this.jwks
  }

  /** A jose key resolver over the keys that still verify. */
  verificationKeys(): JWTVerifyGetKey {
    this.publicJwks()
    return this.verifier
  }
}

async function hydrate(stored: StoredKey): Promise<LiveKey> {
  const privateKey = (await importJWK(stored.privateJwk, stored.alg)) as CryptoKey
  return {
    ...stored,
    privateKey,
    publicJwk: { ...publicPart(stored.privateJwk), kid: stored.kid, alg: stored.alg, use: 'sig' },
  }
}

/** The public members of a private EC or OKP JWK. */
function publicPart(jwk: JWK): JWK {
  const pub: JWK = {}
  for (const member of ['kty', 'crv', 'x', 'y'] as const) {
    const value = jwk[member]
    if (value !== undefined) pub[member] = value
  }
  return pub
}
