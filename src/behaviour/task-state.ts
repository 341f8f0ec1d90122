import type { ToolDefinition } from '../catalog/index.js'
import { designatedBeyondArguments, listingItems } from './designation.js'
import { type AddressedSpan, addressedSpans } from './detectors/addressed.js'
import { INSTRUCTION_THRESHOLD, instructionScore } from './detectors/instruction-text.js'
import type { OutputPrints } from './fingerprints.js'
import { decodedText, READ_VERBS } from './language.js'
import { secretsIn } from './secrets.js'
import type { CallTraits, Signal } from './signals.js'
import { canonical, canonicalText, ownToolName } from './values.js'

/** Characters per chunk of an output (chunks overlap by half: one starts every `STRIDE` characters). */
export const CHUNK = 600
export const STRIDE = CHUNK / 2
/** How many chunks on each side of one that reads as instructions are tainted with it (~±600 characters each). */
const REACH = 2

/** Bounds per task, so a long task cannot grow memory without limit. */
export const LIMITS = { outputs: 200, outputChars: 64_000, calls: 500 } as const

/** A stretch of an output, normalised, and whether it reads like instructions to the agent. */
export interface OutputChunk {
  /** Where the chunk starts in the output. */
  start: number
  text: string
  /** The chunk lowercased but otherwise as written, for short values that need their delimiters. */
  raw: string
  tainted: boolean
  /** Keyed fingerprints of the chunk's values, when the text itself is not held (state rebuilt from the chain). */
  prints?: ReadonlySet<string>
}

/**
 * Whether a value at `start`..`end` of an output sat next to planted instructions: every chunk that holds it whole
 * is tainted (for a value longer than half a chunk, which no chunk may hold whole: every chunk it overlaps).
 */
export function plantedAt(chunks: readonly OutputChunk[], start: number, end: number): boolean {
  const last = chunks.length - 1
  let from = Math.max(0, Math.ceil((end - CHUNK) / STRIDE))
  let to = Math.min(last, Math.floor(start / STRIDE))
  if (from > to) {
    from = Math.max(0, Math.floor(start / STRIDE) - 1)
    to = Math.min(last, Math.floor((end - 1) / STRIDE))
  }
  for (let i = from; i <= to; i++) if (!chunks[i]?.tainted) return false
  return true
}

/** A tool output as the detectors remember it: normalised text in overlapping chunks, each judged for instructions. */
export interface ObservedOutput {
  seq: number
  call: string
  tool: string
  /** The output as written (up to `LIMITS.outputChars`); empty when only its chain record was seen. */
  raw: string
  /** Overlapping windows of the output, so a value can be placed inside or outside planted instructions. */
  chunks: OutputChunk[]
  tainted: boolean
  /** The sentences that read as addressed to the agent (evidence for the signals that cite this output). */
  spans: AddressedSpan[]
  /**
   * The items of a listing in a tainted output that carry no instructions of their own (`cleanItems`): plain data,
   * whatever item beside them does. Absent when the output is clean or holds no listing.
   */
  items?: OutputChunk[]
  /** The output came from a read the principal's request pointed at (an argument taken from the request). */
  designated: boolean
  /**
   * Whether the output works against the principal, as the node that read its text judged it: set only on an
   * output known by its chain record alone, whose text (and so its spans) this node never held.
   */
  against?: boolean
  /** The output carried a credential (a key, token or password shape). */
  secret: boolean
  /** Canonical credential values the output carried, so a call that sends one on can be named. */
  secrets: string[]
  /** The output is sensitive: its tool is marked or described as sensitive, or it carried personal data. */
  sensitive: boolean
}

export interface ObservedCall {
  seq: number
  call: string
  tool: string
  args: Record<string, unknown>
  write: boolean
  /** The tool keeps memory across tasks (a `kind: memory` upstream, or a definition about memory). */
  memory: boolean
  /** The tool reads data marked or described as sensitive. */
  sensitive: boolean
}

/** A definition about memory an agent keeps across tasks: memories, a knowledge graph or base. */
const MEMORY_DEFINITION =
  /\b(memory|memories|remember|knowledge ?(graph|base)|long[- ]term|recall|observations?)\b/i
/** A definition about data whose disclosure harms: credentials and personal or confidential records. */
const SENSITIVE_DEFINITION =
  /\b(passwords?|credentials?|secrets?|private keys?|api keys?|access tokens?|ssn|social security|medical|health records?|salary|salaries|payroll|passport|personal (data|information|details)|confidential)\b/i
/** Personal data that has a fixed shape: payment card numbers and US social security numbers. */
const PERSONAL_DATA = /\b(?:\d[ -]?){13,16}\b|\b\d{3}-\d{2}-\d{4}\b/

