import { createHash } from 'node:crypto'
import type { ActivityChain } from '../chain/index.js'
import { canonicalJson } from '../chain/index.js'
import type {
  Agent,
  AgentRegistry,
  AuthFailures,
  Instance,
  InstanceRegistry,
  ProofContext,
  ProofVerifier,
  SvidAuthority,
  Tier,
} from '../identity/index.js'
import { type Clock, epochSeconds, type IdSource, type Logger, WardenError } from '../kernel/index.js'
import type { Lease, Leases } from './leases.js'
import type { ActorChain, Intent, Task, TaskRegistry } from './task-registry.js'
import type { TaskTokenClaims, TaskTokens } from './task-tokens.js'
import { stricterTier } from './tier-order.js'

export interface TaskPolicy {
  tokenTtl: Record<Tier, number>
  proofRequired: readonly Tier[]
  revokeOnReuse: readonly Tier[]
  defaultMaxDuration: number
  maxDuration: number
  maxDelegationDepth: number
}

/** A task token that checked out, with everything behind it. */
export interface AuthenticatedTask {
  claims: TaskTokenClaims
  task: Task
  instance: Instance
  agent: Agent
  /** True when the request carried a valid proof of possession of the bound key. */
  proven: boolean
}

/** A freshly issued task token. */
export interface IssuedTaskToken {
  taskId: string
  token: string
  expiresAt: number
  scope: string[]
  tier: Tier
}

/** RFC 8693 token-exchange parameters (§2.1). */
export interface ExchangeRequest {
  grantType: string
  subjectToken: string
  subjectTokenType: string
  actorToken: string
  actorTokenType: string
  scope?: string | undefined
  /** RFC 8693 §2.1 `requested_token_type`; only an access token is issued. */
  requestedTokenType?: string | undefined
  /** RFC 8693 §2.1 `audience` values; only the task audience is honoured, anything else is `TARGET_INVALID`. */
  audience?: readonly string[] | undefined
  /** RFC 8707 / RFC 8693 §2.1 `resource` values; task tokens are not per resource, so any is `TARGET_INVALID`. */
  resource?: readonly string[] | undefined
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN_TYPES = [
  'urn:ietf:params:oauth:token-type:access_token',
  'urn:ietf:params:oauth:token-type:jwt',
]
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt'

/** Every actor of an RFC 8693 §4.1 chain, current first. */
function actors(chain: ActorChain | null | undefined): string[] {
  const subs: string[] = []
  for (let link = chain; link; link = link.act) subs.push(link.sub)
  return subs
}

/** Runs `work`, naming the request parameter its failure is about (the token endpoint's OAuth error). */
async function param<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (!(error instanceof WardenError) || error.code === 'STORE_UNAVAILABLE' || error.code === 'INTERNAL')
      throw error
    throw new WardenError(error.code, error.message, { cause: error, details: { param: name } })
  }
}

function digestIntent(intent: Intent): string {
  return `sha256:${createHash('sha256').update(canonicalJson(intent)).digest('hex')}`
}

/**
 * The life of a task and its credentials: open with a declared intent, short-lived tokens bound to the
 * instance's key, checks on every use, delegation that only narrows, revocation of the whole subtree and its
 * leases at close, and a sweep that ends tasks past their maximum duration.
 */
export class TaskLifecycle {
  constructor(
    private readonly tasks: TaskRegistry,
    private readonly tokens: TaskTokens,
    private readonly leases: Leases,
    private readonly svids: SvidAuthority,
    private readonly proofs: ProofVerifier,
    private readonly agents: AgentRegistry,
    private readonly instances: InstanceRegistry,
    private readonly chain: ActivityChain,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly logger: Logger,
    private readonly policy: TaskPolicy,
    private readonly failures?: AuthFailures,
  ) {}

