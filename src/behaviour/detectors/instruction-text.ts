import { actionStems, contentStems, tokens } from '../language.js'
import { ownToolName } from '../values.js'

/**
 * Instructions in data that name no addressee (who is addressed is `addressed.ts`'s): the two phrasings no
 * principle derives — override language and talk about "the task the user gave you" — the directive grammar (an
 * imperative clause with a destination the request does not account for), and the agent's own tool names used as
 * commands. Decision 003 says why each remains. A signal among others, never the only defence.
 */
const CUES: ReadonlyArray<readonly [RegExp, number]> = [
  // Override language.
  [
    /\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(previous|prior|above|earlier|all|any|other)\b[^.\n]{0,30}\b(instructions?|prompts?|tasks?|rules?|messages?)\b/i,
    3,
  ],
  // Talk about the agent's own task, from inside data.
  [
    /\b(the|your|my|this) (original |current |previous |initial )?(task|instructions?|request) (that |which )?(i|the user) (gave|asked|assigned|told)/i,
    3,
  ],
]

/**
 * Verbs that ask for an action with an effect outside the conversation. Generic English, plus (per task) the
 * leading verbs of the agent's own tool names (`send_money` → send, `invite_user_to_slack` → invite).
 */
const ACTION_VERBS = [
  'send',
  'transfer',
  'pay',
  'forward',
  'email',
  'mail',
  'invite',
  'add',
  'remove',
  'delete',
  'change',
  'update',
  'reset',
  'visit',
  'open',
  'post',
  'share',
  'grant',
  'create',
  'schedule',
  'book',
  'give',
  'move',
  'copy',
  'upload',
  'download',
  'publish',
  'reply',
  'write',
  'set',
  'modify',
  'submit',
  'cancel',
  'concatenate',
  'make',
]

/**
 * E-mail addresses, web links and domains, IBAN-like strings, UUIDs, long digit runs: where an action would land, or
 * the one thing it acts on. (Links of any scheme — `sftp://`, `s3://` — were measured: they interrupted one benign
 * task of the held-out fourth set, so they are not read as destinations here.)
 */
const TARGET =
  /(?<![\w.%+-])[\w.%+-]{1,64}@[\w.-]{1,253}\.[a-z]{2,24}|\bhttps?:\/\/\S+|\b[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}\b|\bwww\.\S+|(?<![\w-])[\w-]{1,63}\.(?:com|org|net|io|co|app|xyz|dev|info)\b|\b[A-Z]{2}\d{2}[A-Z0-9]{8,}\b|\b\d{6,}\b/i

/**
 * An object named by its id, with a digit in it: "the file with ID '13'", "file_id: 7", "identifier 42". Not `#`:
 * it numbers issues in changelogs ("Add retries (#1234)") and characters in HTML (`&#39;`).
 */
