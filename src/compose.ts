import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type AdminCredential, ensureAdminCredential, OidcOperators, Operators } from './api/index.js'
import { Approvals, DEFAULT_OUTBOX, WebhookNotifier, WebhookSecrets } from './approvals/index.js'
import { BehaviourEngine, behaviourEventsFrom, type ToolLookup } from './behaviour/index.js'
import { ToolCatalog } from './catalog/index.js'
import {
  ActivityChain,
  type ActivityEventV1,
  ChainReader,
  CheckpointSigner,
  type CheckpointWitness,
  fileWitness,
  httpWitness,
  parsePublicKey,
} from './chain/index.js'
import {
  CATALOG_TABLES,
  CachedAgentRegistry,
  CachedInstanceRegistry,
  CachedTaskRegistry,
  CachedToolCatalog,
  type ChangeFeed,
  ClusterBehaviour,
  type KekSource,
  KeyEncryptionKey,
  OwnRecords,
  PostgresChangeFeed,
  SharedKeys,
  StandingCache,
  soleNodeFeed,
  sqliteFeed,
} from './cluster/index.js'
import type { Config } from './config/index.js'
import { Pipeline, RateLimits } from './enforcement/index.js'
import { Gateway } from './gateway/index.js'
import {
  AgentRegistry,
  Attestation,
  type Attestor,
  AuthFailures,
  IdentityEvents,
  InstanceRegistry,
  JoinTokenAttestor,
  KeyRing,
  type KeyStore,
  OidcAttestor,
  ProofVerifier,
  ReplayCache,
  SpiffeJwtAttestor,
  type StoredKey,
  SvidAuthority,
} from './identity/index.js'
import {
  type Clock,
  type IdSource,
  type Logger,
  randomIds,
  silentLogger,
  systemClock,
} from './kernel/index.js'
import { Health, WardenMetrics } from './operations/index.js'
import {
  ArgumentValidator,
  formatProblem,
  type LoadResult,
  PolicyEngine,
  readPolicyDirectory,
  watchPolicyDirectory,
  withoutLogOnly,
} from './policy/index.js'
import { jsonKeyFile, migrate, openStore, SqliteStore, type Store } from './store/index.js'
import {
  type LeasableSecret,
  Leases,
  PostgresRoles,
  StaticSecrets,
  TaskLifecycle,
  TaskRegistry,
  TaskTokens,
} from './tasks/index.js'
import { OtelChainExporter } from './telemetry/index.js'

/** Everything a running Warden is made of, built from one Config. */
export interface Warden {
  readonly config: Config
  readonly clock: Clock
  readonly ids: IdSource
  readonly logger: Logger
  readonly store: Store
  /** What this node hears of other nodes' changes (a node alone on SQLite hears nothing: it makes them all). */
  readonly feed: ChangeFeed
  readonly chain: ActivityChain
  readonly admin: AdminCredential
  /** The admin token, when this start generated it (print it once, then forget it). */
  readonly generatedAdminToken: string | undefined
  /** Named operators and their roles, the admin token as `admin`, and OIDC sign-in (docs/decisions/015). */
  readonly operators: Operators
  readonly tasks: {
    readonly registry: TaskRegistry
    readonly tokens: TaskTokens
    readonly lifecycle: TaskLifecycle
    readonly leases: Leases
    readonly staticSecrets: StaticSecrets
  }
  readonly catalog: ToolCatalog
  readonly policy: { readonly engine: PolicyEngine; readonly dir: string; reload(): Promise<LoadResult> }
  readonly pipeline: Pipeline
  readonly gateway: Gateway
  readonly approvals: Approvals
  /** Owners' webhooks: the outbox worker and the per-owner signing secrets. */
  readonly webhooks: { readonly notifier: WebhookNotifier; readonly secrets: WebhookSecrets }
  /** Probes and Prometheus metrics (`/healthz`, `/readyz`, `/metrics`). */
  readonly operations: { readonly health: Health; readonly metrics: WardenMetrics }
  readonly identity: {
    readonly events: IdentityEvents
    readonly agents: AgentRegistry
    readonly instances: InstanceRegistry
    readonly joinTokens: JoinTokenAttestor
    readonly keys: KeyRing
    readonly svids: SvidAuthority
    readonly proofs: ProofVerifier
    readonly attestation: Attestation
  }
  /** Flushes and closes everything; safe to call twice. */
  close(): Promise<void>
}

