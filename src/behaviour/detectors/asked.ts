import type { ToolDefinition } from '../../catalog/index.js'
import {
  actionStems,
  contentStems,
  forbiddenStems,
  moodAction,
  moodObject,
  moodSentences,
  toolActionStems,
} from '../language.js'
import type { Signal } from '../signals.js'
import type { ObservedOutput, TaskState } from '../task-state.js'
import { againstPrincipal, isMemory, isWrite, plantedAt } from '../task-state.js'
import { argumentLeaves, canonical, embeddedIdentifiers, occursIn, ownToolName, SHORT } from '../values.js'
import { isEgress } from './flows.js'
import { isOpenWorld } from './provenance.js'

const requestStems = new WeakMap<TaskState, Set<string>>()
const toolStems = new WeakMap<ToolDefinition, Set<string>>()
const toolActions = new WeakMap<ToolDefinition, Set<string>>()
const wordedRequests = new WeakMap<TaskState, boolean>()

/**
 * What the principal asked to be done, as content stems of the request and the task's declared purpose — less the
 * words of clauses that only ask to read ("check the bucket policy" asks for no policy to be written).
 */
export function askedStems(state: TaskState): Set<string> {
  let stems = requestStems.get(state)
  if (!stems) {
    stems = actionStems(state.promptText)
    requestStems.set(state, stems)
  }
  return stems
}

/** What a tool does, as content stems of its own name (namespace aside), title and description. */
export function toolStemsOf(definition: ToolDefinition): Set<string> {
  let stems = toolStems.get(definition)
  if (!stems) {
    stems = contentStems(
      `${ownToolName(definition.name)}. ${definition.title ?? ''}. ${definition.description ?? ''}`,
    )
    toolStems.set(definition, stems)
  }
  return stems
}

/** What a tool does, as the stems of its action: its own name and title, its description's opening verb. */
export function toolActionsOf(definition: ToolDefinition): Set<string> {
  let stems = toolActions.get(definition)
  if (!stems) {
    stems = toolActionStems(
      `${ownToolName(definition.name)} ${definition.title ?? ''}`,
      definition.description ?? '',
    )
    toolActions.set(definition, stems)
  }
  return stems
}

/**
 * Whether the request asks for what a tool does: a word of what the request asks done (outside a clause that only
 * reads) is the tool's action — a word of its own name (verb and object) or its description's opening verb —,
 * compared by stem, so a nominalised action matches its verb ("make a reservation" ↔ `reserve_hotel`, "save to
 * memory" ↔ `memory_write`, "a transfer" ↔ "Transfers money …"; not "check the bucket policy" ↔
 * `put_bucket_policy`, nor "reply to the customer about their order" ↔ `create_refund`'s "… Use when a customer
 * writes about a late order"). The rest of a description says what the tool takes, returns and is for, and shares
 * nouns with almost any request. A request with no content words says nothing either way (true).
 */
export function isAsked(state: TaskState, definition: ToolDefinition): boolean {
  // A request with no content words says nothing either way; one whose every clause only reads asks for no write.
  let worded = wordedRequests.get(state)
  if (worded === undefined) {
    worded = contentStems(state.promptText).size > 0
    wordedRequests.set(state, worded)
  }
  if (!worded) return true
  const asked = askedStems(state)
  for (const stem of toolActionsOf(definition)) if (asked.has(stem)) return true
  return false
}

/**
 * The request gives where the call goes: an address, link, account or long number of the call is written in the
 * request ("Pay the bill to DE00…", "Read www.example.com/x"). Naming the object acted on (an issue key) is not
 * asking for an action on it; naming the destination is.
 */
function destinationAsked(state: TaskState, args: Record<string, unknown>): boolean {
  for (const leaf of argumentLeaves(args))
    for (const id of embeddedIdentifiers(leaf.value)) if (state.prompt.includes(canonical(id))) return true
  return false
}

/**
 * The request forbids what the tool does, or keeps it for the principal (`language.ts#forbiddenStems`): a stem of
 * the tool's action that the request negates ("Don't approve anything yet" ↔ `approve_payment`) or reserves ("I'll
 * decide on merging later" ↔ `merge_pull_request`), and does not also ask for in another clause. `undefined` when
 * it does not.
 */
export function forbiddenBy(state: TaskState, definition: ToolDefinition): string | undefined {
  const forbidden = forbiddenStems(state.promptText)
  if (forbidden.size === 0) return undefined
  const asked = askedStems(state)
  for (const stem of toolActionsOf(definition)) if (forbidden.has(stem) && !asked.has(stem)) return stem
  return undefined
}

