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
import { type Clock, type Logger, WardenError } from '../kernel/index.js'

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
  /** Prepared: published in the JWKS so relying parties have it before it signs; it signs once activated. */
  prepared?: boolean
  /** Tainted: never signs again; tokens it signed still verify until it is revoked (SPIRE's taint). */
  tainted?: boolean
}

/** Where a key stands in SPIRE's forced rotation: prepare → activate → taint → revoke. */
export type KeyState = 'prepared' | 'active' | 'old' | 'tainted'

/** A signing key as the admin API lists it (no private material). */
export interface KeyInfo {
  kid: string
  alg: SigningAlg
  state: KeyState
  createdAt: number
  signUntil: number | null
  verifyUntil: number | null
}

/** The admin steps of a forced rotation, for the record. */
export type KeyStep = 'key.prepare' | 'key.activate' | 'key.taint' | 'key.revoke'

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
  /** Called after each admin step of a forced rotation. */
  onStep?: (step: KeyStep, kid: string) => Promise<unknown>
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
    return this.keys.find(
      (key) => !key.prepared && !key.tainted && key.createdAt <= now && now < key.signUntil,
    )
  }

  /** True while tokens signed by `kid` verify (it has not been revoked or outlived). */
  verifies(kid: string | undefined): boolean {
    const now = this.clock.now()
    return this.keys.some((key) => key.kid === kid && key.verifyUntil > now)
  }

  /** Every key that still verifies, with its state. */
  list(): KeyInfo[] {
    this.publicJwks()
    const active = this.current()
    return this.keys.map((key) => ({
      kid: key.kid,
      alg: key.alg,
      state: key.prepared ? 'prepared' : key.tainted ? 'tainted' : key === active ? 'active' : 'old',
      createdAt: key.createdAt,
      signUntil: key.prepared ? null : key.signUntil,
      verifyUntil: key.prepared ? null : key.verifyUntil,
    }))
  }

  /**
   * Prepare: a new key joins the JWKS without signing yet, so relying parties that cache the JWKS have it by the
   * time it does (SPIRE `localauthority jwt prepare`). One prepared key at a time.
   */
  async prepare(): Promise<KeyInfo> {
    return this.exclusively(() => this.doPrepare())
  }

  /** Runs an admin step while no other node changes the keys, on the keys as persisted now. */
  private exclusively<T>(work: () => Promise<T>): Promise<T> {
    return (this.store.exclusive ?? ((run) => run()))(async () => {
      if (this.store.exclusive) await this.reload()
      return work()
    })
  }

  private async doPrepare(): Promise<KeyInfo> {
    const existing = this.keys.find((key) => key.prepared)
    if (existing) throw new WardenError('SIGNING_KEY_STATE', `key \`${existing.kid}\` is already prepared`)
    const fresh = await this.generate()
    fresh.prepared = true
    // Until activated it neither signs nor expires: the schedule starts at activation.
    fresh.signUntil = Number.MAX_SAFE_INTEGER
    fresh.verifyUntil = Number.MAX_SAFE_INTEGER
    this.keys = [...this.keys, fresh]
    await this.persist()
    this.refreshPublic()
    await this.options.onStep?.('key.prepare', fresh.kid)
    return this.info(fresh.kid)
  }

  /** Activate: the prepared key signs from now on; the previous one keeps verifying what it signed. */
  async activate(): Promise<KeyInfo> {
    const prepared = await this.exclusively(async () => {
      const found = this.keys.find((key) => key.prepared)
      if (!found) throw new WardenError('SIGNING_KEY_STATE', 'no key is prepared: prepare one first')
      return found
    })
    await this.rotate()
    await this.options.onStep?.('key.activate', prepared.kid)
    return this.info(prepared.kid)
  }

  /**
   * Taint: a key that no longer signs is marked compromised — it can never sign again, and is the only kind that
   * may be revoked. Tokens it signed still verify until then (relying parties move to the new key first).
   */
  async taint(kid: string): Promise<KeyInfo> {
    return this.exclusively(() => this.doTaint(kid))
  }

  private async doTaint(kid: string): Promise<KeyInfo> {
    const key = this.require(kid)
    if (key.prepared || key === this.current()) {
      throw new WardenError(
        'SIGNING_KEY_STATE',
        `key \`${kid}\` is ${key.prepared ? 'prepared' : 'active'}: activate another key first`,
      )
    }
    key.tainted = true
    await this.persist()
    await this.options.onStep?.('key.taint', kid)
    return this.info(kid)
  }

  /** Revoke: a tainted key leaves the JWKS at once, and every token it signed stops verifying, also after a restart. */
  async revoke(kid: string): Promise<void> {
    return this.exclusively(() => this.doRevoke(kid))
  }

  private async doRevoke(kid: string): Promise<void> {
    const key = this.require(kid)
    if (!key.tainted)
      throw new WardenError('SIGNING_KEY_STATE', `key \`${kid}\` must be tainted before it is revoked`)
    this.keys = this.keys.filter((candidate) => candidate !== key)
    await this.persist()
    this.refreshPublic()
    this.logger.info('signing key revoked', { kid })
    await this.options.onStep?.('key.revoke', kid)
  }

  private require(kid: string): LiveKey {
    const key = this.keys.find((candidate) => candidate.kid === kid)
    if (!key) throw new WardenError('SIGNING_KEY_NOT_FOUND', `no signing key \`${kid}\``)
    return key
  }

  private info(kid: string): KeyInfo {
    const found = this.list().find((key) => key.kid === kid)
    if (!found) throw new WardenError('SIGNING_KEY_NOT_FOUND', `no signing key \`${kid}\``)
    return found
  }

  private async persist(): Promise<void> {
    await this.store.save(this.keys.map(({ privateKey: _p, publicJwk: _j, ...stored }) => stored))
  }

  private async generate(): Promise<LiveKey> {
    const now = this.clock.now()
    const { privateKey } = await generateKeyPair(this.options.alg, { extractable: true })
    const privateJwk = await exportJWK(privateKey)
    const publicJwk = publicPart(privateJwk)
    const kid = await calculateJwkThumbprint(publicJwk)
    return {
      kid,
      alg: this.options.alg,
      privateJwk,
      privateKey: privateKey as CryptoKey,
      publicJwk: { ...publicJwk, kid, alg: this.options.alg, use: 'sig' },
      createdAt: now,
      signUntil: now + this.options.rotateEvery,
      verifyUntil: now + this.options.rotateEvery + this.options.maxTokenTtl,
    }
  }

  /**
   * Starts a new signing key now — the prepared one when there is one, else a fresh one; the previous one keeps
   * verifying for `maxTokenTtl`. With `force` false (a rotation falling due), a key another node sharing the store
   * started meanwhile is taken instead.
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
    const prepared = this.keys.find((key) => key.prepared)
    const fresh = prepared ?? (await this.generate())
    if (prepared) {
      delete prepared.prepared
      prepared.createdAt = now
      prepared.signUntil = now + this.options.rotateEvery
      prepared.verifyUntil = prepared.signUntil + this.options.maxTokenTtl
    }
    const retired = this.keys.filter((key) => key !== fresh && !key.prepared && key.signUntil > now)
    for (const key of retired) {
      key.signUntil = now
      key.verifyUntil = now + this.options.maxTokenTtl
    }
    this.keys = [...this.keys.filter((key) => key !== fresh && key.verifyUntil > now), fresh]
    await this.persist()
    this.refreshPublic()
    this.logger.info('signing key rotated', { kid: fresh.kid, retired: retired.map((key) => key.kid) })
    await this.options.onRotate?.(fresh.kid, retired[0]?.kid)
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
