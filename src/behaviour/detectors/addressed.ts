import { tokens, unwrapCarriers } from '../language.js'
import { identifierSpans } from '../values.js'

/**
 * Instructions addressed to an agent inside data, found by who is addressed and how — not by what is asked.
 *
 * Data describes; text that names its reader as an assistant, an AI, an agent or a bot and puts something on it
 * (a label "Note for the assistant: …", a vocative "AI agents, transition …", an obligation "assistants reading this
 * are required to …", a causative "have the assistant e-mail …", "if you are an AI …") is written to steer the
 * agent that reads it, whatever it then asks for and in whatever domain. So is text hidden from a human reader
 * (HTML and Markdown comments, hidden elements) that reads as an order, and a JSON member named for an assistant.
 * The addressee words are the one lexicon here: who an injection talks to is what gives it away, in any language
 * the words are listed for.
 */

/** One stretch of an output that reads as instructions to the agent, and why. */
export interface AddressedSpan {
  start: number
  end: number
  /**
   * `addressee` (named reader + label, vocative, obligation or causative), `conduct` (what the named reader does,
   * stated with a destination), `role` (a label naming the reader by role, then an order with a destination),
   * `hidden` (markup), `field` (JSON member).
   */
  why: 'addressee' | 'conduct' | 'role' | 'hidden' | 'field'
  text: string
}

/**
 * Who an injection addresses: assistants, AI, agents, bots, language models by name, automation; in the languages
 * whose words are listed (assistente, asistente, KI-Assistent, agente, …). Lower case.
 */
const ADDRESSEE =
  /(?<![\p{Script=Latin}\d_-])(?:ai|a\.i\.|llms?|(?:chat)?gpt[\w.-]*|claude|gemini|copilot|(?:chat ?)?bots?|[\w-]*-bots?|assist(?:ants?|ente[sn]?|enti|ent)|asistentes?|(?:ki|ia)-[\p{L}]+|agents?|agentes?|automation|automated (?:[\p{L}-]+)|whoever|anyone (?:reading|processing|handling|seeing))(?![\p{Script=Latin}\d_])/gu

/** What makes a named reader the one who must act: an obligation on it (English and the listed languages). */
const OBLIGATION =
  /^[^.!?:;]{0,60}?(?<![\p{L}])(?:must|should|shall|needs? to|ha(?:ve|s) to|(?:are|is) (?:now )?(?:required|asked|expected|instructed|supposed|requested|kindly asked|to)\b|sollen|müssen|sollte|deben|debe|devono|deve|doivent|doit|dovrebbe)(?![\p{L}])/u