function about(definition: ToolDefinition | undefined): string {
  return `${definition?.name ?? ''} ${definition?.title ?? ''} ${definition?.description ?? ''}`.replace(
    /_/g,
    ' ',
  )
}

/** What a definition's own words say of it, read once per definition (a definition is never changed once pinned). */
const wordsOf = new WeakMap<ToolDefinition, { memory: boolean; sensitive: boolean }>()

function definitionWords(definition: ToolDefinition | undefined): { memory: boolean; sensitive: boolean } {
  if (!definition) return { memory: false, sensitive: false }
  let words = wordsOf.get(definition)
  if (!words) {
    const text = about(definition)
    words = { memory: MEMORY_DEFINITION.test(text), sensitive: SENSITIVE_DEFINITION.test(text) }
    wordsOf.set(definition, words)
  }
  return words
}

/** True when a tool keeps memory: its upstream says so, or its definition does. */
export function isMemory(definition: ToolDefinition | undefined, traits?: CallTraits): boolean {
  return traits?.memory === true || definitionWords(definition).memory
}

/** True when a read's data is sensitive by the catalog's label or by its definition's own words. */
export function isSensitiveRead(definition: ToolDefinition | undefined, traits?: CallTraits): boolean {
  if (traits?.sensitivity === 'confidential' || traits?.sensitivity === 'restricted') return true
  return !isWrite(definition) && definitionWords(definition).sensitive
}

/** Credential values in a text, canonical: what secretlint's rules, the chain's shapes and keyed secrets find. */
export function credentialsIn(text: string): string[] {
  return secretsIn(text).map(canonical)
}

/**
 * Whether an output's instructions were planted against the principal: a document the request pointed at is the
 * principal's own material ("do the actions in the e-mail from David"), unless it addresses an AI — no principal
 * writes to their own agent through a document.
 */
/**
 * The label a tool result's chain record carries when its output held instructions, yet its values are the
 * principal's own material (a record the request named, addressing no reader): what a node that rebuilds the task
 * from the chain cannot tell without the text.
 */
export const PRINCIPAL_MATERIAL = 'principal-material'

export function againstPrincipal(output: ObservedOutput): boolean {
  if (output.against !== undefined) return output.tainted && output.against
  // A label naming a role ("Reviewers: …") in the principal's own document may be meant for the principal's people.
  return output.tainted && (!output.designated || output.spans.some((span) => span.why !== 'role'))
}

/**
 * The items of an output's listings (`listingItems`) that read as no instructions and hold no sentence addressed to
 * the agent. Instructions planted in one message of an inbox, one row of a table or one result of a search are
 * that item's; the items beside them are as plain as in a listing without them, however close in the text.
 */
function cleanItems(
  raw: string,
  spans: readonly AddressedSpan[],
  toolNames: readonly string[],
  reader: { request: string; designated: boolean; text: string },
): OutputChunk[] {
  const out: OutputChunk[] = []
  for (const { start, end } of listingItems(raw)) {
    if (spans.some((span) => span.start < end && span.end > start)) continue
    const text = raw.slice(start, end)
    if (instructionScore(text, toolNames, reader) >= INSTRUCTION_THRESHOLD) continue
    out.push({ start, text: canonicalText(text), raw: text.toLowerCase(), tainted: false })
  }
  return out
}

/** A value that names one thing (a digit, a path, a name with a dot or `@`, several words), not a bare word. */
const NAMES_ONE = /[\d/.@:\s_-]/

/** True when a tool may change the world: MCP's `readOnlyHint` absent or false. */
export function isWrite(definition: ToolDefinition | undefined): boolean {
  const hint = definition?.annotations?.readOnlyHint
  if (hint !== undefined || !definition) return hint !== true
  // Without annotations, the tool's own name says what it does: one whose verb reads is read as a read.
  return !READ_VERB.test(ownToolName(definition.name).replace(/([a-z])([A-Z])/g, '$1_$2'))
}

/**
 * A tool name whose verb only reads (`get_issue`, `notion_retrieve_page`, `searchNodes`): the verbs of reading a
 * request uses (`language.ts#READ_VERBS`) and `get`, as the name's first or second word (a server prefix such as
 * `notion_` or `slack_` may stand first). `get` is a read in a tool's name only: in a request it also obtains ("get
 * me a taxi").
 */
const READ_VERB = new RegExp(`^(?:[a-z0-9]+_)?(?:get|${[...READ_VERBS].join('|')})(?:_|$)`, 'i')

/**
 * One task's behavioural state, built incrementally from its activity (amortised O(1) per event, bounded).
 * Live, it is fed from the activity chain; in replay, from the trace — the same events, the same state.
 */
