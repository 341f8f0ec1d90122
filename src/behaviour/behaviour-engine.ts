import { detectFlows } from './detectors/flows.js'
import { detectProvenance } from './detectors/provenance.js'
import type {
  BehaviourAnalyzer,
  BehaviourAssessment,
  BehaviourEvent,
  RequestFacts,
  Severity,
  Signal,
} from './signals.js'
import { TaskState } from './task-state.js'

const WEIGHT: Record<Severity, number> = { low: 5, medium: 20, high: 50, critical: 90 }

/**
 * Deterministic behavioural correlation: per-task state fed event by event, detectors run at each request,
 * a risk score from the task's signals. No LLM, no data-set literals; tool knowledge comes from definitions.
 */
export class BehaviourEngine implements BehaviourAnalyzer {
  private readonly tasks = new Map<string, TaskState>()

  constructor(private readonly maxTasks = 10_000) {}

  private state(task: string): TaskState {
    let state = this.tasks.get(task)
    if (!state) {
      state = new TaskState({})
      this.remember(task, state)
    }
    return state
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
        this.state(event.task).observeCall(event.seq, event.call, event.tool, event.args, event.definition)
        return
      case 'tool.result':
        this.state(event.task).observeResult(event.seq, event.call, event.output)
        return
      case 'signal':
        this.state(event.task).observeSignal(event.seq, event.signal)
    }
  }

  knows(task: string): boolean {
    return this.tasks.has(task)
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
    const state = this.state(request.task)
    const signals: Signal[] = []
    if (request.tool) {
      signals.push(...detectProvenance(state, request.tool, request.args, request.definition))
      signals.push(...detectFlows(state, request.tool, request.definition))
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