const NAMED_ID = /(?<![a-z])(?:ids?|identifiers?)(?![a-z])\W{0,4}?['"`]?(?=[\w-]{0,23}\d)(\w[\w-]{0,23})/i

/** `text` as a pattern that matches it literally. */
function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

const directiveCache = new Map<string, readonly RegExp[]>()
const patternsOfList = new WeakMap<readonly string[], readonly RegExp[]>()

/** Words that open a verb's object: "Send a …", "Delete the …", "Transfer $30 …" — generic English. */
const DETERMINERS =
  'a|an|the|this|that|these|those|all|every|each|some|any|as|my|your|his|her|its|our|their|me|him|them|us|it|\\$|\\d|\'|"'

/**
 * Words after which a verb's plain form is part of a sentence, not an imperative: its subject ("we send …",
 * "customers who send …"), a modal or auxiliary ("will send", "want to send", "didn't send"), a word between
 * subject and verb ("we also send"), or a determiner, which makes the word a noun ("your transfer"). Generic English
 * function words; a plural noun as subject is told by its form (see `lowerDirective`). The `OPENERS` ("you",
 * "must", "should", "do", "then", "please") are not here: the first pattern reads a verb after them as a clause.
 */
const NOT_IMPERATIVE = [
  // Subjects and objects ("let them send"), relative pronouns.
  'i',
  'we',
  'they',
  'he',
  'she',
  'it',
  'me',
  'us',
  'him',
  'her',
  'them',
  'who',
  'whom',
  'which',
  'that',
  'people',
  'everyone',
  'everybody',
  'someone',
  'somebody',
  'anyone',
  'anybody',
  'nobody',
  // Modals, auxiliaries, the infinitive's "to", "let".
  'will',
  'would',
  'can',
  'could',
  'may',
  'might',
  'did',
  'does',
  'to',
  'not',
  'let',
]

/**
 * Words that stand between a subject and its verb ("we also send …"). Only after a subject: on their own they
 * lead into an imperative as well ("now email all the figures to …").
 */
const BETWEEN = [
  'also',
  'always',
  'never',
  'often',
  'usually',
  'sometimes',
  'just',
  'still',
  'only',
  'even',
  'now',
]

/** Determiners: the word after them is a noun ("your transfer", "the post"). */
const NOUN_BEFORE = [
  'a',
  'an',
  'the',
  'this',
  'these',
  'those',
  'my',
  'your',
  'our',
  'their',
  'its',
  'his',
  'no',
  'any',
  'some',
  'each',
  'every',
  'all',
]

/**
 * Words that lead into an imperative, besides punctuation: "do", "then", "please", "kindly"; the reader
 * addressed — "could you send …", "we need you to send …"; and an obligation, whoever it is put on — "you must
 * send …", "the assistant reading this should send …", "… is required to send …". Generic English.
 */
const OPENERS =
  'do|then|please|kindly|you(?:\\s+(?:will|can|could|would))?(?:\\s+to)?|must|should|shall|needs?\\s+to|ha(?:s|ve)\\s+to|ought\\s+to|(?:is|are)\\s+(?:required\\s+|expected\\s+|asked\\s+)?to|kind\\s+as\\s+to|(?:someone|somebody)\\s+(?:could|would|can)'

/**
 * The clause after an opening: up to a sentence's end (a `.` inside `www.x.com` does not end it, nor one after an
 * initial: "custodian R. Baines").
 */
const CLAUSE = '(?:[^.!?\\n\\u0001]|[.!?](?=[^\\s])|(?<=(?:^|[^\\w.])[A-Z])\\.){0,160}'

/**
 * A clause that opens with an action verb in the imperative — at the start of the text or of a line, or after
 * `:`, `.`, `!`, `?`, `;`, or the `OPENERS` ("please", "could you", "we need you to") — and names where the action
 * should land. Data describes; a directive with a destination, inside data, asks the reader to act. The second
 * pattern finds the same clause run into a line of data without any punctuation ("recurring: true Send a
 * transaction to …"): a capitalised verb after a word or value that is not a capitalised word, followed by a
 * lower-case word, or after any word and followed by a determiner ("Amount Send a …") — a sentence starting,
 * not a title ("Password Reset Request", "Packing List for …"). The third finds it in lower case (`lowerDirective`).
 */
function directivePatterns(toolNames: readonly string[]): readonly RegExp[] {
  // A task's list of tool names is one array until it changes (`TaskState.toolNames`): its patterns are found
  // without building the verb list again for every chunk (8 % of a replay).
  const known = patternsOfList.get(toolNames)
  if (known) return known
  const verbs = new Set(ACTION_VERBS)
  for (const name of toolNames) {
    const first = ownToolName(name)
      .split(/[_\-\s]|(?=[A-Z])/)[0]
      ?.toLowerCase()
    if (first && first.length >= 3 && /^[a-z]+$/.test(first)) verbs.add(first)
  }
  const key = [...verbs].sort().join('|')
  let patterns = directiveCache.get(key)
  if (!patterns) {
    const capitalised = [...verbs].map((verb) => verb[0]?.toUpperCase() + verb.slice(1)).join('|')
    patterns = [
      // The lead-in after an opening does not cross a line break: each break of a run of blank lines would
      // read the whole run again (quadratic); the last break opens the clause itself.
      new RegExp(
        `(?:^|[\\n:.!?;)\\]>]|\\b(?:${OPENERS})\\b)(?:[^\\S\\n]|["'*\\-])*(?:${key})\\b${CLAUSE}`,
        'gi',
      ),
      // The verb first, then what stands before it (a lookbehind that reads the verb again): a lookbehind at
      // the head of a pattern is tried at every position of the text, the verb fails at almost all of them.
      new RegExp(
        `(?:${capitalised})(?:(?= [a-z$'"\\d])(?<=(?:^|\\s)(?!['"(\\[]*[A-Z][a-z]*\\s)\\S+ (?:${capitalised}))|(?= (?:${DETERMINERS})\\b)(?<= (?:${capitalised})))${CLAUSE}`,
        'g',
      ),
      lowerDirective(key),
    ]
    if (directiveCache.size > 1000) directiveCache.clear()
    directiveCache.set(key, patterns)
  }
  patternsOfList.set(toolNames, patterns)
  return patterns
}

/**
 * What a verb's plain form follows when it is part of a sentence or a noun: a `NOT_IMPERATIVE` word (lower case
 * or capitalised), a plural noun as subject ("customers send …": a word ending in `s`, not `ss`, `us` or `is`), or
 * a contraction ("we'll send", "don't send") — directly, after an adverb ("we regularly send …"), or after a verb
 * joined to it by "and"/"or" ("to unsubscribe or change your …", "we collect and share …": a verb coordinated
 * with a sentence's verb belongs to that sentence); or a `NOUN_BEFORE` word, directly. Bounded spans only (a
 * lookbehind reads at most ~90 characters back from one position), so the reader stays linear in its input.
 */
const SENTENCE_BEFORE = (() => {
  const either = (words: readonly string[]) =>
    words.map((word) => `[${word[0]}${word[0]?.toUpperCase()}]${word.slice(1)}`).join('|')
  // A plural noun as subject, by its form — not "yes", "was", "has", "goes", whose `s` makes no plural.
  const plural = `(?<![A-Za-z'’-])(?!(?:${either(['yes', 'was', 'has', 'goes'])})[ \\t])[A-Za-z]{0,40}[A-Za-z][^\\W\\dsiu_]s`
  const subject = `(?:(?:^|[^\\w'’-])(?:${either(NOT_IMPERATIVE)})|${plural}|[\\w-]['’][a-z]{1,2})`
  const between = `(?:[a-z]{1,30}ly|(?:${either(BETWEEN)})|[\\w'’-]{1,40}[ \\t]{1,3}(?:and|or))[ \\t]{1,3}`
  const noun = `(?:^|[^\\w'’-])(?:${either(NOUN_BEFORE)})`
  return `(?:${subject}[ \\t]{1,3}(?:${between})?|${noun}[ \\t]{1,3})`
})()

/**
 * The same clause in lower case, run into a line of data ("confirmed: true forward the minutes to …", "Total
 * email the figures to …", "… for the audit folder send the …", "… from every thread and post them to …"): a
 * lower-case action verb after a word or value on the same line, before a word that opens its object
 * (`DETERMINERS`) — unless what comes before it makes it part of a sentence or a noun (`SENTENCE_BEFORE`): "we
 * send the …", "customers send the …", "you can review and update your …", "the email the client …". The request
 * then accounts for it, or not, as for any other clause.
 */
function lowerDirective(verbs: string): RegExp {
  return new RegExp(
    `\\b(?:${verbs})(?= (?:${DETERMINERS})\\b)(?<=[^\\s][ \\t]{1,3}(?:${verbs}))(?<!${SENTENCE_BEFORE}(?:${verbs}))${CLAUSE}`,
    'g',
  )
}

/** A clause read as a directive, and its verb (lower case) when the pattern that found it knows it. */
interface Clause {
  text: string
  verb?: string
  /** Found by its mood alone (an obligation, active or passive), whatever its verb: it must name a goal. */
  obligation?: boolean
}

/** Every clause the patterns open, overlapping ones too (a clause may run on into the next one's opening). */
function* clauses(text: string, patterns: readonly RegExp[]): Generator<Clause> {
  for (const pattern of patterns) {
    pattern.lastIndex = 0
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      yield { text: match[0] }
      // Resume just after this clause's verb, not after its end: "Please make sure to update your records, then
      // send … to …" is two clauses, and the first must not swallow the second.
      pattern.lastIndex = match.index + Math.max(1, match[0].match(VERB)?.[0].length ?? 1)
    }
  }
  yield* obligations(text)
}