/** Whether an output's instructions speak of what a tool does (share a content stem with its definition). */
function asksFor(output: ObservedOutput, stems: Set<string>): boolean {
  const text = output.spans.length
    ? output.spans.map((span) => span.text).join(' ')
    : output.chunks
        .filter((chunk) => chunk.tainted)
        .map((chunk) => chunk.raw)
        .join(' ')
        .slice(0, 4000)
  for (const stem of contentStems(text.slice(0, 4000))) if (stems.has(stem)) return true
  return false
}

const moodsOf = new WeakMap<ObservedOutput, string[]>()

/**
 * Data that asked, by its mood, for what this tool does (decision 003, principle 7): a sentence of an earlier output
 * that puts an obligation on no one, asks politely or indirectly, or claims the action already approved
 * (`moodSentences`), whose action — its verbs by stem, the object of an approval (`moodAction`) — is among the
 * tool's own name, title and description stems, and not what the request asks done in its own words. The call is
 * not asked for by the request (checked before): the data chose it.
 */
function askedByMood(
  state: TaskState,
  definition: ToolDefinition,
): { output: ObservedOutput; sentence: string } | undefined {
  const stems = toolStemsOf(definition)
  // A screen before the tagger: the sentence holds the start of one of the tool's stems.
  const starts = [...stems].map((stem) => stem.slice(0, 4))
  const asked = askedStems(state)
  for (const output of [...state.outputs].reverse()) {
    if (!output.raw) continue
    let sentences = moodsOf.get(output)
    if (!sentences) {
      sentences = moodSentences(output.raw)
      moodsOf.set(output, sentences)
    }
    for (const sentence of sentences) {
      const lower = sentence.toLowerCase()
      if (!starts.some((start) => lower.includes(start))) continue
      const action = [...moodAction(sentence)]
      // A sentence that asks for what the request asks, in its words ("pay the bill" ↔ the bill's "please pay the
      // amount …"), is the principal's own errand; where it sends things is judged by the other principles.
      if (action.some((stem) => asked.has(stem))) continue
      if (action.some((stem) => stems.has(stem))) return { output, sentence }
      // A passive obligation puts the order on its subject: one that names what the tool's own name acts on asks for
      // that tool's action, whatever verb it uses ("geofence alerts … are to be disabled" ↔ `set_geofence_alerts`).
      const actions = toolActionsOf(definition)
      if ([...moodObject(sentence)].some((stem) => actions.has(stem))) return { output, sentence }
    }
  }
  return undefined
}

/** An argument that holds text the tool runs: a command, a query, a script, code. */
const RUN_TEXT = /^(?:command|cmd|query|sql|script|code|statement|expression)s?$/i

/** Whether a tool runs text it is given (a shell command, a SQL statement): what it does is what that text says. */
export function runsText(definition: ToolDefinition): boolean {
  return Object.keys((definition.inputSchema?.properties ?? {}) as object).some((name) => RUN_TEXT.test(name))
}

/**
 * Is the action asked for? A write or an open-world call whose tool the request does not ask for (by name and
 * description, compared by stem), taken after the task read instructions planted in data: critical when those
 * instructions speak of what the tool does, high otherwise; and any write in a task whose request asks for nothing
 * to be done (high). The request decides what the agent is for; data that asks for another action is not the
 * principal.
 */
