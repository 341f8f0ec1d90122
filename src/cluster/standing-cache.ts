import { type CatalogTool, type Sensitivity, ToolCatalog } from '../catalog/index.js'
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

/** The table the tool catalog reads: a re-pinned or quarantined tool drops what was cached of it. */
export const CATALOG_TABLES: ReadonlySet<string> = new Set(['tools'])

/**
 * What a node caches of some tables between requests (by default tasks, instances and agents), dropped whole the
 * moment any of them changes anywhere (the change feed) or here. While the feed is down nothing is served from it:
 * every use reads the store (fail closed, never stale).
 */
export class StandingCache {
  private readonly entries = new Map<string, unknown>()
  /** Bumped at each drop: a read that began before a drop must not fill the cache with what it read. */
  private generation = 0

  constructor(
    private readonly feed: ChangeFeed,
    tables: ReadonlySet<string> = REVOKING_TABLES,
    private readonly max = 50_000,
  ) {
    feed.onChange((change) => {
      if (change.kind === 'resync' || tables.has(change.table)) this.drop()
    })
  }

  /** The cached value for `key`, or what `load` reads (cached when the feed is live and nothing dropped meanwhile). */
  async read<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    this.feed.poll?.()
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

  override async quarantine(id: string, reason: string): Promise<Instance> {
    this.cache.drop()
    try {
      return await super.quarantine(id, reason)
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

/** The tool catalog with reads served from a `StandingCache` over the `tools` table; its own changes drop it. */
export class CachedToolCatalog extends ToolCatalog {
  constructor(
    store: Store,
    clock: Clock,
    private readonly cache: StandingCache,
  ) {
    super(store, clock)
  }

  override get(server: string, name: string): Promise<CatalogTool | undefined> {
    return this.cache.read(`tool:${server}/${name}`, () => super.get(server, name))
  }

  override async serversOf(name: string): Promise<string[]> {
    return (await this.cache.read(`servers:${name}`, () => super.serversOf(name))) ?? []
  }

  override async list(server?: string): Promise<CatalogTool[]> {
    return (await this.cache.read(`list:${server ?? ''}`, () => super.list(server))) ?? []
  }

  override sync(...args: Parameters<ToolCatalog['sync']>): ReturnType<ToolCatalog['sync']> {
    return this.dropping(() => super.sync(...args))
  }

  override approve(server: string, name: string): Promise<CatalogTool> {
    return this.dropping(() => super.approve(server, name))
  }

  override setSensitivity(server: string, name: string, sensitivity: Sensitivity): Promise<CatalogTool> {
    return this.dropping(() => super.setSensitivity(server, name, sensitivity))
  }

  private async dropping<T>(change: () => Promise<T>): Promise<T> {
    this.cache.drop()
    try {
      return await change()
    } finally {
      this.cache.drop()
    }
  }
}