/**
 * An obligation put on no one in particular, in the active or the passive voice and with any verb: "all parcels are
 * to be addressed to …", "payments must be made to …", "www.example.com must get an A record …", "the files need to
 * be uploaded to …", "refunds are expected to go to …". The mood says it is an order, whatever the verb; data that
 * describes says what is, not what must be. A cheap screen (a modal of obligation) before the grammar.
 */
const OBLIGATION_CLAUSE = new RegExp(
  // "is to" only in the passive ("are to be addressed"): "the purpose is to outline …" states a purpose.
  `\\b(?:(?:must|should|shall|needs?\\s+to|ha(?:s|ve)\\s+to|ought\\s+to|(?:is|are)\\s+(?:now\\s+)?(?:required|expected|supposed)\\s+to)\\s+(?:(?:now|also|always|immediately|henceforth|only)\\s+)?(?:be\\s+)?|(?:is|are)\\s+(?:now\\s+)?to\\s+be\\s+|(?:ask|request|require|insist|demand)(?:s|ed)?\\s+that\\s+(?:[^\\s.!?]+\\s+){1,8}?be\\s+)([a-z]{2,})(?![\\w-])${CLAUSE}`,
  'gi',
)

/**
 * Where an obligation sends something: a goal phrase ("to", "into", "at") that reaches, within a few words, a street
 * address (a number, then a name: "4410 Industrial Pkwy"), an account or phone number (seven digits or more,
 * grouped or not) or an IP address — besides the identifiers `TARGET` finds. Not a time or an amount ("to start at 9", "over 50").
 */
