import type { ToolDefinition } from '../catalog/index.js'
import { AgentBaselines, BASELINE_LIMITS } from './agent-baseline.js'
import { detectUnrequested } from './detectors/asked.js'
import { detectFlows } from './detectors/flows.js'
import { detectIntentDrift } from './detectors/intent.js'
import { type CallHabits, detectNovelty, habitsOf } from './detectors/novelty.js'
import { detectProvenance, workedAgainst } from './detectors/provenance.js'
import { detectSinks } from './detectors/sinks.js'
import { Fingerprinter, MAX_PRINTS, type OutputPrints } from './fingerprints.js'
import type {
  BehaviourAnalyzer,
  BehaviourAssessment,
  BehaviourEvent,
  RequestFacts,
  Severity,
  Signal,
  TaskIntent,
} from './signals.js'
import { type ObservedCall, PRINCIPAL_MATERIAL, plantedAt, TaskState } from './task-state.js'

const WEIGHT: Record<Severity, number> = { low: 5, medium: 20, high: 50, critical: 90 }

/** Where a node finds a task's past activity it did not see (the activity chain), in chain order. */
export type TaskHistory = (task: string) => Promise<BehaviourEvent[]>

export interface BehaviourEngineOptions {
  /** Most tasks held at once (least recently opened forgotten; rebuilt from the chain if they speak again). */
  maxTasks?: number
  /** The deployment's fingerprint key (outputs' and baselines' fingerprints); random when absent. */
  fingerprintKey?: Uint8Array
  /** A task's history in the chain, for tasks this node has not seen. */
  history?: TaskHistory
  baselines?: { agents: number; printsPerAgent: number }
}

/**
 * Deterministic behavioural correlation: per-task state fed event by event, detectors run at each request,
 * a risk score from the task's signals, and each agent's baseline across tasks. No LLM, no data-set literals;
 * tool knowledge comes from definitions.
 */
export class BehaviourEngine implements BehaviourAnalyzer {
  private readonly tasks = new Map<string, TaskState>()
  private readonly maxTasks: number
  private readonly fingerprints: Fingerprinter
  private readonly baselines: AgentBaselines
  private readonly history: TaskHistory | undefined
  /**
   * The habits novelty computed for the call just assessed: an allowed call learns the same ones when its decision
   * is observed (same call, same definition, same step), so they are computed once.
   */
  private assessed:
    | { call: ObservedCall; def: ToolDefinition | undefined; previous: string; habits: CallHabits }
    | undefined

  constructor(options: BehaviourEngineOptions | number = {}) {
    const o = typeof options === 'number' ? { maxTasks: options } : options
    this.maxTasks = o.maxTasks ?? 10_000
    this.fingerprints = new Fingerprinter(o.fingerprintKey)
    this.baselines = new AgentBaselines(this.fingerprints, o.baselines ?? BASELINE_LIMITS)
    this.history = o.history
  }

  /**
   * The state of a task this engine holds. An event for a task it does not hold is not turned into a state of
   * its own (without the task's intent and history it would hide them from `open`, which rebuilds both from the
   * chain — where that event is too).
   */
  private state(task: string): TaskState | undefined {
    return this.tasks.get(task)
  }

  private remember(task: string, state: TaskState): void {
    this.tasks.set(task, state)
    // Bounded: the least recently opened task is forgotten (rebuilt from the chain if it speaks again).
    if (this.tasks.size > this.maxTasks) this.tasks.delete(this.tasks.keys().next().value as string)
  }

  /** Feeds one event. */
  observe(event: BehaviourEvent): void {
    switch (event.kind) {
      case 'task.open':
        this.remember(event.task, new TaskState(event.intent))
        return
      case 'tool.call':
        this.state(event.task)?.observeCall(
          event.seq,
          event.call,
          event.tool,
          event.args,
          event.definition,
          event.traits,
        )
        return
      case 'tool.result':
        if (event.output === undefined)
          this.state(event.task)?.observePrints(event.seq, event.call, event.prints, event.labels)
        else this.state(event.task)?.observeResult(event.seq, event.call, event.output)
        return
      case 'decision':
        this.learn(event.task, event.call, event.effect, event.agent)
        return
      case 'signal':
        this.state(event.task)?.observeSignal(event.seq, event.signal)
        return
      case 'recorded':
        this.state(event.task)?.locate(event.event, event.call, event.seq)
    }
  }

  /** An allowed call's targets and step join its agent's baseline (denied ones never become habits). */
  private learn(
    task: string,
    call: string,
    effect: string,
    agent: string,
    state = this.tasks.get(task),
  ): void {
    if (effect !== 'allow') return
    const observed = state?.callOf(call)
    if (!state || !observed || state.learned.has(call)) return
    state.learned.add(call)
    // From the end: the call learned is almost always the latest of up to `LIMITS.calls`.
    const index = state.calls.lastIndexOf(observed)
    // The step is the tool called just before this one, or the task's start ('^') — not whatever came last.
    const previous = state.calls[index - 1]?.tool ?? '^'
    const kept = this.assessed
    this.assessed = undefined
    const habits =
      kept?.call === observed && kept.previous === previous && kept.def === state.tools.get(observed.tool)
        ? kept.habits
        : habitsOf(state, observed.tool, observed.args, undefined, previous)
    this.baselines.learn(agent, task, 'target', habits.target)
    this.baselines.learn(agent, task, 'domain', habits.domain)
    this.baselines.learn(agent, task, 'step', habits.step)
  }

