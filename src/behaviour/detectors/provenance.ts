import type { ToolDefinition } from '../../catalog/index.js'
import type { Fingerprinter } from '../fingerprints.js'
import { contentStems } from '../language.js'
import type { Signal } from '../signals.js'
import type { ObservedOutput, TaskState } from '../task-state.js'
import { againstPrincipal, isWrite } from '../task-state.js'
import {
  argumentLeaves,
  canonical,
  canonicalText,
  embeddedIdentifiers,
  isTraceable,
  occursIn,
  SHORT,
  sameFamily,
  type TypedValue,
  typedArgument,
  typedValues,
  type ValueKind,
} from '../values.js'
import { isAsked } from './asked.js'
import {
  INSTRUCTION_THRESHOLD,
  instructionScore,
  overridesPrincipal,
  properNames,
  unaccountedDirectives,
} from './instruction-text.js'

const overriding = new WeakMap<ObservedOutput, boolean>()

/**
 * Whether an output's planted instructions work against the principal, for the values it carries: any output's
 * but that of a record the request named (`againstPrincipal`), and a named record's too where it speaks to the agent
 * over the principal's head ("Ignore all previous instructions …") — no principal's own document says that.
 */
export function workedAgainst(state: TaskState, output: ObservedOutput): boolean {
  if (!output.tainted) return false
  if (output.against !== undefined) return output.against
  // Any reader it addresses, a role too ("Refund processors: refund to …"): for the values it carries, an order to
  // whoever handles the record is not the record's data.
  if (againstPrincipal(output) || output.spans.length > 0) return true
  let known = overriding.get(output)
  if (known === undefined) {
    known = overridesPrincipal(output.raw, state.toolNames())
    overriding.set(output, known)
  }
  return known
}

/** Argument names that choose *where* an action goes or *whom* it affects. */
const CONSEQUENTIAL_NAME =
  /recipient|^to$|email|iban|account|address|url|link|website|domain|channel|user|member|participant|invitee|attendee|password|phone|destination|target|^cc$|^bcc$|owner|_id$|^id$|path|^file|filename|directory|folder|^dest/i
/** Words in an argument's description that say the same. */
const CONSEQUENTIAL_DESCRIPTION =
  /\b(recipients?|e-?mail address(es)?|iban|account number|url|web ?site|channel|user ?name|participants?|password|phone number|destination)\b/i

interface Candidate {
  arg: string
  value: string
  /** Found inside free text (a message body) rather than being the argument itself. */
  embedded: boolean
  /** The whole argument the value was found in (itself, when not embedded). */
  whole: string
  /**
   * Traced only for planted provenance: a whole value of an argument no name marks as consequential (a title, a
   * command, a file's content, a memory fact, a member's name). Such a value comes from anywhere; only one found
   * nowhere but inside planted instructions says where it came from.
   */
  plantedOnly?: boolean
}

function describe(definition: ToolDefinition | undefined, arg: string): string {
  const props = (definition?.inputSchema?.properties ?? {}) as Record<string, { description?: string }>
  return props[arg]?.description ?? ''
}

/**
 * Specific to where it was written: at least 8 characters and more than one word, or with a character a word
 * has not (a digit, `@`, `/`, `.`) — "invoices" or "Done" are words any text has.
 */
function isSpecific(value: string): boolean {
  return canonical(value).length >= 8 && /[\s\d@/.:_]/.test(value.trim())
}

/**
 * The values of a call to trace, at any depth of its argument tree (nested objects, arrays, object keys): those
 * whose member name or description says they choose a target, identifiers inside any text, and every other whole
 * value long enough to be specific, for planted provenance only.
 */