export function detectUnrequested(
  state: TaskState,
  tool: string,
  args: Record<string, unknown>,
  definition?: ToolDefinition,
): Signal[] {
  const def = definition ?? state.tools.get(tool)
  if (!def || (!isWrite(def) && !isOpenWorld(def))) return []
  // The principal said not to: no data, however it is phrased, speaks for them over their own word.
  const forbidden = forbiddenBy(state, def)
  if (forbidden !== undefined) {
    const last = state.outputs.at(-1)
    return [
      {
        kind: 'unrequested_action',
        severity: 'critical',
        summary: `\`${tool}\` does what the request forbids or keeps for the principal ("${forbidden}")`,
        evidence: last ? [last.seq] : [],
        refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02'],
        detail: { principle: 'asked', output: last?.seq, span: state.promptText.slice(0, 200) },
      },
    ]
  }
  const tainted = state.outputs.filter(againstPrincipal)
  if (isAsked(state, def) || destinationAsked(state, args)) {
    if (!isWrite(def)) return []
    const assigned = assignedBySpan(state, tool, args)
    return assigned.length > 0 ? assigned : beyondScope(state, tool, args)
  }
  const moved = askedByMood(state, def)
  if (moved)
    return [
      {
        kind: 'unrequested_action',
        severity: 'critical',
        summary: `\`${tool}\` does what data asked for by its mood ("${moved.sentence.slice(0, 80)}"), which the request never asks`,
        evidence: [moved.output.seq],
        refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02'],
        detail: { principle: 'mood', output: moved.output.seq, span: moved.sentence.slice(0, 200) },
      },
    ]
  if (tainted.length === 0) {
    // A request that only asks to read or to be told ("Read my texts and tell me if anything is urgent") asks
    // for no write at all: one taken anyway did not come from the principal, whatever data the task read.
    // A tool that runs text in a language (a shell command, a SQL statement) is judged by that text instead
    // (`sinks.ts`): "count the rows" runs a SELECT through a tool that could also write.
    // Memory is the agent's own notebook, written as it goes; what reaches it is judged as a flow (`flows.ts`).
    // A write by the server's own word (MCP's `readOnlyHint: false`) or one that sends data out: a tool that
    // ships without annotations and whose name has no verb of reading (`convert_currency`) may well only compute.
    // Without annotations, a tool whose name has no verb of reading is taken for a write when it sends data out or
    // when data chose what it acts on: a value of the call that the request never gives and an output does.
    const declared = def.annotations?.readOnlyHint === false
    if (!isWrite(def) || runsText(def) || isMemory(def)) return []
    if (askedStems(state).size > 0) return []
    if (!(declared || isEgress(def) || chosenByData(state, args))) return []
    const last = state.outputs.at(-1)
    return [
      {
        kind: 'unrequested_action',
        severity: 'high',
        summary: `\`${tool}\` changes something in a task whose request asks only to read or to be told`,
        evidence: last ? [last.seq] : [],
        refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02'],
        detail: { principle: 'asked', output: last?.seq },
      },
    ]
  }
  const stems = toolStemsOf(def)
  const asking = tainted.filter((output) => asksFor(output, stems))
  const source = asking.at(-1) ?? tainted.at(-1)
  return [
    {
      kind: 'unrequested_action',
      severity: asking.length > 0 ? 'critical' : 'high',
      summary: `\`${tool}\` does what the request never asks for, after the task read instructions planted in data`,
      evidence: (asking.length ? asking : tainted).map((output) => output.seq),
      refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02'],
      detail: {
        principle: 'asked',
        output: source?.seq,
        span: source?.spans[0]?.text.slice(0, 200),
      },
    },
  ]
}

/** A value of the call, specific enough to trace, that the request never gives and an output of the task does. */
function chosenByData(state: TaskState, args: Record<string, unknown>): boolean {
  for (const leaf of argumentLeaves(args)) {
    if (leaf.key || canonical(leaf.value).length < SHORT || namedByRequest(state, leaf.value)) continue
    const occurs = occursIn(leaf.value)
    if (state.outputs.some((output) => output.chunks.some(occurs))) return true
  }
  return false
}

/**
 * The request writes a value in its own words ("TXT", "acme.com", "order 5521"): it names the one it means. A value
 * of five or more characters is found as the request's other values are (canonical containment); a shorter one
 * only as a word of its own, as written — "A" is not named by "Add a record", "TXT" is by "the TXT record".
 */
function namedByRequest(state: TaskState, value: string): boolean {
  // The request and the trusted text never change in a task: each value is looked up once per task (bounded).
  let named = namedValues.get(state)
  if (!named) {
    named = new Map()
    namedValues.set(state, named)
  }
  let found = named.get(value)
  if (found === undefined) {
    found = isNamedByRequest(state, value)
    if (named.size >= NAMED_VALUES) named.delete(named.keys().next().value as string)
    named.set(value, found)
  }
  return found
}

/** Values remembered per task by `namedByRequest`. */
const NAMED_VALUES = 1024
const namedValues = new WeakMap<TaskState, Map<string, boolean>>()

