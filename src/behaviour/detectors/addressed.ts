import { tokens } from '../language.js'

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
  /** `addressee` (named reader + label, vocative, obligation or causative), `hidden` (markup), `field` (JSON member). */
  why: 'addressee' | 'hidden' | 'field'
  text: string
}

/**
 * Who an injection addresses: assistants, AI, agents, bots, language models by name, automation; in the languages
 * whose words are listed (assistente, asistente, KI-Assistent, agente, …). Lower case.
 */
const ADDRESSEE =
  /(?<![\p{L}\d_-])(?:ai|a\.i\.|llms?|(?:chat)?gpt[\w.-]*|claude|gemini|copilot|(?:chat ?)?bots?|[\w-]*-bots?|assist(?:ants?|ente[sn]?|enti|ent)|asistentes?|(?:ki|ia)-[\p{L}]+|agents?|agentes?|automation|automated (?:[\p{L}-]+)|whoever|anyone (?:reading|processing|handling|seeing))(?![\p{L}\d_])/gu

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
    const words = rest.split(/\s+/).filter(Boolean).length
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

/** The spans of `raw` that read as instructions addressed to the agent. */
export function addressedSpans(raw: string): AddressedSpan[] {
  const spans: AddressedSpan[] = []
  const lower = raw.toLowerCase()
  // Cheap screen: most outputs name no assistant, hide nothing and have no member named for one.
  const names = ADDRESSEE.test(lower)
  ADDRESSEE.lastIndex = 0
  const hides =
    lower.includes('<!--') || lower.includes('[//]') || /hidden|display:|font-size|color:/.test(lower)
  const fields = lower.includes('":')
  if (!names && !hides && !fields) return spans
  if (names || /you(?:'re| are)/.test(lower)) {
    // A reader greeted in a sentence of its own ("hey social media AI!") is still the one spoken to in the next
    // sentence, when that one reads as an order.
    let greetedAlone = false
    for (const sentence of sentences(raw, 0)) {
      const text = sentence.text.toLowerCase()
      let addressed = YOU_ARE.test(text)
      let rest = ''
      for (const match of addressed ? [] : text.matchAll(ADDRESSEE)) {
        if (addressedAt(text, match.index, match[0].length)) {
          addressed = true
          rest = text.slice(match.index + match[0].length)
          break
        }
      }
      const continued = !addressed && greetedAlone && readsAsOrder(sentence.text)
      greetedAlone = addressed && rest.split(/[^\p{L}\d]+/u).filter(Boolean).length === 0
      if (addressed || continued)
        spans.push({
          start: sentence.start,
          end: sentence.start + sentence.text.length,
          why: 'addressee',
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
