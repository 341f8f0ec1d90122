import type { ToolDefinition } from '../catalog/index.js'
import { redact } from '../chain/index.js'
import { INSTRUCTION_THRESHOLD, instructionScore } from './detectors/instruction-text.js'
import type { Signal } from './signals.js'
import { canonicalText } from './values.js'

/** Characters per chunk of an output (chunks overlap by half). */
const CHUNK = 600
/** How many chunks on each side of one that reads as instructions are tainted with it (~±600 characters each). */
const REACH = 2

/** Bounds per task, so a long task cannot grow memory without limit. */
export const LIMITS = { outputs: 200, outputChars: 64_000, calls: 500 } as const

/** A stretch of an output, normalised, and whether it reads like instructions to the agent. */
export interface OutputChunk {
  text: string
  /** The chunk lowercased but otherwise as written, for short values that need their delimiters. */
  raw: string
  tainted: boolean
}

/** A tool output as the detectors remember it: normalised text in overlapping chunks, each judged for instructions. */
export interface ObservedOutput {
  seq: number
  call: string
  tool: string
  text: string
  /** Overlapping windows of the output, so a value can be placed inside or outside planted instructions. */
  chunks: OutputChunk[]
  tainted: boolean
  /** The output came from a read the principal's request pointed at (an argument taken from the request). */
  designated: boolean
  /** The output carried a credential (a key, token or password shape). */
  secret: boolean
}

export interface ObservedCall {
  seq: number
  call: string
  tool: string
  args: Record<string, unknown>
  write: boolean
}

/** True when a tool may change the world: MCP's `readOnlyHint` absent or false. */
export function isWrite(definition: ToolDefinition | undefined): boolean {
  return definition?.annotations?.readOnlyHint !== true
}

/**
 * One task's behavioural state, built incrementally from its activity (amortised O(1) per event, bounded).
 * Live, it is fed from the activity chain; in replay, from the trace — the same events, the same state.
 */
export class TaskState {
  readonly prompt: string
  readonly promptRaw: string
  readonly trusted: string
  readonly trustedRaw: string
  readonly outputs: ObservedOutput[] = []
  readonly calls: ObservedCall[] = []
  readonly signals: Array<Signal & { seq: number }> = []
  readonly writesByTool = new Map<string, number>()
  readonly tools = new Map<string, ToolDefinition>()

  constructor(intent: {
    prompt?: string | undefined
    system?: string | undefined
    purpose?: string | undefined
  }) {
    this.promptRaw = [intent.prompt ?? '', intent.purpose ?? ''].join('\n').toLowerCase()
    this.prompt = canonicalText(this.promptRaw)
    this.trustedRaw = (intent.system ?? '').toLowerCase()
    this.trusted = canonicalText(this.trustedRaw)
  }

  /** Records a call (before its decision), remembering the tool's definition. */
  observeCall(
    seq: number,
    call: string,
    tool: string,
    args: Record<string, unknown>,
    definition?: ToolDefinition,
  ): void {
    if (definition) this.tools.set(tool, definition)
    const write = isWrite(definition ?? this.tools.get(tool))
    this.calls.push({ seq, call, tool, args, write })
    if (this.calls.length > LIMITS.calls) this.calls.shift()
    if (write) this.writesByTool.set(tool, (this.writesByTool.get(tool) ?? 0) + 1)
  }

  /** Records a tool's output: its normalised text, and whether it reads like instructions to the agent. */
  observeResult(seq: number, call: string, output: string): void {
    const origin = this.calls.find((c) => c.call === call)
    const tool = origin?.tool ?? 'unknown'
    const raw = output.length > LIMITS.outputChars ? output.slice(0, LIMITS.outputChars) : output
    const toolNames = [...this.tools.keys()]
    const chunks: OutputChunk[] = []
    for (let start = 0; start < raw.length || start === 0; start += CHUNK / 2) {
      const piece = raw.slice(start, start + CHUNK)
      chunks.push({
        text: canonicalText(piece),
        raw: piece.toLowerCase(),
        tainted: instructionScore(piece, toolNames) >= INSTRUCTION_THRESHOLD,
      })
      if (start + CHUNK >= raw.length) break
    }
    // Instructions reach past their own window (a tool-knowledge injection lists its arguments after the cue):
    // chunks within REACH of a tainted one are tainted too.
    const own = chunks.map((chunk) => chunk.tainted)
    for (const [i, chunk] of chunks.entries())
      chunk.tainted = own.slice(Math.max(0, i - REACH), i + REACH + 1).some(Boolean)
    const tainted = own.some(Boolean)
    const designated =
      origin !== undefined &&
      Object.values(origin.args).some(
        (value) =>
          typeof value === 'string' && value.length >= 4 && this.prompt.includes(canonicalText(value)),
      )
    const secret = redact({ output: raw }).redacted.length > 0
    this.outputs.push({ seq, call, tool, text: canonicalText(raw), chunks, tainted, designated, secret })
    if (this.outputs.length > LIMITS.outputs) this.outputs.shift()
  }

  /** Records a signal raised outside the detectors (credential reuse, delegation). */
  observeSignal(seq: number, signal: Signal): void {
    this.signals.push({ ...signal, seq })
  }
}
