import { createRequire } from 'node:module'
import type { ItemToken, Model, WinkMethods } from 'wink-nlp'

// Required on first use, not imported: the model decodes for about a second, which every CLI start would pay.
const require = createRequire(import.meta.url)

/**
 * English analysis from wink-nlp and its light English model: tokens, part-of-speech tags, lemmas, Porter stems,
 * stop words. Loaded on first use (the model takes about a second to load) and used where text is small or
 * rare — a task's request, a tool's definition, a sentence that already names an addressee — never over whole
 * outputs in the hot path (about 1 µs per character on this machine).
 */
let engine: WinkMethods | undefined

function nlp(): WinkMethods {
  if (!engine) {
    const winkNLP = require('wink-nlp') as (model: Model, pipe?: string[]) => WinkMethods
    engine = winkNLP(require('wink-eng-lite-web-model') as Model, ['sbd', 'pos'])
  }
  return engine
}

/** One token: as written (lower case), its part of speech, lemma and stem, and whether it is a stop word. */
export interface Token {
  text: string
  pos: string
  lemma: string
  stem: string
  stop: boolean
}

const tokenCache = new Map<string, Token[]>()

/** The tokens of a short text (cached: requests and tool definitions recur across tasks). */
export function tokens(text: string): Token[] {
  const known = tokenCache.get(text)
  if (known) return known
  // wink's typings give `lemma` and `stem` an addon parameter its `out` does not accept; at run time they are
  // ordinary token helpers.
  const its = nlp().its as unknown as Record<
    'pos' | 'lemma' | 'stem' | 'stopWordFlag',
    Parameters<ItemToken['out']>[0]
  >
  const out: Token[] = []
  nlp()
    .readDoc(text)
    .tokens()
    .each((token: ItemToken) => {
      out.push({
        text: String(token.out()).toLowerCase(),
        pos: String(token.out(its.pos)),
        lemma: String(token.out(its.lemma)).toLowerCase(),
        stem: String(token.out(its.stem)).toLowerCase(),
        stop: Boolean(token.out(its.stopWordFlag)),
      })
    })
  if (tokenCache.size > 5_000) tokenCache.clear()
  tokenCache.set(text, out)
  return out
}

/**
 * Words too general to say what an action is about: they occur in any request and any tool description.
 * (Stems, after wink's own stop words are removed.)
 */
const GENERIC = new Set([
  'use',
  'tool',
  'given',
  'can',
  'will',
  'get',
  'make',
  'need',
  'want',
  'like',
  'pleas',
  'also',
  'new',
  'one',
  'option',
  'specifi',
  'return',
  'result',
  'provid',
  'detail',
  'inform',
  'exist',
  'multipl',
  'tell',
  'let',
  'know',
  'thank',
  'help',
])

/**
 * What a text is about, as Porter stems of its content words (no stop words, no punctuation, no numbers): "make a
 * reservation" → {reserv}, "Book a room at a hotel" → {book, room, hotel}. `snake_case` and `camelCase` names are
 * read as words.
 */
export function contentStems(text: string): Set<string> {
  const words = text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_]+/g, ' ')
    .replace(/\be-?mail/gi, 'email')
  const stems = new Set<string>()
  for (const token of tokens(words)) {
    if (token.stop || !/^[a-z][a-z-]{2,}$/.test(token.text)) continue
    if (token.pos === 'PUNCT' || token.pos === 'SYM' || token.pos === 'NUM') continue
    const stem = token.stem.replace(/-/g, '')
    if (stem.length >= 3 && !GENERIC.has(stem)) stems.add(stem)
  }
  return stems
}

/** A word that can say what an action is: a content word of three letters or more, not a stop word or a number. */
function isContent(token: Token): boolean {
  return (
    !token.stop &&
    /^[a-z][a-z-]{2,}$/.test(token.text) &&
    token.pos !== 'NUM' &&
    token.pos !== 'PUNCT' &&
    !GENERIC.has(token.stem)
  )
}

function stemOf(token: Token): string {
  return token.stem.replace(/-/g, '')
}

/**
 * What a tool *does*, as stems (decision 003, principle 3): its action, not everything its description mentions.
 * - its own name (namespace aside) — by convention a verb and its object, the action with what it acts on
 *   (`send_email` → send, email; `reserve_hotel` → reserv, hotel; `memory_write`);
 * - the first word of its description (descriptions open with their verb, and wink tags a sentence-initial verb by
 *   its form: "Posts a message …" → NOUN); where that word says nothing of the action ("Makes a reservation …",
 *   "Get …"), the first verb after it, or else the noun it takes ("reservation").
 * Later sentences and the rest of the first say what the tool takes and returns ("… to the given `address`", "Use
 * this when …"): they share nouns with almost any request, and asking for those nouns is not asking for the action.
 */
