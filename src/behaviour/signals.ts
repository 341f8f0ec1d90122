import type { ToolDefinition } from '../catalog/index.js'
import type { OutputPrints } from './fingerprints.js'

/** How bad a finding is. */
export type Severity = 'low' | 'medium' | 'high' | 'critical'

/** A behavioural finding about a task's activity, with the chain events that caused it. */
export interface Signal {
  /** A stable kind, e.g. `intent_drift`, `untrusted_provenance`, `credential_reuse`. */
  kind: string
  severity: Severity
  /** A one-line explanation for the decision's reader. */
  summary: string
  /** Chain `seq`s of the events that are the evidence. */
  evidence: number[]
  /** Framework references, e.g. `OWASP-ASI:ASI01`. */
  refs: string[]
  /** What the finding rests on: the principle, and the output, span, argument and value it names. */
  detail?: SignalDetail | undefined
}

/** The evidence of a signal in words a reader can check against the trace. */
export interface SignalDetail {
  /** `taint`, `asked`, `addressed`, `content` (decision 003). */
  principle: string
  /** The output (chain seq) the value or instructions came from. */
  output?: number | undefined
  /** The sentence of that output that reads as instructions (cut to 200 characters). */
  span?: string | undefined
  /** The argument path (`files/0/content`) and the value (cut to 120 characters; secrets masked). */
  argument?: string | undefined
  value?: string | undefined
  /**
   * For a substituted value: what the request, or the record it named, gives for that argument instead ("the
   * request: 3180", "output 4: 4410029381").
   */
  expected?: string | undefined
}

/** A task's behavioural standing at the moment of a request. */
export interface BehaviourAssessment {
  signals: Signal[]
  /** 0–100, decaying over time. */
  risk: number
}

/** What Warden knows of a tool beyond its definition: where it runs and how sensitive its data is. */
export interface CallTraits {
  /** The tool sits on a `kind: memory` upstream. */
  memory?: boolean | undefined
  /** The catalog's sensitivity label of the tool's data. */
  sensitivity?: string | undefined
}

/** What a detector sees of the request being decided. */
export interface RequestFacts {
  task: string
  agent: string
  action: string
  server: string | null
  tool: string | null
  args: Record<string, unknown>
  /** The tool's pinned definition (names, description, schema, MCP annotations): all a detector knows of it. */
  definition?: ToolDefinition | undefined
  traits?: CallTraits | undefined
}

/**
 * Turns a task's activity chain into signals and a risk score for the next decision. The behaviour issue
 * provides the detectors; until then `noBehaviour` reports nothing — honestly empty, never invented.
 */
export interface BehaviourAnalyzer {
  /** Feeds one event of a task's activity, in order. */
  observe(event: BehaviourEvent): void
  /** True when the analyzer holds state for the task. */
  knows(task: string): boolean
  /**
   * Makes sure the analyzer holds the task's state before a request is judged: known → as is; unknown but
   * with history in the chain (another node, a restart) → that history replayed first; else opened fresh.
   */
  open(task: string, intent: TaskIntent): Promise<void>
  /** What the chain keeps of an output for provenance (keyed fingerprints), once the output was observed. */
  prints(task: string, call: string): OutputPrints | undefined
  assess(request: RequestFacts): Promise<BehaviourAssessment>
  /**
   * Before a result is observed: makes sure the analyzer holds the call, which another node sharing the chain
   * may have decided (a result reported to this one). Absent on a node alone.
   */
  adopt?(task: string, call: string, intent: TaskIntent): Promise<void>
}

/** What a task declared that the detectors read. */
export interface TaskIntent {
  prompt?: string | undefined
  system?: string | undefined
  purpose?: string | undefined
  /** The tool names the task declared (its scope): planted text naming them as commands reads as instructions. */
  tools?: readonly string[] | undefined
}

/** The activity the analyzer learns from, in the shape of activity-chain events. */
export type BehaviourEvent =
  | { kind: 'task.open'; seq: number; task: string; intent: TaskIntent }
  | {
      kind: 'tool.call'
      seq: number
      task: string
      call: string
      tool: string
      args: Record<string, unknown>
      definition?: ToolDefinition | undefined
      traits?: CallTraits | undefined
    }
  | { kind: 'tool.result'; seq: number; task: string; call: string; output: string }
  /** An output known by its chain record only: fingerprints and labels (state rebuilt on another node). */
  | {
      kind: 'tool.result'
      seq: number
      task: string
      call: string
      output?: undefined
      prints: OutputPrints
      labels: string[]
    }
  /** A call's decision: an allowed call's targets join the agent's baseline. `agent`: the SPIFFE ID or name. */
  | { kind: 'decision'; seq: number; task: string; call: string; effect: string; agent: string }
  | { kind: 'signal'; seq: number; task: string; signal: Signal }
  /**
   * A call or its result observed live (before it had a place in the chain) was committed at `seq`: evidence
   * that names it from now on names that record.
   */
  | { kind: 'recorded'; seq: number; task: string; call: string; event: 'tool.call' | 'tool.result' }

/** An analyzer with no detectors: no signals, zero risk. */
export const noBehaviour: BehaviourAnalyzer = {
  observe: () => {},
  knows: () => true,
  open: async () => {},
  prints: () => undefined,
  assess: async () => ({ signals: [], risk: 0 }),
}