export class TaskState {
  readonly prompt: string
  readonly promptRaw: string
  readonly trusted: string
  readonly trustedRaw: string
  /** The request as written: case kept, to tell names from words. */
  readonly promptText: string
  readonly outputs: ObservedOutput[] = []
  readonly calls: ObservedCall[] = []
  readonly signals: Array<Signal & { seq: number }> = []
  readonly writesByTool = new Map<string, number>()
  readonly tools = new Map<string, ToolDefinition>()
  /** Call ids seen, so a call decided again (after a human's approval) is counted once. */
  private readonly callIds = new Set<string>()
  /** Calls whose allowed decision already joined the agent's baseline. */
  readonly learned = new Set<string>()
  /** Tool names the task may use: its declared scope, plus any tool it called. */
  private readonly knownTools: Set<string>
  private toolNameList: string[] | undefined

  constructor(intent: {
    prompt?: string | undefined
    system?: string | undefined
    purpose?: string | undefined
    tools?: readonly string[] | undefined
  }) {
    this.knownTools = new Set(intent.tools ?? [])
    this.promptRaw = [intent.prompt ?? '', intent.purpose ?? ''].join('\n').toLowerCase()
    this.prompt = canonicalText(this.promptRaw)
    this.promptText = [intent.prompt ?? '', intent.purpose ?? ''].join('\n')
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
    traits?: CallTraits,
  ): void {
    if (definition) this.tools.set(tool, definition)
    if (!this.knownTools.has(tool)) {
      this.knownTools.add(tool)
      this.toolNameList = undefined
    }
    // INVARIANT: one call counts once, however often it is decided (a held call is decided again on approval).
    if (this.callIds.has(call)) return
    const def = definition ?? this.tools.get(tool)
    const write = isWrite(def)
    this.callIds.add(call)
    this.calls.push({
      seq,
      call,
      tool,
      args,
      write,
      memory: isMemory(def, traits),
      sensitive: isSensitiveRead(def, traits),
    })
    if (this.calls.length > LIMITS.calls) {
      const dropped = this.calls.shift()
      if (dropped) this.callIds.delete(dropped.call)
    }
    if (write) this.writesByTool.set(tool, (this.writesByTool.get(tool) ?? 0) + 1)
  }

  /**
   * The names of the tools the task may use — declared at open, or called since. An output read before a tool
   * was first called still names it as a command when it carries planted instructions.
   */
  toolNames(): string[] {
    this.toolNameList ??= [...this.knownTools]
    return this.toolNameList
  }

  /** The call with this id, if still held. */
  callOf(call: string): ObservedCall | undefined {
    for (let i = this.calls.length - 1; i >= 0; i--) if (this.calls[i]?.call === call) return this.calls[i]
    return undefined
  }

  /**
   * The read's arguments name what the request names: a document by its identifier ("bill.txt", "ticket 4471",
   * "docs/setup.md") — not a word of the request used as a filter ("checkout", "unfulfilled"), which lists data
   * the request never saw.
   */
  private designated(origin: ObservedCall | undefined): boolean {
    return (
      origin !== undefined &&
      (Object.values(origin.args).some(
        (value) =>
          (typeof value === 'string' || typeof value === 'number') &&
          NAMES_ONE.test(String(value)) &&
          String(value).length >= 3 &&
          this.prompt.includes(canonicalText(String(value))),
      ) ||
        Object.values(origin.args).some((value) => typeof value === 'string' && this.namesOneRow(value)) ||
        designatedBeyondArguments(this, origin))
    )
  }

  /**
   * A query names one record the request names: two of its identifiers (a name with `_` or a digit, a number) are
   * words of the request — a table and a key ("approved_changes row 7" ↔ `… FROM approved_changes WHERE id = 7`).
   * A table alone is a filter over records the request never saw (`FROM support_tickets WHERE opened_at …`).
   */
  private namesOneRow(query: string): boolean {
    if (!/\b(?:select|from|where)\b/i.test(query)) return false
    const named = new Set<string>()
    for (const [word] of query.matchAll(/[\p{L}\d_]+/gu)) {
      if (!/[\d_]/.test(word) || named.has(word)) continue
      if (new RegExp(`(?<![\\p{L}\\d_])${word}(?![\\p{L}\\d_])`, 'iu').test(this.promptText)) named.add(word)
    }
    return named.size >= 2
  }

  private keep(output: ObservedOutput): void {
    this.outputs.push(output)
    if (this.outputs.length > LIMITS.outputs) this.outputs.shift()
  }