const GOAL =
  /\b(?:to|into|at)\s+[^.;!?\n\d]{0,60}?(?:(?<!\d)\d{1,6}\s+\p{Lu}\p{Ll}|\d[\d -]{5,}\d|\d{1,3}(?:\.\d{1,3}){3})/u

function* obligations(text: string): Generator<Clause> {
  if (
    !/\b(?:must|should|shall|needs?|has|have|ought|is|are|ask|asks|asked|requests?|requested|requires?|required|insists?|insisted|demands?|demanded)\b/i.test(
      text,
    )
  )
    return
  OBLIGATION_CLAUSE.lastIndex = 0
  for (let match = OBLIGATION_CLAUSE.exec(text); match; match = OBLIGATION_CLAUSE.exec(text)) {
    const word = (match[1] ?? '').toLowerCase()
    const verbEnd = match[0].indexOf(match[1] ?? '') + word.length
    OBLIGATION_CLAUSE.lastIndex = match.index + Math.max(1, verbEnd)
    // Only one with somewhere to go (after its verb) is an order the agent could carry out; the verb's lemma is
    // what the request is compared with ("addressed" → address). The tagger runs on these few clauses only.
    const rest = match[0].slice(verbEnd)
    if (!TARGET.test(rest) && !GOAL.test(rest)) continue
    const verb = tokens(match[0].slice(0, 200)).find((token) => token.text === word)
    if (verb && (verb.pos === 'DET' || verb.pos === 'PRON' || verb.pos === 'NUM')) continue
    yield { text: match[0], verb: verb?.lemma ?? word, obligation: true }
  }
}

const objectPatterns = new Map<string, RegExp | null>()