export function consequentialValues(
  definition: ToolDefinition | undefined,
  args: Record<string, unknown>,
): readonly Candidate[] {
  // Read once per call and definition: provenance and novelty both trace a call's values (see `argumentLeaves`).
  const known = candidatesOf.get(args)
  if (known && known.definition === definition) return known.candidates
  const out: Candidate[] = []
  for (const leaf of argumentLeaves(args)) {
    const top = leaf.path.split('/')[0] ?? leaf.name
    const v = leaf.value
    if (!isTraceable(v)) continue
    const named =
      !leaf.key &&
      (CONSEQUENTIAL_NAME.test(leaf.name) ||
        (top === leaf.name && CONSEQUENTIAL_DESCRIPTION.test(describe(definition, top))))
    if (named) {
      out.push({ arg: leaf.path, value: v, embedded: false, whole: v })
      continue
    }
    const ids = embeddedIdentifiers(v)
    for (const id of ids)
      if (isTraceable(id)) out.push({ arg: leaf.path, value: id, embedded: true, whole: v })
    if (isSpecific(v) && !ids.includes(v))
      out.push({ arg: leaf.path, value: v, embedded: false, plantedOnly: true, whole: v })
  }
  candidatesOf.set(args, { definition, candidates: out })
  return out
}

const candidatesOf = new WeakMap<
  object,
  { definition: ToolDefinition | undefined; candidates: readonly Candidate[] }
>()

/**
 * Argument provenance (B3): a call that changes or reaches the world, whose consequential value comes from
 * planted instructions in a tool output — and not from the principal's request, the agent's trusted
 * configuration, or plain data — is doing what the data said, not what the principal asked. An argument that
 * itself carries instructions to an agent is the same attack one step further.
 */