  /**
   * Rebuilds the agents' baselines from past activity (after a restart): the calls and decisions of the chain,
   * in order. Task states used here are transient: only baselines are kept.
   */
  warmBaselines(events: Iterable<BehaviourEvent>): void {
    const states = new Map<string, TaskState>()
    for (const event of events) {
      if (event.kind === 'tool.call') {
        let state = states.get(event.task)
        if (!state) {
          if (states.size >= this.maxTasks) states.delete(states.keys().next().value as string)
          state = new TaskState({})
          states.set(event.task, state)
        }
        state.observeCall(event.seq, event.call, event.tool, event.args, event.definition, event.traits)
      } else if (event.kind === 'decision') {
        this.learn(event.task, event.call, event.effect, event.agent, states.get(event.task))
      }
    }
  }

  knows(task: string): boolean {
    return this.tasks.has(task)
  }

  /** True when the engine holds the task and its call `call`. */
  holdsCall(task: string, call: string): boolean {
    return this.tasks.get(task)?.callOf(call) !== undefined
  }

  async open(task: string, intent: TaskIntent): Promise<void> {
    if (this.tasks.has(task)) return
    const past = this.history ? await this.history(task) : []
    if (this.tasks.has(task)) return // another request of the task rebuilt it meanwhile
    this.observe({ kind: 'task.open', seq: 0, task, intent })
    for (const event of past) this.observe(event)
  }

  prints(task: string, call: string): OutputPrints | undefined {
    const state = this.tasks.get(task)
    const output = state?.outputs.findLast((o) => o.call === call)
    if (!state || !output) return undefined
    const clean = new Set<string>()
    const planted = new Set<string>()
    // Each value once, placed by the chunks that hold it whole: planted only if every one of them is tainted.
    // Clean values are capped (a 64 KB output holds tens of thousands); planted ones never are — junk written
    // before the instructions would otherwise push out the very values whose provenance the record must keep.
    this.fingerprints.visit(output.raw, (print, start, end) => {
      if (clean.has(print)) return
      if (plantedAt(output.chunks, start, end)) planted.add(print)
      else if (clean.size < MAX_PRINTS) {
        clean.add(print)
        planted.delete(print)
      }
    })
    const labels: string[] = []
    if (output.tainted) labels.push('instructions-in-data')
    if (output.tainted && output.designated && !workedAgainst(state, output)) labels.push(PRINCIPAL_MATERIAL)
    if (output.secret) labels.push('credential')
    if (output.sensitive) labels.push('sensitive')
    return { clean: [...clean], planted: [...planted], labels }
  }

  /** Forgets a task (closed). */
  forget(task: string): void {
    this.tasks.delete(task)
  }

  async assess(request: RequestFacts): Promise<BehaviourAssessment> {
    return this.assessNow(request)
  }

  /** Synchronous assessment (replay's hot loop). */
  assessNow(request: RequestFacts): BehaviourAssessment {
    // A task not held (callers `open` it first) is judged as one that has done nothing yet.
    const state = this.state(request.task) ?? new TaskState({})
    const signals: Signal[] = []
    if (request.tool) {
      signals.push(
        ...detectProvenance(state, request.tool, request.args, request.definition, this.fingerprints),
      )
      signals.push(...detectFlows(state, request.tool, request.args, request.definition, request.traits))
      signals.push(...detectIntentDrift(state, request.tool, request.definition))
      // What the arguments are, then whether the action was asked for: each only where no stronger finding already
      // stops the call (one critical signal denies; a second one would name the same call again).
      if (!signals.some((s) => s.severity === 'critical'))
        signals.push(...detectSinks(state, request.tool, request.args, request.definition))
      const strongest = Math.max(0, ...signals.map((s) => WEIGHT[s.severity]))
      for (const signal of detectUnrequested(state, request.tool, request.args, request.definition))
        if (WEIGHT[signal.severity] > strongest) signals.push(signal)
      // The call assessed is the task's last one (observed just before): its habits are kept for its learning.
      const call = state.calls.at(-1)
      const habitsFor = (def: ToolDefinition | undefined): CallHabits => {
        const previous = state.calls.at(-2)?.tool ?? '^'
        const habits = habitsOf(state, request.tool as string, request.args, def, previous)
        this.assessed =
          call && call.args === request.args && call.tool === request.tool
            ? { call, def, previous, habits }
            : undefined
        return habits
      }
      signals.push(
        ...detectNovelty(
          state,
          this.baselines,
          request.agent,
          request.task,
          request.tool,
          request.args,
          request.definition,
          habitsFor,
        ),
      )
    }
    // Signals raised earlier in the task (credential reuse, …) keep weighing, halving every 5 calls.
    let risk = signals.reduce((sum, s) => sum + WEIGHT[s.severity], 0)
    const now = state.calls.length
    for (const past of state.signals) {
      const age = now - state.calls.filter((c) => c.seq < past.seq).length
      risk += WEIGHT[past.severity] * 0.5 ** (age / 5)
    }
    return { signals, risk: Math.min(100, Math.round(risk)) }
  }
}