/** What the agent's tools act on, from their names (`update_password` → password): `null` when nothing. */
function objectPattern(toolNames: readonly string[]): RegExp | null {
  const key = toolNames.join('|')
  let pattern = objectPatterns.get(key)
  if (pattern === undefined) {
    const nouns = new Set<string>()
    for (const name of toolNames) {
      const [, ...rest] = ownToolName(name)
        .split(/[_\-\s]|(?=[A-Z])/)
        .map((part) => part.toLowerCase())
      for (const part of rest) if (part.length >= 4 && /^[a-z]+$/.test(part)) nouns.add(part)
    }
    pattern = nouns.size ? new RegExp(`\\b(?:${[...nouns].join('|')})s?\\b`, 'i') : null
    if (objectPatterns.size > 1000) objectPatterns.clear()
    objectPatterns.set(key, pattern)
  }
  return pattern
}

/**
 * True when `text` holds an imperative clause (see `directivePattern`) that names where the action should land
 * or what of the agent's own tools it acts on.
 */
function hasDirective(text: string, toolNames: readonly string[], reader: DirectiveReader): boolean {
  return !unaccounted(text, toolNames, reader).next().done
}

/**
 * The directive clauses of `text` (see `hasDirective`) the request does not account for: each asks for an action the
 * request does not ask in its own words, or aims it somewhere, or at someone, the request does not.
 */
function* unaccounted(
  text: string,
  toolNames: readonly string[],
  reader: DirectiveReader,
): Generator<{ clause: string; verb: string | undefined }> {
  const requested = reader.request
  const objects = objectPattern(toolNames)
  for (const found of clauses(text, directivePatterns(toolNames))) {
    const clause = found.text
    const destination = clause.match(TARGET)?.[0] ?? (found.obligation ? clause.match(GOAL)?.[0] : undefined)
    const named = clause.match(NAMED_ID)?.[1]
    if (!destination && !named && !objects?.test(clause)) continue
    // An obligation in the document the request named is the principal's own material, as a bill's "payment must
    // be made to …" is: what the request then does with it is judged by the request's scope (`asked.ts`).
    if (found.obligation && reader.designated) continue
    // The data the request pointed at, not a planted order: the request uses the verb as a word of its own, and
    // the destination is the request's too — or comes from the very document the request named ("pay the bill
    // 'bill.txt'" → the bill's "please pay the amount … to IBAN …").
    const verb = found.verb ?? clause.match(VERB)?.[1]?.toLowerCase()
    // The request asks for that action: with the verb itself, or — in the document it named — in other words
    // about the same things ("export the contacts … to the portal URL given in ticket T-9002" ↔ the ticket's
    // "please send the contacts to our portal …").
    const requestedVerb =
      (verb !== undefined && REQUESTED_VERB(verb).test(requested)) ||
      (reader.designated && sameAction(clause, destination, reader))
    const requestedDestination =
      !destination || reader.designated || requested.includes(destination.toLowerCase())
    // A directive that picks its target by id ("Delete the file with ID '13'") where the request only describes
    // one ("the largest file") chooses for the agent — unless the request named what it reads.
    const requestedId =
      !named ||
      reader.designated ||
      new RegExp(`(?<![a-z\\d])${escaped(named.toLowerCase())}(?![a-z\\d])`).test(requested)
    if (requestedVerb && requestedDestination && requestedId && !otherEntity(clause, verb ?? '', reader))
      continue
    yield { clause, verb }
  }
}

/**
 * A clause asks for what the request asks to be done: most of its content stems (more than half, at least two),
 * besides where it lands, are those of the request's acting clauses (`actionStems`).
 */
function sameAction(clause: string, destination: string | undefined, reader: DirectiveReader): boolean {
  if (reader.text === undefined) return false
  const asked = actionStems(reader.text)
  const own = contentStems(destination ? clause.replace(destination, ' ') : clause)
  let shared = 0
  for (const stem of own) if (asked.has(stem)) shared++
  // Most of what the clause speaks of, not two words a domain's every sentence has ("send", "email").
  return shared >= 2 && 2 * shared > own.size
}

/**
 * Names written as names: a capitalised word inside a sentence (not its first word, nor `I`). "Invite Dora to
 * Slack. You can find …" → dora, slack. Generic English capitalisation, no list of names.
 */