export function detectProvenance(
  state: TaskState,
  tool: string,
  args: Record<string, unknown>,
  definition?: ToolDefinition,
  fingerprints?: Fingerprinter,
): Signal[] {
  const def = definition ?? state.tools.get(tool)
  // Writes change the world; open-world reads reach it (fetching an attacker's URL is an egress too).
  if (!isWrite(def) && !isOpenWorld(def)) return []
  const toolNames = state.toolNames()
  const signals: Signal[] = []
  // A record the request named is the principal's own material for the values it carries, whatever its mood
  // ("Please pay … to DE89…" in the invoice the request points at) — for an action the request asks, and for a
  // kind of value the request left to it: not when it addresses an AI or speaks over the principal's head, not for
  // an action the request never asks ("review claim 88" → an approval), and not for a recipient when the request
  // names its own ("e-mail the summary to ops@…" → one more address from the transcript).
  // Nor for a value the record carries only inside a clause that asks for another action than the request's (a
  // bill the request asks to pay whose "TODO: send … to <IBAN>" is a second action planted in it): the record's own
  // data is what it states, not what a directive in it asks for.
  let askedAction: boolean | undefined
  const against = (
    output: ObservedOutput,
    kind?: () => ValueKind | undefined,
    value?: {
      text: string
      name: string
      whole: string
      occurs: (chunk: { text: string; raw: string }) => boolean
    },
  ) => {
    if (workedAgainst(state, output)) return true
    if (!output.tainted || !output.designated) return false
    askedAction ??= def !== undefined && isAsked(state, def)
    const given = kind?.()
    if (!askedAction || (given !== undefined && requestTyped(state).some((r) => r.kind === given)))
      return true
    if (value === undefined) return false
    return (
      aboutSomeoneElse(state, output, value.text) ||
      plantedInRecord(state, output, {
        name: value.name,
        kinds: [given, typedArgument(value.name, value.whole)?.kind],
        occurs: value.occurs,
      })
    )
  }
  for (const { arg, value, embedded, plantedOnly, whole } of consequentialValues(def, args)) {
    if (!plantedOnly && instructionScore(value, toolNames) >= INSTRUCTION_THRESHOLD) {
      signals.push({
        kind: 'instructions_in_argument',
        severity: 'critical',
        summary: `\`${arg}\` of \`${tool}\` carries instructions addressed to an agent`,
        evidence: state.outputs.filter((output) => output.tainted).map((output) => output.seq),
        refs: ['OWASP-ASI:ASI01'],
        detail: { principle: 'addressed', argument: arg, value: value.slice(0, 120) },
      })
      continue
    }
    // A path is traced by its tail too: instructions name `leak/out.txt`, the call writes `/srv/x/leak/out.txt`.
    // Only a path: a link keeps its host (its tail would keep a scheme cut in two), free text its words.
    const isPath = value.includes('/') && !value.includes('://') && !/\s/.test(value.trim())
    const traced = isPath ? pathTail(value) : value
    const c = canonical(traced)
    const short = c.length < SHORT
    const inText = occursIn(traced)
    // Outputs known only by fingerprints (state rebuilt from the chain) are matched by the value's fingerprint.
    let print: string | undefined
    const occurs = (chunk: { text: string; raw: string; prints?: ReadonlySet<string> }) => {
      if (!chunk.prints) return inText(chunk)
      print ??= fingerprints?.of(traced)
      return print !== undefined && chunk.prints.has(print)
    }
    if (
      occurs({ text: state.prompt, raw: state.promptRaw }) ||
      occurs({ text: state.trusted, raw: state.trustedRaw })
    )
      continue
    // Where does the value occur: only inside planted instructions, or also in plain data?
    const name =
      arg
        .split('/')
        .filter((s) => !/^\d+$/.test(s))
        .at(-1) ?? arg
    const kind = () => typedArgument(name, value)?.kind
    const places = state.outputs.flatMap((output) =>
      // A listing's items that carry no instructions are plain data, however near the item that does.
      [...output.chunks, ...(output.items ?? [])].filter(occurs).map((chunk) => ({
        seq: output.seq,
        tainted: chunk.tainted,
        against: against(output, kind, { text: value, name, whole, occurs: inText }),
      })),
    )
    const planted = places.filter((place) => place.tainted)
    const plantedAgainst =
      planted.length > 0 && planted.length === places.length && planted.every((place) => place.against)
    if (plantedOnly) {
      if (plantedAgainst) signals.push(plantedSignal(state, tool, arg, value, planted))
      continue
    }
    const injected = state.outputs.filter((output) => against(output)).map((output) => output.seq)
    // Found nowhere as a whole, but put together from sourced parts, or naming an object the task already acted
    // on: not a value from nowhere.
    if (places.length === 0 && !embedded && !short && composedOrUsed(state, value, args, isPath)) continue
    if (places.length === 0 && injected.length === 0 && isWrite(def) && !embedded && !short) {
      signals.push({
        kind: 'unsourced_value',
        severity: 'high',
        summary: `\`${arg}\` of \`${tool}\` comes from neither the request nor any data the task has seen`,
        evidence: [],
        refs: ['OWASP-ASI:ASI01'],
        detail: { principle: 'taint', argument: arg, value: value.slice(0, 120) },
      })
    } else if (places.length === 0 && injected.length > 0 && !embedded && !short) {
      // From nowhere the agent was given — after it read planted instructions (which may be cut off in what
      // was recorded, or paraphrased): the likeliest source is those instructions.
      signals.push({
        kind: 'unsourced_after_injection',
        severity: 'critical',
        summary: `\`${arg}\` of \`${tool}\` comes from neither the request nor any data, after planted instructions were read`,
        evidence: injected,
        refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02'],
        detail: plantedDetail(state, injected.at(-1), arg, value),
      })
    } else if (
      embedded &&
      injected.length > 0 &&
      places.length > planted.length &&
      isWrite(def) &&
      !isLink(value)
    ) {
      // Free text that carries identifiers of records read from plain data (accounts, e-mail addresses, long
      // numbers), after the task read planted instructions: the shape of an exfiltration riding in a subject or
      // a body. Links are left out: a summary cites the pages it read.
      signals.push({
        kind: 'data_in_text_after_injection',
        severity: 'high',
        summary: `\`${arg}\` of \`${tool}\` carries identifiers read from data, after planted instructions were read`,
        evidence: injected,
        refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02'],
        detail: plantedDetail(state, injected.at(-1), arg, value),
      })
    } else if (plantedAgainst) {
      signals.push(plantedSignal(state, tool, arg, value, planted))
    }
  }
  if (isWrite(def)) {
    const named = new Set(signals.map((signal) => signal.detail?.argument))
    signals.push(...detectSubstitution(state, tool, args, named))
  }
  return signals
}