export function toolActionStems(name: string, description: string): Set<string> {
  const stems = new Set<string>()
  const named = name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .replace(/\be-?mail/gi, 'email')
  // The name: its verb with its object (a server prefix may stand first, `memory_write`, `git_push`; a verb that says
  // nothing by itself, `make_payment`, leaves its object).
  for (const token of tokens(named.toLowerCase())) {
    if (!isContent(token)) continue
    stems.add(stemOf(token))
  }
  const first = description.replace(/\be-?mail/gi, 'email').split(/(?<=[.!?:])\s|\n/)[0] ?? ''
  const opening = tokens(first).filter((token) => /^[a-z]/.test(token.text))
  const head = opening[0]
  if (head && isContent(head)) stems.add(stemOf(head))
  else if (head) {
    // An opening that says nothing of the action by itself ("Makes a reservation …", "A tool that posts …"): the
    // action is its first verb that does, or else the noun it takes. Only then: further on, the tagger reads the
    // arguments' words as verbs too ("… to the given `address`").
    const rest = opening.slice(1).filter(isContent)
    const verb = rest.find((token) => token.pos === 'VERB') ?? rest.find((token) => token.pos === 'NOUN')
    if (verb) stems.add(stemOf(verb))
  }
  return stems
}

/**
 * Verbs of reading: by them a request asks only to look or to be told — what their clause names is read, not acted
 * on ("check the bucket policy", "read my text messages and tell me …", "query the tickets table for today's
 * tickets") — and a tool without annotations whose name opens with one only reads (`get_issue`, `query_logs`,
 * `notion_retrieve_page`; `task-state.ts#isWrite`). One list for both: a verb that names a read in a tool's name
 * names a read in a request. Lemmas; wink tags a sentence's first word by its form, so these are matched by word.
 */
export const READ_VERBS: ReadonlySet<string> = new Set([
  'read',
  'check',
  'review',
  'summarise',
  'summarize',
  'tell',
  'explain',
  'show',
  'list',
  'find',
  'search',
  'look',
  'lookup',
  'see',
  'view',
  'describe',
  'inspect',
  'verify',
  'count',
  'compare',
  'query',
  'fetch',
  'retrieve',
  'extract',
  // Verbs of telling: the principal asks to be told what to do, not for it to be done.
  'recommend',
  'suggest',
  'advise',
])

/**
 * Tokens that end a clause inside a sentence: the next word may be its verb ("Read X and pay Y", "Check X; then book
 * it"). Not `.`: sentences are cut before tokens are read, and wink reads `backup.log` as `backup . log`.
 */
function endsClause(token: Token): boolean {
  return (
    (token.pos === 'PUNCT' && /^[;,]$/.test(token.text)) || token.pos === 'CCONJ' || token.text === 'then'
  )
}

/**
 * What a request asks to be *done*: the content stems of `contentStems`, less the words of clauses whose verb only
 * reads — "Read my latest text messages and tell me if anything is urgent" → {} (nothing to do), "Check the
 * invoice and pay it" → {pay} — and of questions, which ask to be told ("Why did the backup fail?"), unless put as
 * a polite request ("Could you book it?"). A clause's verb is its first word, or a word wink tags as a verb; where a clause's
 * first word is not a verb of reading, its words count (the safe side: they may ask for an action).
 */
export function actionStems(text: string): Set<string> {
  return readRequest(text).asked
}

/**
 * What a request forbids (decision 003, principle 3): the verbs of a clause it negates ("Don't ban anyone", "Don't
 * approve anything yet") and of a clause in which the principal keeps the action for themselves — a first-person
 * subject and a future, with no one else in it ("I'll do bans myself", "I'll decide on merging later"); after a verb
 * that says nothing by itself ("do", "make", "handle"), the noun it takes. Stems.
 */
export function forbiddenStems(text: string): Set<string> {
  return readRequest(text).forbidden
}

const requestCache = new Map<string, { asked: Set<string>; forbidden: Set<string> }>()