  /** Runs `work`; a refusal is recorded (rate-bounded, `auth.fail`) before it is rethrown. */
  private async recorded<T>(what: string, context: ProofContext, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      this.failures?.record(error, { what, method: context.method, url: context.url })
      throw error
    }
  }

  private readonly closeListeners: Array<(ended: readonly Task[]) => void> = []

  /**
   * Calls `listener` with the tasks each close in this process ends (the gateway drops their MCP sessions and
   * upstream connections). Closes on other nodes are seen at the next check of the task's standing.
   */
  onClose(listener: (ended: readonly Task[]) => void): void {
    this.closeListeners.push(listener)
  }

  /** Opens a task for the instance that presents `svid` with a proof of its key. */
  async open(svid: string, context: ProofContext, intent: Intent): Promise<IssuedTaskToken> {
    return this.recorded('svid', context, () => this.openOnce(svid, context, intent))
  }

  private async openOnce(svid: string, context: ProofContext, intent: Intent): Promise<IssuedTaskToken> {
    const { instance, agent } = await this.svids.verify(svid)
    await this.proofs.verify(context.proof, {
      method: context.method,
      url: context.url,
      jkt: instance.jkt,
      accessToken: svid,
      scheme: context.scheme,
    })
    const tools = intent.tools ?? [...agent.entitlements]
    const unentitled = tools.filter((tool) => !agent.entitlements.includes(tool))
    if (unentitled.length > 0) {
      throw new WardenError(
        'TOOL_NOT_ENTITLED',
        `agent \`${agent.name}\` is not entitled to \`${unentitled.join('`, `')}\``,
      )
    }
    const maxDuration = Math.min(
      intent.maxDuration ?? this.policy.defaultMaxDuration,
      this.policy.maxDuration,
    )
    const declared: Intent = { ...intent, tools, maxDuration }
    const id = this.ids.id()
    const task = await this.tasks.create({
      id,
      agent: agent.name,
      instanceId: instance.id,
      spiffeId: instance.spiffeId,
      principal: instance.spiffeId,
      parent: null,
      path: `/${id}`,
      depth: 0,
      tier: agent.tier,
      scope: tools,
      intent: declared,
      intentDigest: digestIntent(declared),
      act: null,
      expiresAt: this.clock.now() + maxDuration,
    })
    await this.chain.append({
      kind: 'task.open',
      task: task.id,
      agent: task.spiffeId,
      body: {
        agent: agent.name,
        tier: task.tier,
        intent: declared,
        intentDigest: task.intentDigest,
        expiresAt: task.expiresAt,
        // The task's own opening time (policies read its age); the record's ts comes after the task's write.
        openedAt: task.openedAt,
      },
    })
    return this.issue(task, instance.jkt)
  }

  /**
   * Mints a token for `task` no longer-lived than its tier allows, its task, and `notAfter` (seconds). It is bound
   * to `jkt` (`cnf.jkt`) when the tier requires proofs, and then needs one on every use; a tier that does not gets
   * an unbound token (RFC 9449 §7.1: a bound token is never accepted as a bearer token, so binding one that is
   * not checked would only pretend).
   */
  private async issue(task: Task, jkt: string, notAfter?: number): Promise<IssuedTaskToken> {
    const now = epochSeconds(this.clock)
    const exp = Math.min(
      now + Math.floor(this.policy.tokenTtl[task.tier] / 1000),
      Math.floor(task.expiresAt / 1000),
      notAfter ?? Number.POSITIVE_INFINITY,
    )
    const bound = this.policy.proofRequired.includes(task.tier)
    const minted = await this.tokens.mint(task, bound ? jkt : undefined, exp)
    await this.chain.append({
      kind: 'token.issue',
      task: task.id,
      agent: task.spiffeId,
      body: {
        jti: minted.jti,
        expiresAt: minted.expiresAt,
        scope: task.scope,
        tier: task.tier,
        jkt: bound ? jkt : null,
      },
    })
    return {
      taskId: task.id,
      token: minted.token,
      expiresAt: minted.expiresAt,
      scope: task.scope,
      tier: task.tier,
    }
  }

  /**
   * Checks a task token on use: signature, type, audience, expiry, the task still open, the instance and agent
   * of the task and of every task above it (the delegation path) in good standing, and — whenever the token is
   * bound (`cnf.jkt`) — the `DPoP` scheme and a DPoP proof bound to the token (`ath`) by that key (RFC 9449 §7.1).
   * A proof by another key is credential reuse: refused, recorded as a signal, and for the tiers in
   * `revokeOnReuse` the task is revoked.
   */
  async authenticate(
    token: string,
    context: ProofContext,
    /**
     * This task's caller as authenticated earlier in this process (an MCP session's): only what can have changed
     * since is read again (`reread`), not the task, instance and agent in full. Ignored for another task.
     */
    known?: AuthenticatedTask,
  ): Promise<AuthenticatedTask> {
    return this.recorded('task_token', context, () => this.authenticateOnce(token, context, known))
  }

  private async authenticateOnce(
    token: string,
    context: ProofContext,
    known: AuthenticatedTask | undefined,
  ): Promise<AuthenticatedTask> {
    const claims = await this.tokens.verify(token)
    const again = known?.task.id === claims.task ? await this.reread({ ...known, claims }) : undefined
    const task = again?.task ?? (await this.tasks.require(claims.task))
    await this.ensureOpen(task)
    const bound = claims.cnf?.jkt
    // A tier that requires proofs never takes an unbound token (one minted before the tier's rule changed).
    if (bound === undefined && this.policy.proofRequired.includes(task.tier)) {
      throw new WardenError('TOKEN_CLAIMS_INVALID', 'the task token is not bound to a key (`cnf.jkt`)')
    }
    // INVARIANT: the proof before the instance's and agent's standing — a token presented with another key is
    // credential reuse (recorded, and the task revoked) whatever their standing, and a caller without the key
    // learns nothing of it. A bound token always needs its proof, whatever the tier (RFC 9449 §7.1).
    if (bound !== undefined) {
      const proof = await this.proofs.verify(context.proof, {
        method: context.method,
        url: context.url,
        accessToken: token,
        scheme: context.scheme,
      })
      if (proof.jkt !== bound) await this.refuseReuse(task, claims, bound, proof.jkt)
    }
    const proven = bound !== undefined
    const caller = again ?? {
      claims,
      task,
      instance: await this.instances.require(task.instanceId),
      agent: await this.agents.require(task.agent),
      proven,
    }
    this.ensureStanding(caller)
    // The delegation path: a disabled agent or a quarantined instance above this task stops its delegations too.
    if (!again && task.depth > 0) await this.ensurePathStanding(task)
    return { ...caller, proven }
  }

  /**
   * Re-checks a caller authenticated earlier in this process, for a channel that only that caller can use (the
   * stdio gateway, whose process holds the instance's key): the token must not have expired, and the task, its
   * instance and agent must still be in good standing. Proofs and signatures are not re-verified.
   */
  async recheck(caller: AuthenticatedTask): Promise<AuthenticatedTask> {
    if (this.clock.now() >= caller.claims.exp * 1000) {
      throw new WardenError('TOKEN_EXPIRED', 'the task token has expired')
    }
    const current = await this.reread(caller)
    await this.ensureOpen(current.task)
    this.ensureStanding(current)
    return current
  }

  /**
   * The caller with what can have changed since read again: one indexed read (the rest is fixed at creation). The
   * instance's and agent's standing is the worst along the delegation path.
   */
  private async reread(caller: AuthenticatedTask): Promise<AuthenticatedTask> {
    const now = await this.tasks.standing(caller.task)
    if (!now) throw new WardenError('TASK_NOT_FOUND', `no task \`${caller.task.id}\``)
    return {
      ...caller,
      task: { ...caller.task, status: now.status, closeReason: now.closeReason, closedAt: now.closedAt },
      instance: { ...caller.instance, status: now.instanceStatus },
      agent: { ...caller.agent, status: now.agentStatus },
    }
  }

  /** Throws unless the task is open; closes it when its maximum duration has passed. */
  private async ensureOpen(task: Task): Promise<void> {
    if (task.status !== 'open') throw new WardenError('TASK_CLOSED', `task \`${task.id}\` has ended`)
    if (this.clock.now() >= task.expiresAt) {
      await this.close(task, 'maximum duration reached')
      throw new WardenError('TASK_CLOSED', `task \`${task.id}\` has ended`)
    }
  }

  /** Throws unless every task on `task`'s delegation path has its instance active and its agent enabled. */
  private async ensurePathStanding(task: Pick<Task, 'id' | 'path'>): Promise<void> {
    const standing = await this.tasks.standing(task)
    if (!standing) throw new WardenError('TASK_NOT_FOUND', `no task \`${task.id}\``)
    this.ensureStanding({
      instance: { id: standing.blockedBy?.instance ?? '', status: standing.instanceStatus },
      agent: { name: standing.blockedBy?.agent ?? '', status: standing.agentStatus },
    })
  }

  private ensureStanding({
    instance,
    agent,
  }: {
    instance: Pick<Instance, 'id' | 'status'>
    agent: Pick<Agent, 'name' | 'status'>
  }): void {
    if (instance.status !== 'active')
      throw new WardenError('INSTANCE_QUARANTINED', `instance \`${instance.id}\` is quarantined`)
    if (agent.status !== 'active')
      throw new WardenError('AGENT_DISABLED', `agent \`${agent.name}\` is disabled`)
  }

  private async refuseReuse(
    task: Task,
    claims: TaskTokenClaims,
    boundJkt: string,
    presentedJkt: string,
  ): Promise<never> {
    const other = (await this.instances.list()).find((candidate) => candidate.jkt === presentedJkt)
    const revoke = this.policy.revokeOnReuse.includes(task.tier)
    await this.chain.append({
      kind: 'signal',
      task: task.id,
      agent: task.spiffeId,
      body: {
        kind: 'credential_reuse',
        severity: 'high',
        evidence: {
          jti: claims.jti,
          boundJkt,
          presentedJkt,
          otherInstance: other?.spiffeId ?? null,
        },
        refs: ['OWASP-NHI:NHI7', 'OWASP-ASI:ASI03'],
        action: revoke ? 'task revoked' : 'refused',
      },
    })
    if (revoke) await this.close(task, 'credential reuse detected')
    throw new WardenError('CREDENTIAL_REUSE', 'the task token was presented by a key it is not bound to')
  }

  /** A fresh token for an open task, presented with its current token. */
  async refresh(token: string, context: ProofContext): Promise<IssuedTaskToken> {
    const { task, claims, instance } = await this.authenticate(token, context)
    return this.issue(task, claims.cnf?.jkt ?? instance.jkt)
  }

  /** Closes `task` and every descendant, revokes their tokens and leases at once. */
  async close(task: Task, reason: string): Promise<Task[]> {
    const closed = await this.tasks.closeTree(task, reason)
    for (const ended of closed) {
      await this.chain.append({
        kind: 'task.close',
        task: ended.id,
        agent: ended.spiffeId,
        body: { reason: ended.id === task.id ? reason : `ancestor \`${task.id}\` closed`, closedBy: task.id },
      })
      await this.chain.append({
        kind: 'token.revoke',
        task: ended.id,
        agent: ended.spiffeId,
        body: { reason: 'task closed' },
      })
    }
    await this.leases.revokeFor(closed)
    for (const listener of this.closeListeners) {
      try {
        listener(closed)
      } catch (error) {
        this.logger.error('a task close listener failed', { error: String(error) })
      }
    }
    return closed
  }

  /** Closes the task a caller names, if the caller's token belongs to it or to one of its ancestors. */
  async closeAsHolder(taskId: string, token: string, context: ProofContext, reason: string): Promise<Task[]> {
    const target = await this.tasks.require(taskId)
    const caller = await this.authenticate(token, context)
    const own = caller.task.id === target.id || target.path.startsWith(`${caller.task.path}/`)
    if (!own) throw new WardenError('FORBIDDEN', `the token's task may not close task \`${taskId}\``)
    return this.close(target, reason)
  }

  /**
   * RFC 8693 token exchange for delegation: the sub-agent instance presents the parent's task token
   * (`subject_token`), its own SVID (`actor_token`) and a DPoP proof by its key; it receives a child task token
   * that can only narrow: scope within the parent's and its own entitlements, never outliving the parent, a tier
   * no weaker, within the depth limit, and only to an agent the parent's registry entry may delegate to.
   */
  async exchange(request: ExchangeRequest, context: ProofContext): Promise<IssuedTaskToken> {
    return this.recorded('token_exchange', context, () => this.exchangeOnce(request, context))
  }

  private async exchangeOnce(request: ExchangeRequest, context: ProofContext): Promise<IssuedTaskToken> {
    if (request.grantType !== TOKEN_EXCHANGE) {
      throw new WardenError('UNSUPPORTED_GRANT', `grant type \`${request.grantType}\``, {
        details: { param: 'grant_type' },
      })
    }
    if (!ACCESS_TOKEN_TYPES.includes(request.subjectTokenType) || request.actorTokenType !== JWT_TYPE) {
      throw new WardenError('UNSUPPORTED_GRANT', 'unsupported subject or actor token type')
    }
    if (request.requestedTokenType !== undefined && request.requestedTokenType !== ACCESS_TOKEN_TYPES[0]) {
      throw new WardenError('UNSUPPORTED_GRANT', 'only access tokens are issued (`requested_token_type`)')
    }
    // RFC 8693 §2.2.2: a target Warden cannot mint for is `invalid_target`, never silently ignored.
    const foreign = (request.audience ?? []).find((audience) => audience !== this.tokens.audience)
    if (foreign !== undefined || (request.resource ?? []).length > 0) {
      throw new WardenError('TARGET_INVALID', 'task tokens are issued for the task audience only')
    }
    // The subject token: Warden's own task token, its task open, and its delegation path standing.
    const { parentClaims, parent } = await param('subject_token', async () => {
      const parentClaims = await this.tokens.verify(request.subjectToken)
      const parent = await this.tasks.require(parentClaims.task)
      if (parent.status !== 'open' || this.clock.now() >= parent.expiresAt) {
        throw new WardenError('TASK_CLOSED', `task \`${parent.id}\` has ended`)
      }
      await this.ensurePathStanding(parent)
      return { parentClaims, parent }
    })
    // The actor token and the proof authenticate the client: the sub-agent instance holding the key.
    const actor = await param('actor_token', () => this.svids.verify(request.actorToken))
    await this.proofs.verify(context.proof, {
      method: context.method,
      url: context.url,
      jkt: actor.instance.jkt,
    })
    // A delegation cycle (A → B → A): an instance already on the path never acts in it again.
    const onPath = new Set([parent.principal, ...actors(parent.act)])
    if (onPath.has(actor.instance.spiffeId)) {
      throw new WardenError(
        'DELEGATION_CYCLE',
        `instance \`${actor.instance.spiffeId}\` is already on the delegation path`,
      )
    }

    const parentAgent = await this.agents.require(parent.agent)
    if (!parentAgent.delegatesTo.includes(actor.agent.name)) {
      throw new WardenError(
        'DELEGATION_NOT_ALLOWED',
        `agent \`${parent.agent}\` may not delegate to \`${actor.agent.name}\``,
      )
    }
    if (parent.depth + 1 > this.policy.maxDelegationDepth) {
      throw new WardenError(
        'DELEGATION_TOO_DEEP',
        `delegation depth would exceed ${this.policy.maxDelegationDepth}`,
      )
    }
    // Without a requested scope the child gets what both the parent holds and the sub-agent is entitled to.
    const scope =
      request.scope === undefined
        ? parent.scope.filter((tool) => actor.agent.entitlements.includes(tool))
        : request.scope.split(' ').filter(Boolean)
    const widened = scope.filter(
      (tool) => !parent.scope.includes(tool) || !actor.agent.entitlements.includes(tool),
    )
    if (widened.length > 0)
      throw new WardenError('SCOPE_WIDENED', `scope \`${widened.join('`, `')}\` is not held`)
    const act: ActorChain = parent.act
      ? { sub: actor.instance.spiffeId, act: parent.act }
      : { sub: actor.instance.spiffeId, act: { sub: parent.spiffeId } }
    const id = this.ids.id()
    const intent: Intent = { ...parent.intent, tools: scope }
    const child = await this.tasks.create({
      id,
      agent: actor.agent.name,
      instanceId: actor.instance.id,
      spiffeId: actor.instance.spiffeId,
      principal: parent.principal,
      parent: parent.id,
      path: `${parent.path}/${id}`,
      depth: parent.depth + 1,
      tier: stricterTier(parent.tier, actor.agent.tier),
      scope,
      intent,
      intentDigest: digestIntent(intent),
      act,
      expiresAt: parent.expiresAt,
    })
    await this.chain.append({
      kind: 'delegation',
      task: parent.id,
      agent: parent.spiffeId,
      body: {
        child: child.id,
        to: actor.instance.spiffeId,
        scope,
        tier: child.tier,
        depth: child.depth,
        act,
      },
    })
    await this.chain.append({
      kind: 'task.open',
      task: child.id,
      agent: child.spiffeId,
      body: {
        agent: child.agent,
        tier: child.tier,
        parent: parent.id,
        intentDigest: child.intentDigest,
        expiresAt: child.expiresAt,
        openedAt: child.openedAt,
      },
    })
    return this.issue(child, actor.instance.jkt, parentClaims.exp)
  }

  /** Leases a secret to the task the token belongs to. */
  async lease(token: string, context: ProofContext, taskId: string, secret: string): Promise<Lease> {
    const { task } = await this.authenticate(token, context)
    if (task.id !== taskId)
      throw new WardenError('FORBIDDEN', `the token is for another task than \`${taskId}\``)
    return this.leases.lease(task, secret)
  }

  /** Closes tasks past their maximum duration and revokes leases left behind. */
  async sweep(): Promise<void> {
    for (const task of await this.tasks.overdue()) {
      const fresh = await this.tasks.get(task.id)
      if (fresh?.status === 'open') await this.close(fresh, 'maximum duration reached')
    }
    await this.leases.sweep()
  }

  /** Logs sweep failures instead of throwing (for timers). */
  sweepQuietly(): void {
    this.sweep().catch((error: unknown) => this.logger.error('task sweep failed', { error: String(error) }))
  }
}
