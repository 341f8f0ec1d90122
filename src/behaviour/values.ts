import * as chrono from 'chrono-node'

/**
 * Value matching for provenance: two spellings of one identifier compare equal — case, whitespace, dashes and
 * underscores, URL schemes, a leading `www.`, trailing slashes, `mailto:`, IBAN grouping.
 */
export function canonical(value: string): string {
  return value
    .toLowerCase()
    .trim()
    .replace(/^(mailto:|[a-z][a-z0-9+.-]*:\/\/)/, '')
    .replace(/^www\./, '')
    .replace(/[\s_-]+/g, '')
    .replace(/(?<!\/)\/+$/, '')
}

/*
 * The patterns below run over tool outputs, which an attacker may write. V8's regular expressions backtrack, so
 * each one is linear in its input: a match may start only where a run of its characters starts (a lookbehind,
 * not `\b`, which also holds inside a run), and what it repeats is bounded. Unbounded, 20 KB of dots held the
 * event loop for a second per pattern (test/behaviour/values.test.ts).
 */

/** The same normalisation over a whole text, so `canonical(value)` can be searched in it. */
export function canonicalText(text: string): string {
  let lower = text.toLowerCase()
  // Most outputs hold no link: the scheme pattern, tried at every letter, runs only where one may be.
  if (lower.includes('://') || lower.includes('mailto:'))
    lower = lower.replace(/(mailto:|(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}:\/\/)(www\.)?/g, '')
  return lower.replace(/\bwww\./g, '').replace(/[\s_-]+/g, '')
}

/** Identifiers embedded in free text: e-mail addresses, URLs and domains, IBAN-like and long digit strings. */
export function embeddedIdentifiers(text: string): string[] {
  return [...new Set(identifierSpans(text).map((id) => id.value))]
}

const IDENTIFIER_PATTERNS = [
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}/g,
  /(?<![A-Za-z0-9._-])(?:https?:\/\/)?(?:www\.)?[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,126}\.(?:com|org|net|io|co|gov|edu|info|biz|dev|app|xyz|me|ai|[a-z]{2})(?:\/[^\s"'<>)]{0,2048})?/gi,
  // IBANs, grouped by four or not: one way to read a run (groups of 2–4 gave thousands, ~0.4 s per 64 KB).
  /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g,
  /\b\d{9,}\b/g,
]

/** Each identifier occurrence in free text (`embeddedIdentifiers`), with where it sits. */
export function identifierSpans(text: string): Array<{ value: string; start: number; end: number }> {
  const spans: Array<{ value: string; start: number; end: number }> = []
  for (const pattern of IDENTIFIER_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      spans.push({ value: match[0], start: match.index, end: match.index + match[0].length })
    }
  }
  return spans
}

/** Too generic to say where it came from. */
export function isTraceable(value: string): boolean {
  const c = canonical(value)
  return c.length >= 1 && !/^(true|false|null|none|yes|no)$/.test(c)
}

/** Short values (ids like `13`) are found only where written as an identifier: quoted, or after `id`/`#`. */
export const SHORT = 5

/**
 * A matcher for where a value occurs in text: canonical containment, or delimited for short values; and a date, an
 * amount or a phone number by its value in any spelling (`normalForm`): `2024-05-01` occurs in "from the 1st to the
 * 5th of May 2024", `3180.00` in "$3,180", `+1 415 555 0193` in "(415) 555-0193".
 */
export function occursIn(value: string): (chunk: { text: string; raw: string }) => boolean {
  const c = canonical(value)
  const form = normalForm(value)
  if (c.length >= SHORT && form) {
    const keys = form.keys
    return (chunk) => chunk.text.includes(c) || keys.some((key) => formsIn(chunk.raw, form.kind).has(key))
  }
  if (c.length >= SHORT) return (chunk) => chunk.text.includes(c)
  const v = value
    .trim()
    .toLowerCase()
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const pattern = new RegExp(`(['"\`#]${v}['"\`]|\\bid\\w*\\W{0,4}${v}\\b)`)
  return (chunk) => pattern.test(chunk.raw)
}