export interface ComposeOptions {
  clock?: Clock
  ids?: IdSource
  logger?: Logger
  /** The admin token from the environment (`WARDEN_ADMIN_TOKEN`). */
  adminToken?: string | undefined
  /** Overrides the data directory's key file (tests, benchmarks). */
  keyStore?: KeyStore
  /** Overrides the configured store (tests). */
  store?: Store
  /** The key-encryption key of a store shared by several nodes (`WARDEN_KEK`, `WARDEN_KEK_FILE`). */
  kek?: KekSource
}

/** The tier templates shipped with Warden: `policies/` at the package root (found from src/ or dist/src/). */
export const SHIPPED_POLICIES = (() => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return join(dir, 'policies')
})()

/** The composition root: the one place that builds and wires every service from a Config. */
export async function composeWarden(config: Config, options: ComposeOptions = {}): Promise<Warden> {
  const clock = options.clock ?? systemClock
  const ids = options.ids ?? randomIds
  const logger = options.logger ?? silentLogger
  const dataDir = resolve(config.dataDir)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })

  const store = options.store ?? openStore(config.store, dataDir)
  await migrate(store, clock.now())

  const { credential, generated } = await ensureAdminCredential(store, ids, options.adminToken)
  // Several nodes on one PostgreSQL (docs/decisions/010): shared keys sealed in the store, changes fanned out
  // with LISTEN/NOTIFY, caches dropped on every revocation, behaviour folded in from the shared chain.
  const cluster =
    config.store.kind === 'postgres' && store.dialect === 'postgres'
      ? {
          keys: new SharedKeys(
            store,
            KeyEncryptionKey.from({
              ...options.kek,
              file: options.kek?.file ?? config.store.keyEncryptionKey?.file,
            }),
            clock,
          ),
          feed: await PostgresChangeFeed.open({ url: config.store.url, logger }),
          own: new OwnRecords(),
        }
      : undefined
  const feed = cluster?.feed ?? soleNodeFeed()
  // What this node caches between requests is dropped by a feed of every commit that could make it stale: other
  // nodes' (PostgreSQL), or this process's and any other process's on the same SQLite file. Any other store
  // caches nothing.
  const cacheFeed = cluster?.feed ?? (store instanceof SqliteStore ? sqliteFeed(store) : undefined)
  const keyPlace = cluster ? sharedKeyPlace(cluster.keys, dataDir) : fileKeyPlace(dataDir)
  const signer = await openCheckpointSigner(keyPlace, dataDir)
  const chain = new ActivityChain(store, clock, cluster ? cluster.own.chainIds(ids) : ids, signer, logger, {
    checkpointEvery: config.chain.checkpointEvery,
    maxBatch: config.chain.maxBatch,
    resignAfter: config.chain.checkpointInterval,
  })
  // Pushes in flight, so that shutdown waits for the last checkpoint to reach every witness.
  const witnessing = new Set<Promise<void>>()
  for (const witness of checkpointWitnesses(config)) {
    chain.onCheckpoint((checkpoint) => {
      const push = witness
        .push(checkpoint)
        .catch((error: unknown) =>
          logger.error('checkpoint witness failed', { witness: witness.name, error: String(error) }),
        )
        .finally(() => witnessing.delete(push))
      witnessing.add(push)
    })
  }
  const checkpointTimer = setInterval(() => {
    chain.checkpoint().catch((error: unknown) => logger.error('checkpoint failed', { error: String(error) }))
  }, config.chain.checkpointInterval)
  checkpointTimer.unref()
  const otlp = config.telemetry.otlp
  const exporter = otlp ? new OtelChainExporter({ url: otlp.url, headers: otlp.headers }) : undefined
  if (exporter) chain.onAppend((batch) => exporter.export(batch))
  if (cluster) chain.onAppend((batch) => cluster.own.committed(batch))
  const events = new IdentityEvents(chain, config.trustDomain)
  const standing = cacheFeed ? new StandingCache(cacheFeed) : undefined
  const agents = standing
    ? new CachedAgentRegistry(store, clock, events, standing)
    : new AgentRegistry(store, clock, events)
  const instances = standing
    ? new CachedInstanceRegistry(store, clock, events, standing)
    : new InstanceRegistry(store, clock, events)
  const keyFile = jsonKeyFile<{ keys: StoredKey[] }>(join(dataDir, 'keys', 'signing-keys.json'))
  const keyStore: KeyStore = options.keyStore ??
    cluster?.keys.signingKeyStore() ?? {
      load: async () => (await keyFile.load())?.keys ?? [],
      save: (keys) => keyFile.save({ keys: [...keys] }),
    }
  const id = config.identity
  const keys = await KeyRing.open(keyStore, clock, logger, {
    alg: id.signingAlg,
    rotateEvery: id.keyRotation,
    maxTokenTtl: Math.max(id.svidTtl, ...Object.values(config.tasks.tokenTtl)) + id.clockSkew,
    onRotate: (kid, retired) =>
      events.record({ kind: 'key.rotate', body: { kid, retired: retired ?? null } }),
    onStep: (step, kid) => events.record({ kind: step, body: { kid } }),
  })
  const svids = new SvidAuthority(keys, agents, instances, events, clock, ids, {
    issuer: id.issuer ?? `spiffe://${config.trustDomain}`,
    audience: id.svidAudience,
    ttl: id.svidTtl,
    clockSkew: id.clockSkew,
  })
  const replay = new ReplayCache(store, clock)
  const proofs = new ProofVerifier(clock, replay, {
    maxAge: id.proofMaxAge,
    clockSkew: id.clockSkew,
  })
  const joinTokens = new JoinTokenAttestor(store, clock, ids, events, id.joinTokenTtl)
  const attestors: Attestor[] = [joinTokens]
  if (id.oidc.length > 0) attestors.push(new OidcAttestor(id.oidc, clock, id.clockSkew))
  if (id.federation.length > 0)
    attestors.push(new SpiffeJwtAttestor(id.federation, clock, id.clockSkew, replay))
  // Refused authentications leave a record, rate-bounded (`auth.fail`).
  const failures = new AuthFailures(events, clock, logger)
  const attestation = new Attestation(
    attestors,
    agents,
    instances,
    svids,
    proofs,
    ids,
    config.trustDomain,
    failures,
  )

  const registry = standing ? new CachedTaskRegistry(store, clock, standing) : new TaskRegistry(store, clock)
  const tokens = new TaskTokens(keys, clock, ids, {
    issuer: id.issuer ?? `spiffe://${config.trustDomain}`,
    audience: config.tasks.audience,
    clockSkew: id.clockSkew,
  })
  const secretsKey = await openSecretsKey(keyPlace)
  const staticSecrets = new StaticSecrets(store, clock, secretsKey)
  const secrets = new Map<string, LeasableSecret>()
  for (const [name, secret] of Object.entries(config.secrets)) {
    const provider =
      secret.provider === 'static'
        ? staticSecrets
        : new PostgresRoles({ url: secret.url, roles: secret.roles })
    secrets.set(name, { provider, agents: secret.agents })
  }
  const leases = new Leases(store, chain, clock, ids, logger, secrets)
  const lifecycle = new TaskLifecycle(
    registry,
    tokens,
    leases,
    svids,
    proofs,
    agents,
    instances,
    chain,
    clock,
    ids,
    logger,
    {
      tokenTtl: config.tasks.tokenTtl,
      proofRequired: config.tasks.proofRequired,
      revokeOnReuse: config.tasks.revokeOnReuse,
      defaultMaxDuration: config.tasks.defaultMaxDuration,
      maxDuration: config.tasks.maxDuration,
      maxDelegationDepth: config.tasks.maxDelegationDepth,
    },
    failures,
  )
  const sweepTimer = setInterval(() => lifecycle.sweepQuietly(), config.tasks.sweepInterval)
  sweepTimer.unref()

  const catalog = cacheFeed
    ? new CachedToolCatalog(store, clock, new StandingCache(cacheFeed, CATALOG_TABLES), chain)
    : new ToolCatalog(store, clock, chain)
  const operatorOidc = config.operators.oidc
  const operators = new Operators(
    store,
    chain,
    ids,
    clock,
    credential,
    operatorOidc ? new OidcOperators(operatorOidc, clock, logger) : undefined,
  )
  const engine = new PolicyEngine(logger, {
    validateRequests: config.policy.validateRequests,
    allowEmpty: config.policy.allowEmpty,
  })
  const policyDir = resolve(config.policy.dir ?? SHIPPED_POLICIES)
  const shadowDir = config.policy.shadow ? resolve(config.policy.shadow) : undefined
  // Decided beside the set in force, never enforced: the candidate directory, or the set as written when some of
  // its policies are `@mode("log_only")` (the set in force then has them inert).
  const shadow = new PolicyEngine(logger, {
    validateRequests: config.policy.validateRequests,
    allowEmpty: true,
  })
  let shadowing = false
  // The policy set is a function of the directory and the tool catalog (which types the per-tool actions):
  // whenever either changes, it is rebuilt; a set that fails is refused and the last good one keeps serving.
  const reloadPolicies = async (): Promise<LoadResult> => {
    const tools = await catalog.list()
    const written = readPolicyDirectory(policyDir)
    const { enforced, logOnly } = withoutLogOnly(written)
    const loaded = engine.load(enforced, tools)
    if (shadowDir || logOnly.length > 0) {
      const candidate = shadow.load(shadowDir ? readPolicyDirectory(shadowDir) : written, tools)
      if (!candidate.ok)
        logger.error('the shadow policy set does not load', {
          problems: candidate.problems.map(formatProblem),
        })
      shadowing = candidate.ok
    } else shadowing = false
    return loaded
  }
  const first = await reloadPolicies()
  if (!first.ok) {
    // Fail closed but keep serving: every request is denied until a valid set loads (`warden policy status`).
    logger.error('no valid policy set: every request is denied', {
      dir: policyDir,
      problems: first.problems.map(formatProblem),
    })
  }
  catalog.onChange(async () => {
    await reloadPolicies()
  })
  const watched = config.policy.watch
    ? [policyDir, ...(shadowDir ? [shadowDir] : [])].map((dir) =>
        watchPolicyDirectory(dir, () => {
          reloadPolicies().catch((error: unknown) =>
            logger.error('policy reload failed', { error: String(error) }),
          )
        }),
      )
    : []
  const stopWatching = () => {
    for (const stop of watched) stop()
  }
  const webhookSecrets = new WebhookSecrets(store, clock, secretsKey)
  const notifier = new WebhookNotifier(
    store,
    clock,
    ids,
    logger,
    config.owners,
    webhookSecrets,
    DEFAULT_OUTBOX,
  )
  const approvals = new Approvals(store, chain, clock, ids, logger, notifier, config.approvals.ttl, (task) =>
    leases.heldValues(task),
  )
  // Deliveries a stop left pending (a receiver down, a crash mid-attempt) are sent from now on.
  notifier.start()
  const memoryServers = new Set(
    Object.entries(config.upstreams)
      .filter(([, upstream]) => upstream.kind === 'memory')
      .map(([name]) => name),
  )
  const lookupTool: ToolLookup = async (server, name) => {
    const found = server ? await catalog.get(server, name) : undefined
    return found
      ? {
          definition: found.definition,
          traits: { memory: memoryServers.has(found.server), sensitivity: found.sensitivity },
        }
      : {}
  }
  /** Every record of a query, page by page, up to `max`. */
  const readChain = async (query: { task?: string; since?: number }, max: number) => {
    const records: ActivityEventV1[] = []
    let after = 0
    while (records.length < max) {
      const page = await chain.query({ ...query, after, limit: 10_000 })
      records.push(...page)
      if (page.length < 10_000) break
      after = page.at(-1)?.seq ?? after
    }
    return records
  }
  const warmedAt = (await chain.head()).seq
  const behaviourEngine = new BehaviourEngine({
    fingerprintKey: await openFingerprintKey(keyPlace),
    history: async (task) => behaviourEventsFrom(await readChain({ task }, 50_000), lookupTool),
  })
  // Agents' baselines survive a restart: rebuilt from the last 30 days of the chain (bounded).
  const definitions = new Map<string, ReturnType<ToolLookup>>()
  const cachedLookup: ToolLookup = (server, name) => {
    const key = `${server}\u0000${name}`
    const known = definitions.get(key)
    if (known) return known
    const found = lookupTool(server, name)
    definitions.set(key, found)
    return found
  }
  behaviourEngine.warmBaselines(
    await behaviourEventsFrom(
      (await readChain({ since: clock.now() - 30 * 86_400_000 }, 200_000)).filter(
        (record) => record.kind === 'tool.call' || record.kind === 'decision',
      ),
      cachedLookup,
    ),
  )
  const behaviour = cluster
    ? new ClusterBehaviour(behaviourEngine, new ChainReader(store), cachedLookup, cluster.own, warmedAt)
    : behaviourEngine
  chain.onAppend((events) => {
    // Signals raised outside the detectors (credential reuse, …) weigh on the task's risk; records of calls and
    // results observed live give their evidence a place; closed tasks are forgotten.
    for (const event of events) {
      if (event.task === null) continue
      if (event.kind === 'signal') {
        const body = event.body as {
          kind: string
          severity: 'low' | 'medium' | 'high' | 'critical'
          refs?: string[]
        }
        behaviourEngine.observe({
          kind: 'signal',
          seq: event.seq,
          task: event.task,
          signal: {
            kind: body.kind,
            severity: body.severity,
            summary: body.kind,
            evidence: [event.seq],
            refs: body.refs ?? [],
          },
        })
      } else if (event.kind === 'tool.call' || event.kind === 'tool.result') {
        // Observed live before it had a place in the chain: evidence names its record from now on.
        const call = (event.body as { call?: unknown }).call
        if (typeof call === 'string')
          behaviourEngine.observe({
            kind: 'recorded',
            seq: event.seq,
            task: event.task,
            call,
            event: event.kind,
          })
      } else if (event.kind === 'task.close') {
        behaviourEngine.forget(event.task)
      }
    }
  })
  const pipeline = new Pipeline(
    lifecycle,
    catalog,
    engine,
    reloadPolicies,
    new ArgumentValidator(),
    behaviour,
    chain,
    approvals,
    clock,
    ids,
    memoryServers,
    () => (shadowing ? shadow : undefined),
    new RateLimits(store, clock, config.limits),
  )

  const gateway = new Gateway(
    config.upstreams,
    catalog,
    pipeline,
    lifecycle,
    chain,
    approvals,
    config.approvals.hold,
    logger,
    config.server.jsonLimits,
  )

  const metrics = new WardenMetrics({ store, clock, chain, pipeline, lifecycle, gateway })
  metrics.instrument()
  const health = new Health({
    store,
    engine,
    gateway,
    chain,
    publicKey: parsePublicKey(signer.publicKeyPem),
    logger,
  })
  // What other nodes change reaches this one: caches of revocable state drop themselves (StandingCache); here
  // the rest follows — the tool catalog and policy set, held approvals, signing keys. A feed that comes back
  // after a gap (`resync`) may have missed anything: everything is read again.
  const announce = async (topic: string) => {
    if (cluster) await store.run(`SELECT pg_notify('warden', current_schema() || '.' || ?)`, [topic])
  }
  const reloadEverywhere = async (): Promise<LoadResult> => {
    const result = await reloadPolicies()
    await announce('policy')
    return result
  }
  const quietly = (what: string) => (error: unknown) =>
    logger.error(`${what} after a change on another node failed`, { error: String(error) })
  feed.onChange((change) => {
    const table = change.kind === 'table' ? change.table : undefined
    if (table === undefined || table === 'tools' || table === 'policy') {
      definitions.clear()
      reloadPolicies().catch(quietly('policy reload'))
    }
    if (table === undefined || table === 'approvals') approvals.wakeAnswered().catch(quietly('approvals'))
    if (table === undefined || table === 'shared_keys') keys.reload().catch(quietly('key reload'))
  })
  // A call held here is released when a human answers on any node: the feed wakes it at once; this catches an
  // answer that landed while the feed was down or before the call began to wait.
  const wakeTimer = cluster
    ? setInterval(() => approvals.wakeAnswered().catch(quietly('approvals')), 500)
    : undefined
  wakeTimer?.unref()

  let closing: Promise<void> | undefined
  return {
    config,
    clock,
    ids,
    logger,
    store,
    feed,
    chain,
    admin: credential,
    generatedAdminToken: generated,
    operators,
    identity: { events, agents, instances, joinTokens, keys, svids, proofs, attestation },
    tasks: { registry, tokens, lifecycle, leases, staticSecrets },
    gateway,
    approvals,
    webhooks: { notifier, secrets: webhookSecrets },
    operations: { health, metrics },
    catalog,
    policy: { engine, dir: policyDir, reload: reloadEverywhere },
    pipeline,
    close: () => {
      closing ??= (async () => {
        clearInterval(checkpointTimer)
        clearInterval(sweepTimer)
        health.stop()
        clearInterval(wakeTimer)
        stopWatching()
        await gateway.close()
        // Attempts in flight end; what is still pending stays in the outbox for the next start.
        await notifier.close()
        // The last checkpoint vouches for everything appended before shutdown.
        await chain
          .checkpoint()
          .catch((error: unknown) => logger.error('final checkpoint failed', { error: String(error) }))
        await Promise.all([...witnessing])
        await exporter
          ?.shutdown()
          .catch((error: unknown) => logger.error('otlp flush failed', { error: String(error) }))
        await feed.close()
        await store.close()
      })()
      return closing
    },
  }
}