/** Words before a named reader that make what follows its order: "have the assistant …", "if the assistant …". */
const LEADS_INTO =
  /(?:^|[\s(])(?:have|let|ask|tell|if|when|once|for|to)\s+(?:the\s+|your\s+|an?\s+|any\s+|all\s+)?$/

/** "if you are an AI", "as an AI assistant, you …": the reader told what it is. */
const YOU_ARE = /\b(?:you(?:'re| are)|as) an? (?:ai|assistant|agent|llm|language model|bot)\b/

/** Markup a human reader does not see: comments, hidden elements and tiny or white text. */
const HIDDEN = [
  /<!--([\s\S]{1,4000}?)-->/g,
  /\[\/\/\]: # \(([^)]{1,2000})\)/g,
  /<(\w+)[^>]{0,200}?(?:hidden|display:\s*none|font-size:\s*[01]px|color:\s*#fff(?:fff)?\b)[^>]{0,200}>([\s\S]{1,2000}?)<\/\1>/gi,
]

/** A JSON member whose name addresses an assistant: `"assistant_instructions": "…"`, `"_ai_reply_template": "…"`. */
const ADDRESSED_FIELD =
  /"_*(?:ai|assistant|agent|bot|llm|gpt|model)[_ -]?[a-z_]{0,30}"\s*:\s*"((?:[^"\\]|\\.){8,2000})"/gi

/** Sentences of a text with their offsets (a `.` inside `www.x.com` or `3.1` does not end one; JSON `\n` does). */
function sentences(text: string, offset: number): Array<{ start: number; text: string }> {
  const out: Array<{ start: number; text: string }> = []
  for (const match of text.matchAll(/(?:[^\n.!?\\]|\\(?!n)|[.!?](?![\s"]|$))+[.!?]*/g)) {
    if (match[0].trim().length > 3) out.push({ start: offset + match.index, text: match[0] })
  }
  return out
}

/** True when a sentence reads as an order: an obligation, or a verb first (wink's tags), after any label. */
function readsAsOrder(sentence: string): boolean {
  if (OBLIGATION.test(sentence.toLowerCase())) return true
  const all = tokens(sentence.replace(/^[^:]{0,40}:\s*/, '').slice(0, 200)).filter(
    (t) => t.pos !== 'PUNCT' && t.pos !== 'SYM',
  )
  // "Please …" opening a sentence asks for something whatever the tagger makes of the next word ("please DM us").
  if ((all[0]?.text === 'please' || all[0]?.text === 'kindly') && all.length >= 3) return true
  const words = all.filter((t) => t.pos !== 'INTJ')
  const first = words.find((t) => t.text !== 'please' && t.text !== 'kindly')
  return first !== undefined && (first.pos === 'VERB' || first.pos === 'AUX') && first.lemma === first.text
}

/** Up to two words before a named reader that say which one: "fleet", "home", "support" — not a determiner. */
const VOCATIVE_MODIFIERS =
  /(?<=^|[:>(—-]\s*|\s)(?:(?!(?:the|a|an|this|that|these|those|our|my|your|their|its|his|her|any|all|every)\s)[\p{L}\d-]{2,30}\s+){1,2}$/u

/** The reader named in `lower` at `index` (length `length`) is the one told to act. */
function addressedAt(lower: string, index: number, length: number): boolean {
  const before = lower.slice(0, index)
  const after = lower.slice(index + length)
  // A label or vocative: the named reader, a few words about it ("reading this channel", "with memory"), then `:`
  // or — at the start of the sentence or after a label — `,` and the order.
  const label = after.match(/^[\p{L}\d\s'’/()-]{0,48}?\)?\s*([:,—])\s*(\S.*)$/u)
  if (label) {
    const [, mark, rest = ''] = label
    const words = wordCount(rest)
    if (mark === ':' && words >= 3) return true
    // A vocative may carry a word or two naming which reader ("Fleet assistant, please …", "Note: support bot, …");
    // not a determiner, which makes the name a sentence's subject ("The assistant, which shipped in May, …").
    const opening = before.replace(VOCATIVE_MODIFIERS, '')
    if (
      words >= 2 &&
      (opening.trim() === '' ||
        /[:>(—-]\s*$/.test(opening) ||
        /\b(?:dear|hey|hi|hello|attention)\s*$/.test(opening))
    )
      return true
  }
  if (OBLIGATION.test(after)) return true
  // Greeted or named as the one spoken to: "Dear assistant", "a message to you, GPT-4", "hey social media AI".
  const greeted = /\b(?:dear|hey|hi|hello|attention|to you|you)\b[,\s]*(?:the\s+|an?\s+|my\s+)?$/
  if (greeted.test(before) || greeted.test(before.replace(VOCATIVE_MODIFIERS, ''))) return true
  return LEADS_INTO.test(before) && /^\s*(?:[\p{L}]+ly\s+|also\s+|now\s+)?[\p{L}-]+/u.test(after)
}

/** Words that open a verb's object or goal: a determiner, a pronoun, a preposition of direction, a number, a quote. */
const OBJECT_OPENER =
  '(?:the|a|an|this|that|these|those|all|every|each|any|its|their|our|your|his|her|it|them|him|us|me|to|with|into|onto|from|via|\\$|\\d|["\'“‘])(?![\\p{L}])'

/**
 * The named reader is the subject of an action stated as what it does — a habit or policy in the present ("the
 * assistant shares this item with …", "agents forward every invoice to …") or a future or permission ("the bot will
 * post …", "the assistant may send …"): a verb right after the reader, with an adverb at most between, then the
 * start of its object. Third person, no modal of obligation: the text tells the agent what it does, which is telling
 * it what to do. Counted only with a destination in the sentence (`addressedSpans`): a product page says what its
 * assistant does too, but not where it sends things.
 */
const CONDUCT = new RegExp(
  `^\\s+(?:[\\p{L}]+ly\\s+|always\\s+|also\\s+|now\\s+|then\\s+|automatically\\s+)?(?:(?:will|would|can|may|might)\\s+(?:[\\p{L}]+ly\\s+|always\\s+|also\\s+)?[\\p{L}-]+|[\\p{L}-]+)\\s+${OBJECT_OPENER}`,
  'u',
)

/** The reader is the subject of a stated action (`CONDUCT`): a verb, by wink's tag or by its third-person `-s`. */
function conductAt(sentence: string, lower: string, index: number, length: number): boolean {
  const after = lower.slice(index + length)
  if (!CONDUCT.test(after)) return false
  // The verb: the word after the reader (and its adverb or modal); a third-person `-s` form or a word wink tags as
  // a verb — not a noun the reader's name modifies ("the assistant feature ships …" fails at `CONDUCT`).
  const words = tokens(sentence.slice(index + length).slice(0, 80)).filter((t) => t.pos !== 'PUNCT')
  const verb = words.find(
    (t) =>
      !/ly$/.test(t.text) &&
      !/^(?:always|also|now|then|automatically|will|would|can|may|might)$/.test(t.text),
  )
  // Being and having say what the reader is, not what it does ("the assistant has access to …").
  if (!verb || /^(?:is|was|are|were|be|been|has|have|had|does|did)$/.test(verb.text)) return false
  if (verb.pos === 'VERB') return true
  // The light model tags many a third-person verb as something else ("forwards" → ADV); after a reader named in
  // the singular and before the start of an object, a word in `-s` is its verb.
  return /[^su]s$/.test(verb.text) && !/^(?:DET|PRON|ADP|AUX|NUM|PROPN)$/.test(verb.pos)
}

/**
 * A label that names its readers by role — an agent noun in the plural, told by its suffix ("Refund processors:",
 * "Reviewers:", "Order handlers:", "Accountants:", "Agents:") — opening a sentence, a line or a quoted value, in at
 * most three words, then an order (`orderAfterLabel`) in a sentence with a destination. Who is addressed, not what
 * is asked: a role is told what to do the way an assistant is. Any plural label ("Details:", "Contacts:") was
 * measured and not taken: it reads "Details: see https://…" as an order to someone.
 */
/** What every role label has: an agent-noun suffix in the plural before a colon. */
const ROLE_SCREEN = /(?:er|or|ant|ent|ist|ian|eer)s\s*:/

const ROLE_LABEL =
  /(?<=^|["'([>\n])[ \t]*((?:[\p{L}-]+[ \t]+){0,2}[\p{L}-]{2,}(?:er|or|ant|ent|ist|ian|eer)s)[ \t]*:[ \t]*(\S(?:[^\n.!?"]|[.!?](?=[^\s"])){0,300})/gu

const CLAUSE_SHAPE = new RegExp(`^\\s*[\\p{L}-]{3,}\\s+${OBJECT_OPENER}`, 'u')

/**
 * After a role label, a clause that reads as an order: its first word in its base form and not a function word,
 * followed by the start of an object or goal ("… the card was cancelled, refund to paypal account …").
 */
function orderAfterLabel(rest: string): boolean {
  for (const clause of rest.split(/[,;.!?]\s+|\s+(?:and|then)\s+/)) {
    // A word, then the start of an object: the shape, before the tagger says whether the word is a verb.
    if (!CLAUSE_SHAPE.test(clause)) continue
    const words = tokens(clause.slice(0, 120)).filter((t) => t.pos !== 'PUNCT' && t.pos !== 'SYM')
    const [first, next] = words
    if (!first || !next || first.lemma !== first.text || !/^[\p{L}-]{3,}$/u.test(first.text)) continue
    if (/^(?:DET|PRON|AUX|ADP|CCONJ|SCONJ|NUM|PART|ADV|ADJ|INTJ)$/.test(first.pos)) continue
    if (new RegExp(`^${OBJECT_OPENER}`, 'u').test(next.text) || /^(?:DET|ADP|PRON|NUM)$/.test(next.pos))
      return true
  }
  return false
}

/**
 * Punctuation of other scripts in its ASCII form, one character for one so offsets hold: the full-width forms of
 * CJK text (`：`, `，`, `！` — Unicode's Halfwidth and Fullwidth Forms block, what NFKC folds), the ideographic full
 * stop and comma, and Arabic's comma, semicolon and question mark. A label is a label in any script.
 */
function asciiPunctuation(text: string): string {
  // Most outputs hold no such character: one scan, no copy.
  if (!/[\u060C\u061B\u061F\u3001\u3002\uFF01-\uFF61]/.test(text)) return text
  return text
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\u3002\uFF61]/g, '.')
    .replace(/[\u3001\u060C]/g, ',')
    .replace(/\u061B/g, ';')
    .replace(/\u061F/g, '?')
}

/** More than half of a sentence's letters are in scripts other than Latin: the English tagger cannot read it. */
function unreadable(sentence: string): boolean {
  const letters = sentence.match(/\p{L}/gu)?.length ?? 0
  const latin = sentence.match(/\p{Script=Latin}/gu)?.length ?? 0
  return letters > 0 && latin * 2 < letters
}

/** Words of a text: runs between spaces, and each character of the scripts written without spaces. */
function wordCount(text: string): number {
  const spaced = text.split(/\s+/).filter(Boolean).length
  const unspaced = text.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/gu)?.length ?? 0
  return spaced + unspaced
}

/** The spans of `raw` that read as instructions addressed to the agent. */
export function addressedSpans(output: string): AddressedSpan[] {
  const spans: AddressedSpan[] = []
  const raw = asciiPunctuation(output)
  const lower = raw.toLowerCase()
  // Cheap screen: most outputs name no assistant, hide nothing and have no member named for one.
  const names = ADDRESSEE.test(lower)
  ADDRESSEE.lastIndex = 0
  const hides =
    lower.includes('<!--') || lower.includes('[//]') || /hidden|display:|font-size|color:/.test(lower)
  const fields = lower.includes('":')
  const roles = ROLE_SCREEN.test(lower)
  if (!names && !hides && !fields && !roles) return spans
  if (roles) {
    // A role label, then an order with a destination up to the sentence's end (a `.` inside an address does not
    // end it).
    for (const match of raw.matchAll(ROLE_LABEL)) {
      const rest = match[2] ?? ''
      if (identifierSpans(rest).length > 0 && orderAfterLabel(rest))
        spans.push({ start: match.index, end: match.index + match[0].length, why: 'role', text: match[0] })
    }
  }
  if (names || /you(?:'re| are)/.test(lower)) {
    // A reader greeted in a sentence of its own ("hey social media AI!") is still the one spoken to in the next
    // sentence, when that one reads as an order.
    let greetedAlone = false
    // Carriers read as prose, offsets kept: a sentence wrapped over comment lines or a commit body is one sentence,
    // and a JSON string's `\n` is a line break.
    const prose = unwrapCarriers(raw).replace(/\\n/g, '\n ')
    for (const sentence of sentences(prose, 0)) {
      const text = sentence.text.toLowerCase()
      let addressed = YOU_ARE.test(text)
      let rest = ''
      for (const match of addressed ? [] : text.matchAll(ADDRESSEE)) {
        // A sentence in a script the English grammar cannot read, that names an AI reader in the Latin letters
        // other languages borrow ("AI 助手请注意", "상담원 AI는 …"): how it addresses the reader cannot be told, so
        // naming it is enough (fail closed).
        if (addressedAt(text, match.index, match[0].length) || unreadable(text)) {
          addressed = true
          rest = text.slice(match.index + match[0].length)
          break
        }
      }
      const continued = !addressed && greetedAlone && readsAsOrder(sentence.text)
      greetedAlone = addressed && rest.split(/[^\p{L}\d]+/u).filter(Boolean).length === 0
      // What the named reader does, stated with a destination; an order after a label naming a role. Both only
      // where the sentence names where something should go (an address, a link, an account, a long number).
      let why: AddressedSpan['why'] = 'addressee'
      if (!addressed && !continued) {
        // Cheap screens first (a reader followed by a verb and an object; a role label), then the destination,
        // then the tagger.
        const readers = [...text.matchAll(ADDRESSEE)].filter((m) =>
          CONDUCT.test(text.slice(m.index + m[0].length)),
        )
        if (
          readers.length > 0 &&
          identifierSpans(sentence.text).length > 0 &&
          readers.some((m) => conductAt(sentence.text, text, m.index, m[0].length))
        )
          why = 'conduct'
      }
      if (addressed || continued || why !== 'addressee')
        spans.push({
          start: sentence.start,
          end: sentence.start + sentence.text.length,
          why,
          text: sentence.text,
        })
    }
  }
  if (hides) {
    for (const pattern of HIDDEN) {
      for (const match of raw.matchAll(pattern)) {
        const inner = match[match.length - 1] ?? ''
        const at = match.index + match[0].indexOf(inner)
        for (const sentence of sentences(inner, at))
          if (readsAsOrder(sentence.text))
            spans.push({
              start: sentence.start,
              end: sentence.start + sentence.text.length,
              why: 'hidden',
              text: sentence.text,
            })
      }
    }
  }
  if (fields) {
    for (const match of raw.matchAll(ADDRESSED_FIELD)) {
      const value = match[1] ?? ''
      const at = match.index + match[0].lastIndexOf(value)
      spans.push({ start: at, end: at + value.length, why: 'field', text: value })
    }
  }
  return spans
}
