import type { KeyObject } from 'node:crypto'
import type { CatalogTool } from '../catalog/index.js'
import type { ActivityEventV1, ChainQuery, ChainSource } from '../chain/index.js'
import type { Agent, Tier } from '../identity/index.js'
import type { TierTemplate } from './tier-template.js'

/** What the reports read of the chain: queries, and the raw rows and checkpoints verification needs. */
export interface ReportChain extends ChainSource {
  query(query: ChainQuery): Promise<ActivityEventV1[]>
}

/**
 * Everything a report is made from, read-only: the registry, the catalog's tools probed against the policy set
 * in force (the tier template), the delegation depth limit, and the chain with the key that verifies it. The
 * CLI builds it from a data directory (offline), the API from the running Warden.
 */
export interface ReportSources {
  agents(): Promise<Agent[]>
  tools(): Promise<CatalogTool[]>
  template(tools: readonly CatalogTool[]): TierTemplate
  maxDelegationDepth: number
  chain: ReportChain
  /** The deployment's checkpoint key; without it the chain's verification is reported as not done. */
  publicKey: { key: KeyObject; pem: string } | undefined
  now(): number
}

/** A reporting period, in milliseconds since the epoch (`until` exclusive). */
export interface Period {
  since: number
  until: number
}

/** What the chain says of a task: who ran it, at what tier, under which parent. */
export interface TaskFacts {
  id: string
  agent: string
  tier: Tier
  parent: string | null
  /** The `task.open` record. */
  seq: number
}

/** The period's records, and the facts of every task they mention (opened in the period or before). */
export interface PeriodRecords {
  period: Period
  records: ActivityEventV1[]
  tasks: Map<string, TaskFacts>
  /** True when the period held more records than a report reads (`MAX_RECORDS`). */
  truncated: boolean
}

/** The most records one report reads. */
export const MAX_RECORDS = 500_000
const PAGE = 10_000

/** The agent name in an instance's or agent's SPIFFE ID (`spiffe://<td>/agent/<name>[/<instance>]`). */
export function agentOfSpiffeId(spiffeId: string | null): string | undefined {
  const match = spiffeId ? /^spiffe:\/\/[^/]+\/agent\/([^/]+)/.exec(spiffeId) : null
  return match?.[1]
}

function taskFacts(event: ActivityEventV1): TaskFacts | undefined {
  if (event.kind !== 'task.open' || event.task === null) return undefined
  const body = event.body as { agent?: string; tier?: Tier; parent?: string }
  return {
    id: event.task,
    agent: body.agent ?? agentOfSpiffeId(event.agent) ?? '?',
    tier: body.tier ?? 'standard',
    parent: body.parent ?? null,
    seq: event.seq,
  }
}

/**
 * Reads the period's records in chain order, then the `task.open` of every task they name that opened before
 * the period (and of its ancestors), so a call or a delegation is always attributed to its path.
 */
export async function readPeriod(chain: ReportChain, period: Period): Promise<PeriodRecords> {
  const records: ActivityEventV1[] = []
  let after = 0
  let truncated = false
  for (;;) {
    const page = await chain.query({ since: period.since, until: period.until, after, limit: PAGE })
    records.push(...page)
    if (page.length < PAGE) break
    if (records.length >= MAX_RECORDS) {
      truncated = true
      break
    }
    after = page.at(-1)?.seq ?? after
  }
  const tasks = new Map<string, TaskFacts>()
  for (const event of records) {
    const facts = taskFacts(event)
    if (facts) tasks.set(facts.id, facts)
  }
  const wanted = [
    ...new Set([
      ...records.map((event) => event.task).filter((task): task is string => task !== null),
      ...[...tasks.values()].map((facts) => facts.parent).filter((task): task is string => task !== null),
    ]),
  ]
  while (wanted.length > 0) {
    const task = wanted.pop() as string
    if (tasks.has(task)) continue
    const [opened] = await chain.query({ task, kind: 'task.open', limit: 1 })
    const facts = opened && taskFacts(opened)
    if (!facts) continue
    tasks.set(facts.id, facts)
    if (facts.parent) wanted.push(facts.parent)
  }
  return { period, records, tasks, truncated }
}

/** The agents on a task's delegation path, root first. */
export function agentPath(tasks: ReadonlyMap<string, TaskFacts>, task: string): string[] {
  const path: string[] = []
  const seen = new Set<string>()
  let current = tasks.get(task)
  while (current && !seen.has(current.id)) {
    seen.add(current.id)
    path.unshift(current.agent)
    current = current.parent ? tasks.get(current.parent) : undefined
  }
  return path
}