/** The outside copies of checkpoints the config names (`chain.witness`). */
function checkpointWitnesses(config: Config): CheckpointWitness[] {
  const witness = config.chain.witness
  const witnesses: CheckpointWitness[] = []
  if (witness?.file) witnesses.push(fileWitness(resolve(witness.file)))
  if (witness?.url) witnesses.push(httpWitness(witness.url, witness.headers))
  return witnesses
}

/** Where the deployment's key material lives: files in the data directory, or the store every node shares. */
interface KeyPlace {
  /** The value stored as `name`; made by `create` (once per deployment) when there is none. */
  getOrCreate<T>(name: string, create: () => Promise<T>): Promise<T>
}

/** `keys/NAME.json` in the data directory (0600), created on first start. */
function fileKeyPlace(dataDir: string): KeyPlace {
  return {
    async getOrCreate<T>(name: string, create: () => Promise<T>) {
      const file = jsonKeyFile<T>(join(dataDir, 'keys', `${name}.json`))
      const stored = await file.load()
      if (stored !== undefined) return stored
      const value = await create()
      await file.save(value)
      return value
    },
  }
}

/**
 * The store shared by every node, sealed under the KEK. A deployment that ran one node on PostgreSQL before
 * keeps its keys: the first node started with the data directory that holds them brings them into the store.
 */