function isNamedByRequest(state: TaskState, value: string): boolean {
  const c = canonical(value)
  if (c.length === 0) return false
  if (c.length >= SHORT) {
    const occurs = occursIn(value)
    return (
      occurs({ text: state.prompt, raw: state.promptRaw }) ||
      occurs({ text: state.trusted, raw: state.trustedRaw })
    )
  }
  const word = value.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(?<![\\p{L}\\d])${word}(?![\\p{L}\\d])`, 'u').test(state.promptText)
}

/**
 * Whether an output holds `value` (`undefined` when not), and whether where it does reads as instructions. A value
 * of five or more characters is found canonically; a shorter one as a word of its own, as written ("A" in "… an A
 * record …").
 */
function readIn(output: ObservedOutput, value: string): boolean | undefined {
  const c = canonical(value)
  if (c.length >= SHORT) {
    const chunks = output.chunks.filter(occursIn(value))
    return chunks.length === 0 ? undefined : chunks.some((chunk) => chunk.tainted)
  }
  if (c.length === 0 || !output.raw) return undefined
  const word = value.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const at = output.raw.search(new RegExp(`(?<![\\p{L}\\d])${word}(?![\\p{L}\\d])`, 'u'))
  return at < 0 ? undefined : plantedAt(output.chunks, at, at + value.trim().length)
}

/**
 * The request fixes what an action is about, and this call of the same tool is about something else. An earlier
 * call of the tool carried, at one argument, a value the request names ("Add the TXT record …" → `type: "TXT"`);
 * this call puts there a value the request never names, read from data ("… www must get an A record …" → `type:
 * "A"`). The request asked for its action once, on its own terms: one more call with a changed argument is an
 * action nobody asked for, however much the tool itself was asked for — an extra record, a second payment, a
 * swapped account. High (a human confirms); critical when the new value sits in text that reads as instructions.
 */
function beyondScope(state: TaskState, tool: string, args: Record<string, unknown>): Signal[] {
  const earlier = state.calls.filter((call) => call.tool === tool && call.args !== args)
  if (earlier.length === 0) return []
  const mine = new Map<string, { value: string; canonical: string }>()
  for (const leaf of argumentLeaves(args))
    if (!leaf.key) mine.set(leaf.path, { value: leaf.value, canonical: canonical(leaf.value) })
  // What follows depends only on an earlier leaf's path and value: each pair is judged once, in the order first met.
  const judged = new Set<string>()
  for (const call of earlier) {
    for (const leaf of argumentLeaves(call.args)) {
      const own = mine.get(leaf.path)
      if (leaf.key || own === undefined) continue
      const pair = `${leaf.path}\u0000${leaf.value}`
      if (judged.has(pair)) continue
      judged.add(pair)
      const value = own.value
      if (own.canonical === canonical(leaf.value)) continue
      if (!namedByRequest(state, leaf.value) || namedByRequest(state, value)) continue
      // Where the new value was read: data (not the agent's own invention, which provenance judges).
      const sources = state.outputs.filter((output) => readIn(output, value) !== undefined)
      if (sources.length === 0) continue
      const planted = sources.filter((output) => readIn(output, value) === true)
      const source = planted.at(-1) ?? sources.at(-1)
      return [
        {
          kind: 'unrequested_action',
          severity: planted.length > 0 ? 'critical' : 'high',
          summary: `\`${tool}\` again, with \`${leaf.path}\` changed from the request's "${leaf.value.slice(0, 40)}" to a value read from data`,
          evidence: (planted.length ? planted : sources).map((output) => output.seq),
          refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02'],
          detail: {
            principle: 'scope',
            output: source?.seq,
            span: source?.spans[0]?.text.slice(0, 200),
            argument: leaf.path,
            value: value.slice(0, 120),
          },
        },
      ]
    }
  }
  return []
}

/**
 * An argument the planted text sets by name: text that reads as instructions against the principal writes the
 * argument's name and the very value the call gives it as an assignment — `status=ignored`, "set status to ignored"
 * — and the request names neither the value nor the argument. A colon is how data states its own fields
 * ("recipient: alice" in a listing), and only a sentence addressed to the agent is read, not the window around it. However short or common the value
 * ("ignored", "low", "true"), the text chose it for this argument: the call does what the data said (decision 003,
 * principle 2). Critical, principle `scope`: the tool may be the one the request asks for; this argument is not.
 */
function assignedBySpan(state: TaskState, tool: string, args: Record<string, unknown>): Signal[] {
  const planted = state.outputs.filter(againstPrincipal)
  if (planted.length === 0) return []
  for (const leaf of argumentLeaves(args)) {
    const value = leaf.value.trim()
    if (leaf.key || value.length === 0 || value.length > 80 || leaf.name.length < 2) continue
    if (namedByRequest(state, value) || namedByRequest(state, leaf.name)) continue
    const assignment = new RegExp(
      `(?<![\\p{L}\\d_-])${escapedText(leaf.name)}["']?\\s*(?:=|\\bto\\b)\\s*["']?${escapedText(value)}(?![\\p{L}\\d_-])`,
      'iu',
    )
    for (const output of planted) {
      // Only a sentence that reads as addressed to the agent: a whole window around it holds data's own fields.
      const span = output.spans.map((s) => s.text).find((text) => assignment.test(text))
      if (span === undefined) continue
      return [
        {
          kind: 'unrequested_action',
          severity: 'critical',
          summary: `\`${leaf.path}\` of \`${tool}\` is set as text planted in data assigns it ("${leaf.name}" → "${value.slice(0, 40)}")`,
          evidence: [output.seq],
          refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02'],
          detail: {
            principle: 'scope',
            output: output.seq,
            span: span.slice(0, 200),
            argument: leaf.path,
            value: value.slice(0, 120),
          },
        },
      ]
    }
  }
  return []
}

function escapedText(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