export function properNames(text: string): string[] {
  const names = new Set<string>()
  for (const match of text.matchAll(/(?<=[\p{Ll}\d,'"’)\]] +)\p{Lu}\p{Ll}+\b/gu))
    names.add(match[0].toLowerCase())
  return [...names]
}

/** Identifiers by kind: e-mail addresses, then links and domains (outside those addresses), accounts, long numbers. */
const IDENTIFIER_KINDS: readonly RegExp[] = [
  /(?<![\w.%+-])[\w.%+-]{1,64}@[\w.-]{1,253}\.[a-z]{2,24}/gi,
  /(?<![\w.-])[\w-]{1,63}(?:\.[\w-]{1,63}){0,126}\.(?:com|org|net|io|co|app|xyz|dev|info)\b/gi,
  /\b[a-z]{2}\d{2}[a-z0-9]{8,}\b/gi,
  /\b\d{6,}\b/g,
]

function identifiersByKind(text: string): string[][] {
  let rest = text.toLowerCase()
  return IDENTIFIER_KINDS.map((pattern) => {
    const found = rest.match(pattern) ?? []
    // An address's domain is not a link of its own, nor its digits a number.
    for (const value of found) rest = rest.replaceAll(value, ' ')
    return found.map((value) => value.replace(/^www\./, ''))
  })
}

/**
 * The directive is about someone or something else: it names a name, or an identifier, the request never
 * uses, while the request names one of the same kind the directive does not. Names are compared with those of
 * the request's own clause with the same verb ("Invite Dora to Slack" — not "… in the message from Bob"),
 * identifiers with the whole request (its address may follow in the next sentence). "Invite Dora to Slack; her
 * e-mail is on her website" and the website's "Invite user Fred with the email …"; "create an event with Sarah
 * … her address is sarah@…" and the calendar's "Create an event with the participant mark@…": the verb and the
 * document are the request's, the person is not.
 */
function otherEntity(clause: string, verb: string, reader: DirectiveReader): boolean {
  const lower = clause.toLowerCase()
  const has = (text: string, name: string) => new RegExp(`\\b${name}\\b`).test(text)
  const asked = properNames(reader.text === undefined ? '' : clausesWith(reader.text, verb))
  if (
    asked.some((name) => !has(lower, name)) &&
    properNames(clause).some((name) => !has(reader.request, name))
  )
    return true
  const theirs = identifiersByKind(clause)
  return identifiersByKind(reader.request).some(
    (own, kind) =>
      own.some((id) => !lower.includes(id)) &&
      (theirs[kind] ?? []).some((id) => !reader.request.includes(id)),
  )
}

/** The request's clauses that use `verb` as a verb, as written: from the verb to its sentence's end. */
function clausesWith(text: string, verb: string): string {
  const found: string[] = []
  for (const sentence of text.split(/(?<=[.!?])\s+|\n+/)) {
    const at = sentence.toLowerCase().search(REQUESTED_VERB(verb))
    if (at >= 0) found.push(sentence.slice(at))
  }
  return found.join('\n')
}

/**
 * The request uses `verb` as a verb: opening the request or a clause, or after words that lead into one ("please",
 * "to", "and", "can you", …) — not as a noun ("their email addresses") or inside another word ("address-change").
 */
const REQUESTED_VERB = (verb: string) =>
  new RegExp(
    `(?:^|[.!?:;,\\n]|\\d\\.|\\b(?:please|to|and|then|also|you|i|we|just|kindly))\\s*${verb}(?![\\w-])`,
  )

/** The verb of a clause `directivePattern` matched: its first word after the opening. */
const VERB = new RegExp(`^[\\s"'*\\-\\n:.!?;)\\]>]*(?:(?:${OPENERS})\\b[\\s"'*-]*)*([a-z]+)`, 'i')

const commandPatterns = new Map<string, RegExp | null>()

/**
 * One pattern per tool set: the agent's own tools named as commands ("call send_money", "send_money("), with or
 * without their namespace (`mcp__bank__send_money`).
 */
function commandPattern(toolNames: readonly string[]): RegExp | null {
  const key = toolNames.join('|')
  let pattern = commandPatterns.get(key)
  if (pattern === undefined) {
    // As the agent sees them, and without their namespace (data written for another client names them so).
    const names = [...new Set([...toolNames, ...toolNames.map(ownToolName)])]
      .filter((name) => name.length >= 4)
      .map(escaped)
    const any = names.join('|')
    pattern = names.length
      ? new RegExp(
          `\\b(call|use|run|invoke|execute|with)\\b[^.\\n]{0,20}\\b(${any})\\b|\\b(${any})\\s*\\(`,
          'i',
        )
      : null
    if (commandPatterns.size > 1000) commandPatterns.clear()
    commandPatterns.set(key, pattern)
  }
  return pattern
}

/** Who reads a tool output for directives: the principal's request (lowercased), and whether it named the read. */
export interface DirectiveReader {
  request: string
  /** The read's arguments came from the request (`read 'bill.txt'`). */
  designated: boolean
  /** The request as written (case kept, to tell names from words): whom and what it is about. */
  text?: string
}

/**
 * Each string of JSON data is a text of its own: a clause does not run from one member's value into the next
 * member's name ("name":"Email 2026-05-14 Chen","entityType":"Email","observations":[…] is no "Email … observations"
 * order). A string's end before the next member or element ends a clause (`CLAUSE` stops at U+0001, which
 * `splitJson` puts there); it opens none — a member's value still opens one after its `:`, as it did.
 */
function splitJson(raw: string): string {
  return raw.includes('"') ? raw.replace(/"\s*,\s*(?=["[{\d-]|true|false|null)|"\s*[\]}]/g, '"\u0001') : raw
}

/**
 * A sentence wrapped over lines (YAML, e-mail, fixed-width text) is still one sentence: a single line break reads as
 * a space; a blank line still ends the sentence. So is one wrapped over comment lines (`//`, `#`, `--`, `;`, ` * `):
 * the leader goes with the break.
 */
function joinLines(raw: string): string {
  return splitJson(raw).replace(
    /(?<![ \t])[ \t]*\n[ \t]*(?:(?:\/\/+|#+|--|;+|\*(?![*/]))[ \t]+)?(?=[^\n])/g,
    ' ',
  )
}

/**
 * A score of how much `text` reads like instructions to the agent; 0 for plain data. With a `reader`, a tool
 * output is also scored for directives: imperative clauses aimed at a destination or at what the agent's tools
 * act on, that the request does not account for.
 */
export function instructionScore(
  raw: string,
  toolNames: readonly string[] = [],
  reader?: DirectiveReader,
): number {
  const text = joinLines(raw)
  let score = 0
  for (const [pattern, weight] of CUES) if (pattern.test(text)) score += weight
  if (commandPattern(toolNames)?.test(text)) score += 2
  if (reader !== undefined && hasDirective(text, toolNames, reader)) score += 3
  return score
}

/**
 * The clauses of a record that ask for an action the request does not account for in its own words (`hasDirective`'s,
 * over the whole text): in a record the request named, what such a clause carries may be a second action planted in
 * it rather than the record's own data (decision 003, principle 2).
 */
export function unaccountedDirectives(
  raw: string,
  toolNames: readonly string[],
  reader: DirectiveReader,
): Array<{ clause: string; verb: string | undefined }> {
  return [...unaccounted(joinLines(raw), toolNames, reader)]
}

/** The threshold above which an output is treated as carrying instructions (tainted). */
export const INSTRUCTION_THRESHOLD = 3

/**
 * Text that speaks to the agent over the principal's head — override language, talk of "the task the user gave
 * you", the agent's own tool names used as commands: a record the request named is not the principal's voice where
 * it says this (decision 003, principle 2).
 */
export function overridesPrincipal(raw: string, toolNames: readonly string[] = []): boolean {
  const text = raw.replace(/(?<![ \t])[ \t]*\n[ \t]*(?=[^\n])/g, ' ')
  return CUES.some(([pattern]) => pattern.test(text)) || commandPattern(toolNames)?.test(text) === true
}