  /**
   * Records an output known only by its chain record (a node that did not see it): fingerprints of its values,
   * split by whether they sat next to planted instructions, and its labels.
   */
  observePrints(seq: number, call: string, prints: OutputPrints, labels: readonly string[]): void {
    const origin = this.callOf(call)
    const chunk = (list: string[], tainted: boolean): OutputChunk => ({
      start: 0,
      text: '',
      raw: '',
      tainted,
      prints: new Set(list),
    })
    const secret = labels.includes('credential')
    this.keep({
      seq,
      call,
      tool: origin?.tool ?? 'unknown',
      raw: '',
      chunks: [chunk(prints.clean, false), chunk(prints.planted, true)],
      tainted: labels.includes('instructions-in-data') || prints.planted.length > 0,
      spans: [],
      designated: this.designated(origin),
      // INVARIANT: fail closed. Only the node that read the text can tell that a named record's instructions are
      // the principal's own; a record without its word for it (an older one too) works against the principal.
      against: !labels.includes(PRINCIPAL_MATERIAL),
      secret,
      secrets: [],
      sensitive: secret || labels.includes('sensitive') || origin?.sensitive === true,
    })
  }

  /** Records a tool's output: its normalised text, and whether it reads like instructions to the agent. */
  observeResult(seq: number, call: string, output: string): void {
    const origin = this.callOf(call)
    const tool = origin?.tool ?? 'unknown'
    // What base64 runs encode is read after the output, as text of its own (decision 003, principle 1): its orders
    // taint, its values are found there.
    const head = output.length > LIMITS.outputChars ? output.slice(0, LIMITS.outputChars) : output
    const decoded = decodedText(head)
    const raw = decoded ? `${head}\n${decoded}`.slice(0, LIMITS.outputChars) : head
    const toolNames = this.toolNames()
    const reader = { request: this.promptRaw, designated: this.designated(origin), text: this.promptText }
    // A chunk is two halves, and normalising is local: each half is normalised once and joined into the two
    // chunks it belongs to (a URL scheme cut in two keeps a fragment, which containment still looks past).
    const normalised: string[] = []
    const lowered: string[] = []
    const half = (k: number) => {
      if (normalised[k] === undefined) {
        const text = raw.slice(k * STRIDE, (k + 1) * STRIDE)
        normalised[k] = canonicalText(text)
        lowered[k] = text.toLowerCase()
      }
    }
    // Sentences addressed to the agent (a named reader told to act, hidden orders, members named for an assistant)
    // taint the chunks they fall in, whatever they ask for.
    const spans = addressedSpans(raw)
    const addressed = (start: number) => spans.some((span) => span.start < start + CHUNK && span.end > start)
    const chunks: OutputChunk[] = []
    for (let start = 0; start < raw.length || start === 0; start += STRIDE) {
      const k = start / STRIDE
      half(k)
      half(k + 1)
      chunks.push({
        start,
        text: `${normalised[k]}${normalised[k + 1]}`,
        raw: `${lowered[k]}${lowered[k + 1]}`,
        tainted:
          addressed(start) ||
          instructionScore(raw.slice(start, start + CHUNK), toolNames, reader) >= INSTRUCTION_THRESHOLD,
      })
      if (start + CHUNK >= raw.length) break
    }
    // Instructions reach past their own window (a tool-knowledge injection lists its arguments after the cue):
    // chunks within REACH of a tainted one are tainted too.
    const own = chunks.map((chunk) => chunk.tainted)
    for (const [i, chunk] of chunks.entries())
      chunk.tainted = own.slice(Math.max(0, i - REACH), i + REACH + 1).some(Boolean)
    const tainted = own.some(Boolean)
    const items = tainted ? cleanItems(raw, spans, toolNames, reader) : []
    const secrets = credentialsIn(raw)
    const secret = secrets.length > 0
    this.keep({
      seq,
      call,
      tool,
      raw,
      chunks,
      tainted,
      spans,
      ...(items.length > 0 ? { items } : {}),
      designated: this.designated(origin),
      secret,
      secrets,
      sensitive: secret || origin?.sensitive === true || PERSONAL_DATA.test(raw),
    })
  }

  /** A call, or its output, observed before it was committed: its chain record is `seq`. */
  locate(event: 'tool.call' | 'tool.result', call: string, seq: number): void {
    const observed =
      event === 'tool.call' ? this.callOf(call) : this.outputs.findLast((output) => output.call === call)
    if (observed && observed.seq === 0) observed.seq = seq
  }

  /** Records a signal raised outside the detectors (credential reuse, delegation). */
  observeSignal(seq: number, signal: Signal): void {
    // Bounded like the rest of the state: the oldest signal goes first (its weight has decayed the most).
    if (this.signals.length >= LIMITS.calls) this.signals.shift()
    this.signals.push({ ...signal, seq })
  }
}
