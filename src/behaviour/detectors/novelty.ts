import type { ToolDefinition } from '../../catalog/index.js'
import type { AgentBaselines } from '../agent-baseline.js'
import type { Signal } from '../signals.js'
import type { TaskState } from '../task-state.js'
import { isWrite } from '../task-state.js'
import { canonical, occursIn, SHORT } from '../values.js'
import { consequentialValues, isOpenWorld } from './provenance.js'

/** What a call adds to its agent's habits: targets, their domains, and the tool step it took. */
export interface CallHabits {
  target: string[]
  domain: string[]
  step: string[]
}

function domainOf(value: string): string | undefined {
  const at = value.lastIndexOf('@')
  const host =
    at >= 0 ? value.slice(at + 1) : /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^/\s?#]+\.[a-z]{2,})/i.exec(value)?.[1]
  return host?.toLowerCase().replace(/^www\./, '')
}

/** The habits of one call: consequential values (whole arguments, not short ids) and the step from the last tool. */
export function habitsOf(
  state: TaskState,
  tool: string,
  args: Record<string, unknown>,
  definition?: ToolDefinition,
  previous: string = state.calls.at(-2)?.tool ?? '^',
): CallHabits {
  const def = definition ?? state.tools.get(tool)
  const habits: CallHabits = { target: [], domain: [], step: [] }
  if (isWrite(def) || isOpenWorld(def)) {
    for (const { value, embedded } of consequentialValues(def, args)) {
      const c = canonical(value)
      if (embedded || c.length < SHORT) continue
      habits.target.push(c)
      const domain = domainOf(value)
      if (domain) habits.domain.push(domain)
    }
  }
  // The step into this call: by default from the call before the last (the state already holds this call).
  habits.step.push(`${previous}>${tool}`)
  return habits
}

/**
 * Novelty against the agent's own baseline across tasks (B10): a write to a target this agent never reached in an
 * earlier task, on a domain it never used, or a tool step it never took. Never decides alone — a first-time
 * target is ordinary work — it raises risk and lets the tier policies combine it with provenance.
 * Targets the principal named in the request are not novel to anyone.
 */
export function detectNovelty(
  state: TaskState,
  baselines: AgentBaselines,
  agent: string,
  task: string,
  tool: string,
  args: Record<string, unknown>,
  definition?: ToolDefinition,
  /** How the habits of this call are had (the engine keeps them for the call's own learning). */
  habitsFor: (def: ToolDefinition | undefined) => CallHabits = (def) => habitsOf(state, tool, args, def),
): Signal[] {
  const def = definition ?? state.tools.get(tool)
  if (!isWrite(def)) return []
  const habits = habitsFor(def)
  const named = (value: string) =>
    occursIn(value)({ text: state.prompt, raw: state.promptRaw }) ||
    occursIn(value)({ text: state.trusted, raw: state.trustedRaw })
  const targets = baselines.novel(
    agent,
    task,
    'target',
    habits.target.filter((value) => !named(value)),
  )
  const domains = new Set(baselines.novel(agent, task, 'domain', habits.domain))
  const signals: Signal[] = []
  if (targets.length > 0) {
    const newDomain = targets.some((value) => {
      const domain = domainOf(value)
      return domain === undefined || domains.has(domain)
    })
    signals.push({
      kind: 'novel_target',
      severity: newDomain ? 'medium' : 'low',
      summary: `\`${tool}\` reaches a target this agent never reached in an earlier task`,
      evidence: state.calls.slice(-1).map((c) => c.seq),
      refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI10'],
      detail: { principle: 'baseline', value: targets[0]?.slice(0, 120) },
    })
  }
  if (baselines.novel(agent, task, 'step', habits.step).length > 0) {
    signals.push({
      kind: 'novel_sequence',
      severity: 'low',
      summary: `\`${tool}\` follows a tool this agent never chained it after`,
      evidence: state.calls.slice(-2).map((c) => c.seq),
      refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI10'],
      detail: { principle: 'baseline', value: habits.step[0]?.slice(0, 120) },
    })
  }
  return signals
}