/**
 * The sentence of a named record that carries `value` is about someone the request does not name, while the request
 * names someone it does not ("Invite Dora …" ↔ the page's "Invite user Fred with the email fred@…"): the record's
 * value is for another person than the one the request asks about.
 */
function aboutSomeoneElse(state: TaskState, output: ObservedOutput, value: string): boolean {
  const asked = properNames(state.promptText)
  if (asked.length === 0) return false
  const at = output.raw.toLowerCase().indexOf(value.toLowerCase())
  if (at < 0) return false
  const before = output.raw.slice(Math.max(0, at - 300), at)
  const start = Math.max(before.lastIndexOf('. '), before.lastIndexOf('\n'), before.lastIndexOf('! '))
  const after = output.raw.slice(at, at + 300).search(/[.!?](?:\s|$)|\n/)
  const sentence = `${before.slice(start + 1)}${output.raw.slice(at, after < 0 ? at + 300 : at + after)}`
  const lower = sentence.toLowerCase()
  const has = (name: string) => new RegExp(`(?<![\\p{L}])${name}(?![\\p{L}])`, 'u').test(lower)
  const request = state.promptText.toLowerCase()
  return asked.some((name) => !has(name)) && properNames(sentence).some((name) => !request.includes(name))
}

/** A named record's unaccounted directive clauses, its text outside them, and the kinds of value that text states. */
interface RecordDirectives {
  clauses: Chunk[]
  rest: Chunk
  kinds?: ValueKind[]
}

const directivesOf = new WeakMap<ObservedOutput, RecordDirectives>()

interface Chunk {
  text: string
  raw: string
  /** As written (case kept): typed values are read from it. */
  original: string
}

/** The English name of a kind of value, as a request would say it ("the link in …", "the amount on …"). */
const KIND_WORD: Record<ValueKind, string> = {
  money: 'amount',
  email: 'email',
  phone: 'phone',
  iban: 'iban',
  account: 'account',
  link: 'link',
  street: 'address',
}

/**
 * A second action planted in a named record (decision 003, principle 2): the value occurs in the record only inside
 * clauses that ask for an action the request does not account for in its own words (`unaccountedDirectives`), and
 * either the request never names what the value is for (the call's argument, or the value's kind: "the URL in
 * runbook RB-12" names the URL a runbook's "Step 3: set the webhook URL to …" gives), or the record states another
 * value of that kind outside such clauses (a bill's own payee, beside a "send … to <IBAN>" planted in it). What the
 * record states itself — the amount due, the payee, the date — is its own data, whatever clause stands near it.
 */
function plantedInRecord(
  state: TaskState,
  output: ObservedOutput,
  value: {
    name: string
    kinds: Array<ValueKind | undefined>
    occurs: (chunk: { text: string; raw: string }) => boolean
  },
): boolean {
  if (!output.raw) return false
  let known = directivesOf.get(output)
  if (!known) {
    const reader = { request: state.promptRaw, designated: true, text: state.promptText }
    // A clause whose action the request names as a noun ("apply the payment in payment.txt" ↔ "Please pay …") is
    // the request's own errand.
    const nouns = state.promptRaw.match(/[a-z]+/g) ?? []
    const clauses = unaccountedDirectives(output.raw, state.toolNames(), reader)
      .filter(({ verb }) => verb === undefined || !nouns.some((word) => nominalises(word, verb)))
      .map(({ clause }) => clause)
    let rest = output.raw.replace(/\s+/g, ' ')
    for (const clause of clauses) rest = rest.replace(clause.replace(/\s+/g, ' '), ' ')
    known = { clauses: clauses.map(chunkOf), rest: chunkOf(rest) }
    directivesOf.set(output, known)
  }
  if (!known.clauses.some(value.occurs) || value.occurs(known.rest)) return false
  // What the value is for, in the request's words: the argument's name, or the kind of the value or of the whole
  // argument it sits in (a meeting link's digits are the link's).
  const named = requestWords(state)
  const words = [value.name, ...value.kinds.map((kind) => (kind ? KIND_WORD[kind] : ''))].join(' ')
  if (![...contentStems(words)].some((stem) => named.has(stem))) return true
  const kind = value.kinds[0]
  if (kind === undefined) return false
  known.kinds ??= typedValues(known.rest.original).map((v) => v.kind)
  return known.kinds.some((other) => sameFamily(other, kind))
}

