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
