import type { Fingerprinter } from './fingerprints.js'

/** Bounds of the baselines: how many agents, and how many fingerprints per agent (least recently used go). */
export const BASELINE_LIMITS = { agents: 1_000, printsPerAgent: 5_000 } as const

/** Tasks an agent must have completed calls in before its baseline speaks: a new agent has no habits yet. */
export const BASELINE_MIN_TASKS = 5

/** The agent a baseline belongs to: the SPIFFE ID without its instance (`spiffe://td/agent/<name>`), or a name. */
export function agentKey(agent: string): string {
  let key = agentKeys.get(agent)
  if (key === undefined) {
    key = /^spiffe:\/\/[^/]+\/agent\/([^/]+)/.exec(agent)?.[1] ?? agent
    if (agentKeys.size >= BASELINE_LIMITS.agents) agentKeys.clear()
    agentKeys.set(agent, key)
  }
  return key
}

/** Recent `agentKey` answers: the same instances call again and again (bounded, cleared when full). */
const agentKeys = new Map<string, string>()

interface Baseline {
  /** Fingerprint → the task that first used it. */
  prints: Map<string, string>
  tasks: Set<string>
}

/**
 * Each agent's habits across tasks (OWASP ASI01 #7, ASI10): the targets its allowed calls reached and the tool
 * steps it took, as keyed fingerprints — never the values. Bounded in agents and in fingerprints per agent;
 * rebuilt from the activity chain after a restart.
 */
export class AgentBaselines {
  private readonly agents = new Map<string, Baseline>()
  /** The last entry of `agents` (the most recently used). */
  private recent: { key: string; baseline: Baseline } | undefined

  constructor(
    private readonly fingerprints: Fingerprinter,
    private readonly limits: { agents: number; printsPerAgent: number } = BASELINE_LIMITS,
  ) {}

  private baseline(agent: string): Baseline {
    const key = agentKey(agent)
    // Already the most recently used: nothing to move.
    if (key === this.recent?.key) return this.recent.baseline
    let baseline = this.agents.get(key)
    if (baseline) {
      // Least recently used last out: touch on use.
      this.agents.delete(key)
    } else {
      baseline = { prints: new Map(), tasks: new Set() }
    }
    this.agents.set(key, baseline)
    if (this.agents.size > this.limits.agents) this.agents.delete(this.agents.keys().next().value as string)
    // Kept only while it is still held (a limit of 0 agents holds none).
    this.recent = this.agents.has(key) ? { key, baseline } : undefined
    return baseline
  }

  /** Remembers what an allowed call of `task` used: `kind` names the space (`target`, `domain`, `step`). */
  learn(agent: string, task: string, kind: string, values: readonly string[]): void {
    const baseline = this.baseline(agent)
    baseline.tasks.add(task)
    // Only whether the minimum was reached matters: the set stays small.
    if (baseline.tasks.size > BASELINE_MIN_TASKS * 4)
      baseline.tasks.delete(baseline.tasks.values().next().value as string)
    for (const value of values) {
      const print = this.fingerprints.of(`${kind}:${value}`)
      const first = baseline.prints.get(print)
      baseline.prints.delete(print)
      baseline.prints.set(print, first ?? task)
      if (baseline.prints.size > this.limits.printsPerAgent)
        baseline.prints.delete(baseline.prints.keys().next().value as string)
    }
  }

  /**
   * The values this agent never used in an earlier task. Empty while the agent has too little history to have a
   * baseline (novelty of everything is no signal).
   */
  novel(agent: string, task: string, kind: string, values: readonly string[]): string[] {
    const baseline = this.agents.get(agentKey(agent))
    if (!baseline || baseline.tasks.size < BASELINE_MIN_TASKS) return []
    return values.filter((value) => {
      const first = baseline.prints.get(this.fingerprints.of(`${kind}:${value}`))
      return first === undefined || first === task
    })
  }
}