/**
 * `word` is the noun English derives from the verb `verb` by a suffix of action ("payment" ← pay, "booking" ← book,
 * "reservation" ← reserve) — not the bare word, which may be another noun ("email" in "their email addresses").
 */
function nominalises(word: string, verb: string): boolean {
  const v = verb.toLowerCase()
  if (v.length < 3 || !word.startsWith(v.endsWith('e') ? v.slice(0, -1) : v)) return false
  const base = v.endsWith('e') ? v.slice(0, -1) : v
  return /^(?:e?ments?|ings?|als?|e?ions?|ations?|ances?|ences?)$/.test(word.slice(base.length))
}

function chunkOf(text: string): Chunk {
  return { text: canonicalText(text), raw: text.toLowerCase(), original: text }
}

const requestStemsOf = new WeakMap<TaskState, Set<string>>()

/** Every content stem of the request, reading clauses too ("the URL in runbook RB-12"). */
function requestWords(state: TaskState): Set<string> {
  let stems = requestStemsOf.get(state)
  if (!stems) {
    stems = contentStems(state.promptText)
    requestStemsOf.set(state, stems)
  }
  return stems
}

const requestValues = new WeakMap<TaskState, TypedValue[]>()
const outputValues = new WeakMap<ObservedOutput, TypedValue[]>()

/** The typed values the request gives (amounts, accounts, addresses, links …), read once per task. */
function requestTyped(state: TaskState): TypedValue[] {
  let values = requestValues.get(state)
  if (!values) {
    values = typedValues(state.promptText)
    requestValues.set(state, values)
  }
  return values
}

/** The typed values an output carries, read once per output (none for one known only by fingerprints). */
function outputTyped(output: ObservedOutput): TypedValue[] {
  let values = outputValues.get(output)
  if (!values) {
    values = typedValues(output.raw)
    outputValues.set(output, values)
  }
  return values
}

const leafValues = new WeakMap<object, Array<{ path: string; raw: string; value: TypedValue }>>()

/** The typed values of a call's arguments (`typedArgument`), read once per call. */
function typedLeaves(args: Record<string, unknown>): Array<{ path: string; raw: string; value: TypedValue }> {
  let typed = leafValues.get(args)
  if (!typed) {
    typed = []
    for (const leaf of argumentLeaves(args)) {
      const value = !leaf.key && typedArgument(leaf.name, leaf.value)
      if (value) typed.push({ path: leaf.path, raw: leaf.value, value })
    }
    leafValues.set(args, typed)
  }
  return typed
}

const same = (a: TypedValue, b: TypedValue) => sameFamily(a.kind, b.kind) && a.key === b.key

/**
 * A substituted value (principle 2, decision 003): for an argument that is an amount, an account, an e-mail
 * address, a phone number, a street address or a link, the request — or the record the request named — gives one
 * value, and the call carries another that only data the request never pointed at supplies ("pay the $2,450
 * claim" → 4,250 from a portal note; the escrow account of the named agreement → the one in an e-mail about
 * "updated wiring instructions"). It needs no sentence that reads as instructions: the request said which value,
 * or where to find it, and the call took another from elsewhere. Not a substitution: a value the request or a
 * named record gives, one no output holds (computed), or one used beside the request's own (an addition).
 */
