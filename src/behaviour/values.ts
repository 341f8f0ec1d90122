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

/** A matcher for where a value occurs in text: canonical containment, or delimited for short values. */
export function occursIn(value: string): (chunk: { text: string; raw: string }) => boolean {
  const c = canonical(value)
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
export function argumentLeaves(args: Record<string, unknown>): ArgumentLeaf[] {
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
  return leaves
}