/**
 * A tool's own name, without the namespace a client or gateway puts before it: `mcp__bank__send_money`,
 * `bank.send_money`, `bank/send_money` → `send_money`. Its verb and what it acts on are read from this.
 */
export function ownToolName(name: string): string {
  return name.split(/__|[./:]/).at(-1) || name
}

/** One string in a call's argument tree: where it sits (`files/0/content`), and whether it is an object key. */
export interface ArgumentLeaf {
  /** The path from the top argument down, `/`-joined; the top argument's name is its first segment. */
  path: string
  /** The last named member on the path (an array index is skipped): `content` for `files/0/content`. */
  name: string
  value: string
  /** The string is a member's name, not its value (`{ files: { "x.txt": … } }` → `x.txt`). */
  key: boolean
}

/** Bounds on the walk: a call's argument tree is data an agent wrote, and may be large or deep. */
const LEAF_LIMITS = { depth: 12, leaves: 2_000 } as const

/**
 * Every string of a call's arguments at any depth — values in nested objects and arrays, numbers and booleans
 * as text, and the names of an open map's members (`{ files: { "x.txt": { content } } }`), which carry data as
 * much as values do. The top-level argument names are the tool's own schema, not data, and are not leaves.
 */
export function argumentLeaves(args: Record<string, unknown>): readonly ArgumentLeaf[] {
  // INVARIANT: a call's arguments are never changed once observed (the detectors key what they read by the object),
  // so each call's leaves are walked once — every detector reads them, and later calls read earlier calls' again.
  const known = leavesOf.get(args)
  if (known) return known
  const leaves: ArgumentLeaf[] = []
  const walk = (value: unknown, path: string, name: string, depth: number): void => {
    if (leaves.length >= LEAF_LIMITS.leaves || depth > LEAF_LIMITS.depth) return
    if (typeof value === 'string') leaves.push({ path, name, value, key: false })
    else if (typeof value === 'number' || typeof value === 'boolean')
      leaves.push({ path, name, value: String(value), key: false })
    else if (Array.isArray(value))
      for (const [i, item] of value.entries()) walk(item, `${path}/${i}`, name, depth + 1)
    else if (value !== null && typeof value === 'object')
      for (const [member, inner] of Object.entries(value as Record<string, unknown>)) {
        if (depth > 0) leaves.push({ path: `${path}/${member}`, name: member, value: member, key: true })
        walk(inner, path === '' ? member : `${path}/${member}`, member, depth + 1)
      }
  }
  walk(args, '', '', 0)
  leavesOf.set(args, leaves)
  return leaves
}

const leavesOf = new WeakMap<object, readonly ArgumentLeaf[]>()

/**
 * What kind of value an argument or a span of text is, for comparing one value with another of its kind: an amount
 * of money, an e-mail address, a phone number, an IBAN, an account number (a bare run of digits), a link or host, a
 * street address. Each kind has a key under which its spellings compare equal: "€3,180.00", "3180", "EUR 3.180,00"
 * → `3180`; "+1 415 555 0193", "(415) 555-0193" → `4155550193`; "GB94 BARC 1020 …" → `gb94barc1020…`.
 */
export type ValueKind = 'money' | 'email' | 'phone' | 'iban' | 'account' | 'link' | 'street'

export interface TypedValue {
  kind: ValueKind
  key: string
  /** Where it sits in the text it was read from (0 for a whole argument). */
  start: number
}

/** Kinds that are one number written two ways: a phone number and an account number compare by their digits. */
export function sameFamily(a: ValueKind, b: ValueKind): boolean {
  return a === b || ((a === 'phone' || a === 'account') && (b === 'phone' || b === 'account'))
}