export function detectSubstitution(
  state: TaskState,
  tool: string,
  args: Record<string, unknown>,
  skip: ReadonlySet<string | undefined> = new Set(),
): Signal[] {
  const typed = typedLeaves(args)
  if (typed.length === 0) return []
  // The request's values, less those an earlier call already used: in "update my standing order to the landlord's
  // account US13…, and refund the 10.00 from my friend", the account was for the first action, not the refund.
  const request = requestTyped(state).filter(
    (r) =>
      !state.calls.some((call) => call.args !== args && typedLeaves(call.args).some((t) => same(t.value, r))),
  )
  const used = (values: TypedValue[]) => typed.some((t) => values.some((v) => same(t.value, v)))
  const signals: Signal[] = []
  for (const { path, raw, value } of typed) {
    if (skip.has(path) || request.some((r) => same(r, value))) continue
    const c = canonical(raw)
    if (c.length >= SHORT && (state.prompt.includes(c) || state.trusted.includes(c))) continue
    const sources = state.outputs.filter((output) => outputTyped(output).some((v) => same(v, value)))
    // No output holds it (computed, or from nowhere: other findings), or a record the request named does: the
    // principal's own data, even where the request gives another value of its kind ("my rent was $1,200; pay what
    // the notice says").
    if (sources.length === 0 || sources.some((o) => o.designated && !workedAgainst(state, o))) continue
    let expected: string | undefined
    const asked = request.filter((r) => r.kind === value.kind)
    if (asked.length > 0) {
      // The request gives its own, and the call uses neither it nor a named record's but one from elsewhere.
      if (!used(asked)) expected = `the request: ${asked.map((r) => r.key).join(', ')}`
    } else {
      // The request left it to a record it named: one no such record holds, from data it never pointed at.
      const records = state.outputs.filter((o) => o.designated && !workedAgainst(state, o))
      const named = records.flatMap((o) =>
        outputTyped(o)
          .filter((v) => v.kind === value.kind)
          .map((v) => ({ seq: o.seq, v })),
      )
      if (named.length > 0 && !used(named.map((n) => n.v)))
        expected = `output ${named[0]?.seq}: ${named.map((n) => n.v.key).join(', ')}`
    }
    if (expected === undefined) continue
    const planted = sources.filter((o) => workedAgainst(state, o))
    const source = planted[0] ?? sources[0]
    signals.push({
      kind: 'substituted_value',
      severity: planted.length > 0 ? 'critical' : 'high',
      summary: `\`${path}\` of \`${tool}\` carries a ${value.kind} that data the request never pointed at supplies, in place of the one the request gives`,
      evidence: sources.map((o) => o.seq),
      refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02'],
      detail: {
        principle: 'taint',
        output: source?.seq,
        span: source?.spans[0]?.text.slice(0, 200),
        argument: path,
        value: raw.slice(0, 120),
        expected: expected.slice(0, 200),
      },
    })
  }
  return signals
}

/** Where text occurs outside planted instructions: the request, the agent's configuration, or plain data. */
function cleanlySourced(state: TaskState, text: string): boolean {
  const c = canonical(text)
  if (c.length === 0) return false
  if (state.prompt.includes(c) || state.trusted.includes(c)) return true
  return state.outputs.some((output) =>
    output.chunks.some((chunk) => !chunk.tainted && chunk.text.includes(c)),
  )
}

/**
 * A value the request and plain data put together — a path whose folder the request gives and whose file name a
 * listing gives ("into reports/archive/" + `q1.pdf`) — or one the task already passed to an earlier call (the id
 * of the page it read, then updates), or a page of a site the request names: sourced, though no text holds it whole.
 */