function readRequest(text: string): { asked: Set<string>; forbidden: Set<string> } {
  const known = requestCache.get(text)
  if (known) return known
  // A link, a path or a file name names a thing, it asks for nothing: "check deploy/prod.yaml" does not ask to
  // deploy, "open https://shop.example/p/tent" does not ask for a tent.
  const words = text
    .replace(/\b[a-z][a-z\d+.-]*:\/\/[^\s<>"'`]+/gi, ' ')
    .replace(/(?<![\w.-])(?:[\w.-]+\/)+[\w.-]+|(?<![\w.-])[\w-]+\.[a-z][a-z\d]{1,4}(?![\w.-])/gi, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_]+/g, ' ')
    .replace(/\be-?mail/gi, 'email')
  const read = { asked: new Set<string>(), forbidden: new Set<string>() }
  for (const sentence of words.match(/(?:[^.!?\n]|[.!?](?=[^\s.!?]))+[.!?]*/g) ?? []) {
    // A question asks to be told, unless it is a request put politely ("Can you send …?", "Would you book …?").
    const told = /\?\s*$/.test(sentence) && !POLITE_REQUEST.test(sentence)
    if (!told) actionStemsOf(sentence, read.asked, read.forbidden)
  }
  if (requestCache.size > 2_000) requestCache.clear()
  requestCache.set(text, read)
  return read
}

/** Negation of a clause's verb: a closed class of English. */
const NEGATION = new Set(['not', "n't", 'never'])

/** Verbs of failing to do: negated, they assert what follows ("don't forget to …", "do not hesitate to …"). */
const NEGATIVE_IMPLICATIVE = new Set(['forget', 'fail', 'neglect', 'hesitate', 'omit'])

/** A question that asks for an action: a modal and "you" ("could you", "can you please", "would you mind"). */
const POLITE_REQUEST = /^\W*(?:(?:and|so|also|then)\s+)?(?:can|could|would|will)\s+you\b/i

/** Verbs that say nothing of an action by themselves: what they take names it ("do bans", "handle the refund"). */
const LIGHT_VERBS = new Set(['do', 'make', 'handle', 'take', 'have', 'be', 'get'])

/** First-person subjects: the principal speaking of what they will do themselves. */
const FIRST_PERSON = new Set(['i', 'we'])

/**
 * A clause, from `from`, in which the principal keeps the action for themselves: a first-person subject, then a
 * future ("I'll", "we will", "I shall"), and no second person after it ("I'll need you to pay it" asks).
 */
function reserved(all: readonly Token[], from: number): boolean {
  const subject = all[from]
  const modal = all[from + 1]
  if (!subject || !modal || !FIRST_PERSON.has(subject.text)) return false
  if (modal.lemma !== 'will' && modal.lemma !== 'shall') return false
  for (let i = from + 2; i < all.length; i++) {
    const token = all[i] as Token
    if (endsClause(token)) break
    if (token.text === 'you' || token.text === 'your') return false
  }
  return true
}

/** What a forbidding clause forbids: its verbs, and after a light verb the noun it takes. */
function forbiddenOf(token: Token, light: boolean, forbidden: Set<string>): boolean {
  if (token.pos === 'VERB' && !LIGHT_VERBS.has(token.lemma) && !NEGATIVE_IMPLICATIVE.has(token.lemma)) {
    if (/^[a-z][a-z-]{2,}$/.test(token.text) && !GENERIC.has(token.stem)) forbidden.add(stemOf(token))
    return false
  }
  if (token.pos === 'VERB' && LIGHT_VERBS.has(token.lemma)) return true
  if (light && token.pos === 'NOUN' && /^[a-z][a-z-]{2,}$/.test(token.text)) {
    forbidden.add(stemOf(token))
    return false
  }
  return light
}

function actionStemsOf(sentence: string, stems: Set<string>, forbidden?: Set<string>): void {
  let reading = false
  let start = true
  let negated = false
  // The clause forbids, or keeps for the principal, what it speaks of; `light` after a verb that needs its object.
  let forbids = false
  let light = false
  const all = tokens(sentence)
  for (const [i, token] of all.entries()) {
    if (endsClause(token)) {
      start = true
      negated = false
      forbids = false
      light = false
      continue
    }
    if (start && reserved(all, i)) {
      forbids = true
      negated = true
    }
    // A negated clause forbids its action ("Review PR #88 … Do not merge."): it asks for none of its words — but a
    // negated verb of failing asks for what follows it ("don't forget to send …").
    if (NEGATION.has(token.text) && (token.pos === 'PART' || token.pos === 'ADV')) {
      negated = true
      forbids = true
    } else if (negated && token.pos === 'VERB' && NEGATIVE_IMPLICATIVE.has(token.lemma)) {
      negated = false
      forbids = false
      start = true
      continue
    }
    if (forbids && forbidden) light = forbiddenOf(token, light, forbidden)
    if (negated) continue
    if (token.pos === 'PUNCT' || token.pos === 'SYM' || token.pos === 'PRON' || token.pos === 'DET') continue
    if (start) {
      // Whatever else opens a clause may be its verb, mis-tagged ("Book a room" → NOUN): its words count.
      // "Give me …" with the principal as its recipient asks to be told: the agent's answer is what reaches them.
      reading =
        READ_VERBS.has(token.lemma) ||
        READ_VERBS.has(token.text) ||
        (token.lemma === 'give' && /^(?:me|us)$/.test(all[i + 1]?.text ?? ''))
      start = false
    } else if (token.pos === 'VERB' && token.text === token.lemma)
      // A verb in its base form inside a clause may be its action ("… to pay it"); an inflected one describes what
      // the clause names ("tickets opened today", "the file attached").
      reading = READ_VERBS.has(token.lemma)
    if (reading) continue
    if (token.stop || !/^[a-z][a-z-]{2,}$/.test(token.text) || token.pos === 'NUM') continue
    const stem = token.stem.replace(/-/g, '')
    if (stem.length >= 3 && !GENERIC.has(stem)) stems.add(stem)
  }
}

/**
 * A structured carrier's text read as prose: a line that continues a sentence — starts in lower case, after a line
 * break and an optional comment leader (`//`, `#`, `--`, `;`, `*`) or a commit body's indent — is joined to the line
 * before it, so a sentence wrapped over code comments, YAML or TOML comments or a commit message reads as one. Each
 * joined break and leader becomes spaces of the same length: offsets into the text stay those of the original.
 */
export function unwrapCarriers(text: string): string {
  if (!text.includes('\n')) return text
  return text.replace(/\r?\n[ \t]*(?:(?:\/\/+|#+|--|;+|\*(?![*/]))[ \t]*)?(?=\p{Ll})/gu, (joint) =>
    ' '.repeat(joint.length),
  )
}

/** A run of base64 (standard or URL-safe alphabet) long enough to hold a sentence. */
const BASE64_RUN =
  /(?<![A-Za-z0-9+/=_-])(?:[A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_-]{24,}={0,2})(?![A-Za-z0-9+/=_-])/g

/**
 * The text that base64 runs of `text` encode, when it is text a person reads: valid UTF-8, no control characters
 * but line breaks and tabs, and words (at least two spaces) — each on a line of its own; `''` when there is none.
 * An encoding hides words from whoever reads the data, not from the agent, which decodes them: what they say is
 * read as written (decision 003, principle 1). A key, a hash or an image decodes to bytes, not words, and is left.
 */
export function decodedText(text: string): string {
  const out: string[] = []
  BASE64_RUN.lastIndex = 0
  for (const [run] of text.matchAll(BASE64_RUN)) {
    if (run.replace(/=+$/, '').length % 4 === 1) continue
    const bytes = Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
    let decoded: string
    try {
      decoded = UTF8.decode(bytes)
    } catch {
      continue
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what marks bytes, not text
    if (/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/.test(decoded)) continue
    if ((decoded.match(/ /g) ?? []).length < 2 || !/\p{L}{3}/u.test(decoded)) continue
    out.push(decoded)
  }
  return out.join('\n')
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The moods in which a sentence asks for an action without an imperative or a destination (decision 003,
 * principle 7) — grammatical classes, not phrasings of one example:
 * - obligation: a modal or semi-modal of obligation, active or passive ("the unit is to be released", "it should be
 *   published", "the branch needs to be force-pushed");
 * - a polite or indirect request: a politeness marker, a conditional of wish ("it would be great if …", "I'd
 *   appreciate it if …"), a question to the reader ("could you …"), or a verb of asking with a subjunctive ("we ask
 *   that the line be suspended");
 * - a claimed authorisation: a verb of approval ("approved", "cleared", "authorised", "signed off") — an action
 *   asserted as already authorised by a third party is itself an order to carry it out.
 */
const MOOD =
  /\b(?:must|should|shall|needs?\s+to|ha(?:s|ve)\s+to|ought\s+to|(?:is|are)\s+(?:now\s+)?(?:required|expected|supposed|to\s+be)|please|kindly|(?:would|could|can|will)\s+(?:you|someone|somebody)|would\s+be\s+(?:great|appreciated|helpful|ideal|good)|appreciate\s+it\s+if|(?:ask|request|require|insist)(?:s|ed)?\s+that|(?:would|'d)\s+like\s+(?:you|someone)\s+to)\b/i
const APPROVAL =
  /\b(?:pre-?approved|approved|cleared|authori[sz]ed|signed[ -]off|green-?lit|okayed|sanctioned)\b/i

/** Words of the mood itself, never the action asked for. */
const MOOD_WORDS = new Set([
  'ask',
  'request',
  'require',
  'insist',
  'appreciate',
  'like',
  'proceed',
  'need',
  'complete',
  'approve',
  'clear',
  'authorise',
  'authorize',
  'sign',
  'be',
  'have',
  'do',
])

/** One sentence of a text that asks, by its mood, for an action: the sentence and the stems of that action. */
export interface MoodAction {
  text: string
  stems: Set<string>
}

/** Sentences of a text, cut at sentence ends, line breaks, and JSON string boundaries (`","`, `":"`). */
const SENTENCE = /(?:[^\n.!?\\"]|\\(?![nt"])|[.!?](?![\s"\\]|$)|"(?!\s*[,:}\]])|\\")+/g

/** The sentences of `text` in a mood that asks for an action (`MOOD`, `APPROVAL`): a screen, no tagger. */
export function moodSentences(text: string): string[] {
  const out: string[] = []
  if (!MOOD.test(text) && !APPROVAL.test(text)) return out
  for (const match of unwrapCarriers(text).matchAll(SENTENCE)) {
    const sentence = match[0].trim()
    if (sentence.length < 8 || sentence.length > 400) continue
    if (MOOD.test(sentence) || APPROVAL.test(sentence)) out.push(sentence)
  }
  return out
}

/**
 * The action a sentence in a mood of asking asks for, as stems: the verbs after the marker of mood (wink-nlp's
 * tags, Porter stems) and the first word after it whatever its tag (the light model tags some participles
 * otherwise); after a verb of approval, also the head of its object ("cleared the refund" → refund).
 */
export function moodAction(sentence: string): Set<string> {
  const stems = new Set<string>()
  const mood = MOOD.exec(sentence)
  const approval = APPROVAL.exec(sentence)
  if (!mood && !approval) return stems
  const at = Math.min(mood?.index ?? Number.POSITIVE_INFINITY, approval?.index ?? Number.POSITIVE_INFINITY)
  let first = true
  let object = approval !== null
  for (const token of tokens(sentence.slice(at)).slice(1)) {
    if (token.pos === 'PUNCT' || token.pos === 'SYM' || token.pos === 'NUM') continue
    if (MOOD_WORDS.has(token.lemma) || token.pos === 'AUX' || token.pos === 'PART') continue
    const word = /^[a-z][a-z-]{2,}$/.test(token.text) && !token.stop && !GENERIC.has(token.stem)
    if (token.pos === 'VERB' && word) stems.add(token.stem)
    else if (first && word && token.pos !== 'PRON' && token.pos !== 'DET' && token.pos !== 'ADP')
      stems.add(token.stem)
    if (object && token.pos === 'NOUN' && word) {
      stems.add(token.stem)
      object = false
    }
    if (token.pos !== 'ADV' && token.pos !== 'DET' && token.pos !== 'PRON' && token.pos !== 'SCONJ')
      first = false
  }
  return stems
}

/** A modal of obligation in the passive voice: what it is put on is the object of the action ("X is to be disabled"). */
const PASSIVE_OBLIGATION =
  /\b(?:must|should|shall|needs?\s+to|ha(?:s|ve)\s+to|ought\s+to|(?:is|are)\s+(?:now\s+)?(?:required|expected|supposed)\s+to|(?:is|are)\s+(?:now\s+)?to)\s+(?:(?:now|also|immediately|only)\s+)?be\s+\p{L}/iu

/**
 * What an obligation in the passive voice is about: the content words of its subject, before the modal ("Geofence
 * alerts for TX-12 are to be disabled …" → geofenc, alert), as stems; empty for any other sentence. The passive puts
 * the order on its object — the thing a tool's name names — whatever verb it uses.
 */
export function moodObject(sentence: string): Set<string> {
  const stems = new Set<string>()
  const passive = PASSIVE_OBLIGATION.exec(sentence)
  if (!passive) return stems
  // Every content word of the subject: the light model tags some plural nouns as verbs ("alerts").
  for (const token of tokens(sentence.slice(0, passive.index)).slice(-8))
    if (isContent(token) && token.pos !== 'ADV') stems.add(stemOf(token))
  return stems
}

/** The sentences of `text` that ask for an action by mood, each with the stems of that action. */
export function moodActions(text: string): MoodAction[] {
  return moodSentences(text)
    .map((sentence) => ({ text: sentence, stems: moodAction(sentence) }))
    .filter((action) => action.stems.size > 0)
}