/** An amount as a number: thousands separators, a decimal comma, a `k`/`m` multiplier. Undefined when not one. */
export function amountOf(text: string): number | undefined {
  const m = /^(\d{1,3}(?:[,.\s'’]\d{3})+|\d+)(?:[.,](\d{1,2}))?\s*([kKmM])?$/.exec(text.trim())
  if (!m?.[1]) return undefined
  const whole = Number(m[1].replace(/[,.\s'’]/g, ''))
  const value = whole + (m[2] ? Number(m[2]) / 10 ** m[2].length : 0)
  const scale = m[3] ? (m[3].toLowerCase() === 'k' ? 1e3 : 1e6) : 1
  return Number.isFinite(value) ? Math.round(value * scale * 100) / 100 : undefined
}

const CURRENCY = String.raw`[$€£¥₹]|(?:usd|eur|gbp|chf|cad|aud|jpy|inr|sek|nok|dkk|pln)(?![a-z])`
const NUMBER = String.raw`\d{1,3}(?:[,.\s'’]\d{3}){0,6}(?:[.,]\d{1,2})?(?:\s?[kKmM](?![a-z]))?|\d{1,12}(?:[.,]\d{1,2})?(?:\s?[kKmM](?![a-z]))?`
/** An amount marked as money in text: a currency sign or code before or after the number, or a currency word after it. */
const MONEY = new RegExp(
  String.raw`(?:(?<![a-z0-9])(?:${CURRENCY})\s?(${NUMBER}))|(?:(?<![\d.,])(${NUMBER})\s?(?:${CURRENCY}|(?:dollars?|euros?|pounds?|francs?)(?![a-z])))`,
  'gi',
)
const EMAIL = /(?<![a-z0-9._%+-])[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,24}/gi
/** A phone number: a `+` and a country code, or digits grouped as phone numbers are ("(415) 555-0193", "415.555.0193"). */
const PHONE =
  /(?<![\w+])(?:\+\d{1,3}[\s.-]?(?:\(?\d{1,5}\)?[\s.-]?){1,4}\d{2,6}|\(\d{2,5}\)\s?\d{3,4}[\s.-]\d{3,4}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w])/g
const ACCOUNT = /(?<![\w+.-])\d{8,20}(?![\w.-]?\d)/g
/** A street address: a house number, one to four words of a name, a word for a street (English, German, French, Italian, Spanish). */
const STREET =
  /(?<![\w-])(\d{1,6}[a-z]?)\s+((?:[a-z][a-z'’.-]{0,30}\s+){1,4})(?:street|st|avenue|ave|road|rd|lane|ln|boulevard|blvd|drive|dr|way|court|ct|place|pl|square|sq|terrace|parkway|pkwy|highway|hwy|crescent|close|row|quay|wharf)(?![a-z])/gi

function digitsKey(text: string): string {
  return text.replace(/\D/g, '').slice(-10)
}

/**
 * Every typed value in a text, with its key (see `ValueKind`). Linear in the text: each pattern starts a match
 * only where a run of its characters starts, and repeats what is bounded.
 */
export function typedValues(text: string): TypedValue[] {
  const out: TypedValue[] = []
  // Characters already read as a value: a later pattern does not read them again (an account inside a link).
  const taken = new Uint8Array(text.length)
  const add = (kind: ValueKind, key: string, start: number, end: number) => {
    if (!key || taken.subarray(start, end).includes(1)) return
    taken.fill(1, start, end)
    out.push({ kind, key, start })
  }
  if (text.includes('@'))
    for (const m of text.matchAll(EMAIL)) add('email', m[0].toLowerCase(), m.index, m.index + m[0].length)
  for (const span of identifierSpans(text)) {
    // A match cut short inside a longer word is no link (`backup.toml` → `backup.to`).
    if (span.value.includes('@') || /^\d+$/.test(span.value) || /[a-z0-9]/i.test(text[span.end] ?? ''))
      continue
    const kind: ValueKind = /^[A-Z]{2}\d{2}/.test(span.value) && !span.value.includes('.') ? 'iban' : 'link'
    add(kind, canonical(span.value), span.start, span.end)
  }
  for (const m of text.matchAll(MONEY)) {
    const amount = amountOf((m[1] ?? m[2] ?? '').replace(/\s(?=[kKmM]$)/, ''))
    if (amount !== undefined && amount > 0) add('money', String(amount), m.index, m.index + m[0].length)
  }
  for (const m of text.matchAll(PHONE)) {
    const digits = m[0].replace(/\D/g, '')
    if (digits.length >= 7 && digits.length <= 15)
      add('phone', digitsKey(m[0]), m.index, m.index + m[0].length)
  }
  for (const m of text.matchAll(ACCOUNT)) add('account', digitsKey(m[0]), m.index, m.index + m[0].length)
  for (const m of text.matchAll(STREET))
    add('street', streetKey(m[1] ?? '', m[2] ?? ''), m.index, m.index + m[0].length)
  return out
}

function streetKey(number: string, name: string): string {
  return `${number}${name}`.toLowerCase().replace(/[^a-z0-9]/g, '')
}

/** Member names that hold an amount of money. */
const MONEY_NAME =
  /^(?:amount|price|total|sum|cost|fee|fees|payment|balance|bonus|deposit|refund|gross|salary|wage|budget)$/

/**
 * The typed value a whole argument is, if it is one: by its own shape (an e-mail address, a link, an IBAN, a phone
 * number, a street address, an amount with a currency), or an amount by its member's name (`amount: 8130`,
 * `approved_amount: "21,400.00"`) — an argument's name is the tool's own schema, not text an attacker writes.
 */
export function typedArgument(name: string, value: string): TypedValue | undefined {
  const v = value.trim()
  if (v.length === 0 || v.length > 200) return undefined
  const words = name
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z]+/)
  if (words.some((w) => MONEY_NAME.test(w))) {
    const amount = amountOf(v.replace(new RegExp(`^(?:${CURRENCY})\\s?|\\s?(?:${CURRENCY})$`, 'gi'), ''))
    if (amount !== undefined) return amount > 0 ? { kind: 'money', key: String(amount), start: 0 } : undefined
  }
  const found = typedValues(v)
  if (found.length === 0) {
    // A bare run of digits is an account number, or a phone number where the member says so.
    if (
      /^\+?\d[\d\s().-]{6,22}$/.test(v) &&
      words.some((w) => /^(?:phone|mobile|tel|telephone|fax|sms|cell)$/.test(w))
    )
      return { kind: 'phone', key: digitsKey(v), start: 0 }
    return undefined
  }
  // The first value found, when it is most of the argument ("220 Dock Street, Portland, OR 97209" is a street).
  const first = found.sort((a, b) => a.start - b.start)[0]
  if (!first || first.start > 3) return undefined
  return first
}

/**
 * Values compared by what they are, not how they are spelt (decision 003): a date by its ISO day, an amount by its
 * number, a phone number by its digits. Dates in text are read by chrono-node (English, and French, German, Spanish,
 * Italian, Portuguese and Dutch where their month names occur); a date given without a year keys by its month and
 * day (`--05-01`), which that day of any year matches.
 */
export type NormalKind = 'date' | 'amount' | 'phone'

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/
const AMOUNT_VALUE = new RegExp(
  String.raw`^(?:(?:${CURRENCY})\s?)?(\d{1,3}(?:[,.'’]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?:\s?(?:${CURRENCY}))?$`,
  'i',
)
const PHONE_VALUE = /^\+?[\d\s().-]{7,24}$/

/** The kind and keys of a whole value, when it is a date, an amount or a phone number; undefined otherwise. */
export function normalForm(value: string): { kind: NormalKind; keys: string[] } | undefined {
  const v = value.trim()
  if (v.length === 0 || v.length > 40) return undefined
  const iso = ISO_DAY.exec(v)
  if (iso) return { kind: 'date', keys: [`${iso[1]}-${iso[2]}-${iso[3]}`, `--${iso[2]}-${iso[3]}`] }
  const amount = AMOUNT_VALUE.exec(v)
  // A run of seven or more bare digits is a number to trace as it is written (an account, an id), not an amount.
  if (amount?.[1] && !/^\d{7,}$/.test(v)) {
    const n = amountOf(amount[1])
    return n === undefined ? undefined : { kind: 'amount', keys: [String(n)] }
  }
  if (PHONE_VALUE.test(v) && /[\s().+-]/.test(v)) {
    const digits = v.replace(/\D/g, '')
    if (digits.length >= 7 && digits.length <= 15) return { kind: 'phone', keys: [digitsKey(v)] }
  }
  return undefined
}

const MONTHS_EN =
  /\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b/i
/** Month names of the other languages chrono-node reads, each run only where one of its months is written. */
const OTHER_LOCALES: Array<[RegExp, chrono.Chrono]> = [
  [
    /\b(?:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre)\b/i,
    chrono.fr.casual,
  ],
  [
    /\b(?:januar|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember)\b/i,
    chrono.de.casual,
  ],
  [
    /\b(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)\b/i,
    chrono.es.casual,
  ],
  [
    /\b(?:gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre)\b/i,
    chrono.it.casual,
  ],
  [
    /\b(?:janeiro|fevereiro|março|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro)\b/i,
    chrono.pt.casual,
  ],
  [
    /\b(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december)\b/i,
    chrono.nl.casual,
  ],
]
/** A fixed reference day: what a text's dates are must not depend on when it is read. */
const REFERENCE = new Date(Date.UTC(2000, 0, 1))

function dayKeys(component: chrono.ParsedComponents, withYear: boolean, out: Set<string>): void {
  const month = component.get('month')
  const day = component.get('day')
  if (!month || !day || !component.isCertain('day')) return
  const md = `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
  const year = component.get('year')
  out.add(year && (withYear || component.isCertain('year')) ? `${year}-${md}` : `--${md}`)
}

/** The days a text names, as `YYYY-MM-DD`, or `--MM-DD` where no year is written; a range names both ends. */
function datesIn(text: string): Set<string> {
  const out = new Set<string>()
  if (!/\d/.test(text)) return out
  // "the 1st to the 5th of May" as "1st to 5th May", a form chrono reads as a range.
  const plain = text
    .slice(0, 20_000)
    .replace(/\bthe (\d{1,2}(?:st|nd|rd|th))\b/gi, '$1')
    .replace(/(\d(?:st|nd|rd|th)) of\b/gi, '$1')
  const parsers: chrono.Chrono[] = []
  if (MONTHS_EN.test(plain) || /\d[/.-]\d/.test(plain)) parsers.push(chrono.casual)
  for (const [months, parser] of OTHER_LOCALES) if (months.test(plain)) parsers.push(parser)
  for (const parser of parsers)
    for (const result of parser.parse(plain, REFERENCE)) {
      // A year written in the span holds for both ends of a range ("January 11th to January 15th 2025").
      const withYear = /\d{4}/.test(result.text)
      dayKeys(result.start, withYear, out)
      if (result.end) dayKeys(result.end, withYear, out)
    }
  return out
}

const NUMBER_IN_TEXT =
  /(?<![\d.,'’])(?:\d{1,3}(?:[,.'’]\d{3}){1,6}(?:[.,]\d{1,2})?|\d{1,12}(?:[.,]\d{1,2})?)(?![\d])/g

function amountsIn(text: string): Set<string> {
  const out = new Set<string>()
  for (const m of text.matchAll(NUMBER_IN_TEXT)) {
    const n = amountOf(m[0])
    if (n !== undefined) out.add(String(n))
  }
  return out
}

function phonesIn(text: string): Set<string> {
  const out = new Set<string>()
  for (const v of typedValues(text)) if (v.kind === 'phone' || v.kind === 'account') out.add(v.key)
  return out
}

/** Normal forms read from a text, per kind, each read once: outputs and the request are matched many times. */
const formCache = new Map<string, Partial<Record<NormalKind, Set<string>>>>()
const FORM_CACHE_LIMIT = 4_096

/** The keys of one kind of value a text holds (`normalForm`), read once per text and kind. */
export function formsIn(text: string, kind: NormalKind): Set<string> {
  let forms = formCache.get(text)
  if (!forms) {
    if (formCache.size >= FORM_CACHE_LIMIT) formCache.clear()
    forms = {}
    formCache.set(text, forms)
  }
  let keys = forms[kind]
  if (!keys) {
    keys = kind === 'date' ? datesIn(text) : kind === 'amount' ? amountsIn(text) : phonesIn(text)
    forms[kind] = keys
  }
  return keys
}