function sharedKeyPlace(shared: SharedKeys, dataDir: string): KeyPlace {
  return {
    async getOrCreate<T>(name: string, create: () => Promise<T>) {
      const local = jsonKeyFile<T>(join(dataDir, 'keys', `${name}.json`))
      const { value } = await shared.getOrCreate(name, async () => (await local.load()) ?? create())
      return value
    },
  }
}

/**
 * The deployment's checkpoint key (`chain-signing`), created on first start; its public half is written to
 * `keys/chain-public.pem` in the data directory, the key `warden chain verify` needs.
 */
async function openCheckpointSigner(place: KeyPlace, dataDir: string): Promise<CheckpointSigner> {
  const { privateJwk } = await place.getOrCreate('chain-signing', async () => ({
    privateJwk: (await CheckpointSigner.generate()).privateJwk,
  }))
  const signer = await CheckpointSigner.fromJwk(privateJwk)
  const pem = join(dataDir, 'keys', 'chain-public.pem')
  mkdirSync(dirname(pem), { recursive: true, mode: 0o700 })
  writeFileSync(pem, signer.publicKeyPem, { mode: 0o644 })
  return signer
}

/**
 * The key of behaviour fingerprints (values of outputs and baselines in the chain), created on first start.
 * Nodes sharing a store share it, as they share the chain.
 */
async function openFingerprintKey(place: KeyPlace): Promise<Buffer> {
  const { key } = await place.getOrCreate('fingerprint', async () => ({
    key: randomBytes(32).toString('base64url'),
  }))
  return Buffer.from(key, 'base64url')
}

/** The AES-256 key for static secrets, created on first start; nodes sharing a store share it. */
async function openSecretsKey(place: KeyPlace): Promise<Buffer> {
  const { key } = await place.getOrCreate('secrets', async () => ({
    key: randomBytes(32).toString('base64url'),
  }))
  return Buffer.from(key, 'base64url')
}