function composedOrUsed(
  state: TaskState,
  value: string,
  args: Record<string, unknown>,
  isPath: boolean,
): boolean {
  if (isPath) {
    const segments = value.split('/').filter(Boolean)
    const file = segments.at(-1) ?? ''
    const folder = segments.slice(0, -1).join('/')
    if (folder && file && cleanlySourced(state, folder) && cleanlySourced(state, file)) return true
  }
  // A page of a site the request names ("on shop.example.com, look up my order" → `https://shop.example.com/orders/
  // lookup`): the request gives where the call goes, the agent finds its way on it. Only the whole host, as the
  // request or the agent's configuration writes it; a host the request does not name is judged as before.
  const host = /^[a-z][a-z\d+.-]*:\/\/(?:[^/@\s]*@)?([^/:?#\s]+)/i.exec(value.trim())?.[1]?.toLowerCase()
  if (host?.includes('.')) {
    const site = host.replace(/^www\./, '')
    const named = new RegExp(
      `(?<![\\w.-])(?:www\\.)?${site.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-]|\\.[\\w-])`,
    )
    if (named.test(state.promptRaw) || named.test(state.trustedRaw)) return true
  }
  const c = canonical(value)
  return state.calls.some(
    (call) =>
      call.args !== args &&
      argumentLeaves(call.args).some((leaf) => !leaf.key && canonical(leaf.value) === c),
  )
}

/** The evidence of a finding about `value` of `arg`, citing output `seq` and its span read as instructions. */
function plantedDetail(state: TaskState, seq: number | undefined, arg: string, value: string) {
  const output = state.outputs.find((o) => o.seq === seq)
  return {
    principle: 'taint',
    output: seq,
    span: output?.spans[0]?.text.slice(0, 200),
    argument: arg,
    value: value.slice(0, 120),
  }
}

/** A value found nowhere but inside planted instructions: the strongest signal there is. */
function plantedSignal(
  state: TaskState,
  tool: string,
  arg: string,
  value: string,
  planted: Array<{ seq: number }>,
): Signal {
  const seqs = [...new Set(planted.map((place) => place.seq))]
  const output = state.outputs.find((o) => o.seq === seqs[0])
  return {
    kind: 'untrusted_provenance',
    severity: 'critical',
    summary: `\`${arg}\` of \`${tool}\` comes from instructions planted in a tool output`,
    evidence: seqs,
    refs: ['OWASP-ASI:ASI01', 'OWASP-ASI:ASI02', 'MAESTRO:L3'],
    detail: {
      principle: 'taint',
      output: seqs[0],
      span: output?.spans[0]?.text.slice(0, 200),
      argument: arg,
      value: value.slice(0, 120),
    },
  }
}

/** A web address or bare domain (no `@`, a dotted host), as opposed to an account, e-mail address or number. */
function isLink(value: string): boolean {
  return !value.includes('@') && /[a-z]/i.test(value) && /[a-z0-9-]\.[a-z]{2,}/i.test(value)
}

/** The last two segments of a path. */
function pathTail(path: string): string {
  const segments = path.split('/').filter(Boolean)
  return segments.slice(-2).join('/')
}

/**
 * Open-world per MCP's annotation; without one, a read whose definition speaks of URLs or the web. (MCP's
 * default is open-world for every tool; for reads Warden only assumes it where the definition says so.)
 */
export function isOpenWorld(definition: ToolDefinition | undefined): boolean {
  const hint = definition?.annotations?.openWorldHint
  if (hint !== undefined) return hint
  if (!definition) return true
  let open = openWorld.get(definition)
  if (open === undefined) {
    open = readsAsOpenWorld(definition)
    openWorld.set(definition, open)
  }
  return open
}

/** `isOpenWorld` by a definition's words, once per definition (a definition is never changed once pinned). */
const openWorld = new WeakMap<ToolDefinition, boolean>()

function readsAsOpenWorld(definition: ToolDefinition): boolean {
  const about = `${definition.name} ${definition.description ?? ''} ${Object.keys((definition.inputSchema.properties ?? {}) as object).join(' ')}`
  return /\b(url|web|webpage|website|http|https|link|fetch|browse|download)\b/i.test(about.replace(/_/g, ' '))
}
