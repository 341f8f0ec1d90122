import {
  type Agent,
  AgentRegistry,
  type IdentityEvents,
  type Instance,
  InstanceRegistry,
} from '../identity/index.js'
import type { Clock } from '../kernel/index.js'
import type { Store } from '../store/index.js'
import { type Task, TaskRegistry, type TaskStanding } from '../tasks/index.js'
import type { ChangeFeed } from './change-feed.js'

/** Tables whose changes can revoke something a node cached (a task closed, an instance quarantined, …). */
export const REVOKING_TABLES: ReadonlySet<string> = new Set(['tasks', 'instances', 'agents'])

/**
 * What a node caches of tasks, instances and agents between requests, dropped whole the moment any of them
 * changes anywhere (the change feed) or here. While the feed is down nothing is served from it: every use reads
 * the store (fail closed, never stale).
 */
export class StandingCache {
  private readonly entries = new Map<string, unknown>()
  /** Bumped at each drop: a read that began before a drop must not fill the cache with what it read. */
  private generation = 0

  constructor(
    private readonly feed: ChangeFeed,
    private readonly max = 50_000,
  ) {
    feed.onChange((change) => {
      if (change.kind === 'resync' || REVOKING_TABLES.has(change.table)) this.drop()
    })
  }

  /** The cached value for `key`, or what `load` reads (cached when the feed is live and nothing dropped meanwhile). */
  async read<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (!this.feed.live) return load()
    if (this.entries.has(key)) return this.entries.get(key) as T
    const generation = this.generation
    const value = await load()
    if (value !== undefined && generation === this.generation && this.feed.live) {
      if (this.entries.size >= this.max) this.entries.clear()
      this.entries.set(key, value)
    }
    return value
  }

  /** Forgets everything cached. */
  drop(): void {
    this.generation += 1
    this.entries.clear()
  }
}

/** The task registry with reads served from a `StandingCache`; closing drops the cache before it returns. */
export class CachedTaskRegistry extends TaskRegistry {
  constructor(
    store: Store,
    clock: Clock,
    private readonly cache: StandingCache,
  ) {
    super(store, clock)
  }

  override get(id: string): Promise<Task | undefined> {
    return this.cache.read(`task:${id}`, () => super.get(id))
  }

  /** A task's standing along its whole delegation path; any quarantine, disable or close drops every entry. */
  override standing(task: Pick<Task, 'id' | 'path'>): Promise<TaskStanding | undefined> {
    return this.cache.read(`standing:${task.id}`, () => super.standing(task))
  }

  override async closeTree(task: Task, reason: string): Promise<Task[]> {
    this.cache.drop()
    try {
      return await super.closeTree(task, reason)
    } finally {
      this.cache.drop()
    }
  }
}

/** The instance registry with reads served from a `StandingCache`; a quarantine drops it. */
export class CachedInstanceRegistry extends InstanceRegistry {
  constructor(
    store: Store,
    clock: Clock,
    events: IdentityEvents,
    private readonly cache: StandingCache,
  ) {
    super(store, clock, events)
  }

  override get(id: string): Promise<Instance | undefined> {
    return this.cache.read(`instance:${id}`, () => super.get(id))
  }

  override async quarantine(id: string, reason: string, operator?: string): Promise<Instance> {
    this.cache.drop()
    try {
      return await super.quarantine(id, reason, operator)
    } finally {
      this.cache.drop()
    }
  }
}

/** The agent registry with reads served from a `StandingCache`; disabling or enabling drops it. */
export class CachedAgentRegistry extends AgentRegistry {
  constructor(
    store: Store,
    clock: Clock,
    events: IdentityEvents,
    private readonly cache: StandingCache,
  ) {
    super(store, clock, events)
  }

  override get(name: string): Promise<Agent | undefined> {
    return this.cache.read(`agent:${name}`, () => super.get(name))
  }

  override async setStatus(name: string, status: Agent['status']): Promise<Agent> {
    this.cache.drop()
    try {
      return await super.setStatus(name, status)
    } finally {
      this.cache.drop()
    }
  }
}
