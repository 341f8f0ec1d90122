import { createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto'
import { canonical, identifierSpans, SHORT } from './values.js'

/** What a tool output leaves in the chain for provenance: keyed fingerprints of the values it held, never text. */
export interface OutputPrints {
  /** Values found outside planted instructions. */
  clean: string[]
  /** Values found only next to planted instructions. */
  planted: string[]
  /** What the detectors found in the output: `instructions-in-data`, `principal-material`, `credential`, `sensitive`. */
  labels: string[]
}

/** Most fingerprints of plain data kept per output (a 64 KB output would otherwise leave tens of thousands). */
export const MAX_PRINTS = 4_000

/** Memos hold values up to this length (10,000 entries of 64 KB values would hold 640 MB). */
const MEMO_VALUE_CHARS = 256

/**
 * Keyed fingerprints (HMAC-SHA-256, 80 bits) of normalised values: a node that did not see a task can still
 * tell whether an argument came from a tool output, without the chain holding the output. The key is the
 * deployment's; without it a fingerprint cannot be tested against guessed values.
 */
export class Fingerprinter {
  private readonly key: KeyObject
  /** Recent fingerprints: the same targets recur call after call (bounded, cleared when full). */
  private readonly memo = new Map<string, string>()
  /** Recent values as written, with their fingerprint (null: too short to count): words recur in every output. */
  private readonly written = new Map<string, string | null>()

  constructor(key?: Uint8Array) {
    this.key = createSecretKey(key ?? randomBytes(32))
  }

  /** The fingerprint of a value as provenance compares it (`canonical`); short ids carry a `#` mark. */
  of(value: string): string {
    return this.ofCanonical(canonical(value))
  }

  private ofCanonical(c: string): string {
    const marked = c.length < SHORT ? `#${c}` : c
    let print = this.memo.get(marked)
    if (print === undefined) {
      print = createHmac('sha256', this.key).update(marked).digest('base64url').slice(0, 14)
      if (marked.length <= MEMO_VALUE_CHARS) {
        if (this.memo.size >= 10_000) this.memo.clear()
        this.memo.set(marked, print)
      }
    }
    return print
  }

  /**
   * Calls `found` with the fingerprint of every value a text holds, as provenance would find it (tokens, adjacent
   * pairs, identifiers, path tails, ids), and where it sits, once per occurrence: the text is read once.
   */
  visit(raw: string, found: (print: string, start: number, end: number) => void): void {
    const add = (value: string, start: number, end: number) => {
      let print = this.written.get(value)
      if (print === undefined) {
        const c = canonical(value)
        print = c.length >= SHORT ? this.ofCanonical(c) : null
        if (value.length <= MEMO_VALUE_CHARS) {
          if (this.written.size >= 10_000) this.written.clear()
          this.written.set(value, print)
        }
      }
      if (print !== null) found(print, start, end)
    }
    const tokens: Array<{ value: string; start: number; end: number }> = []
    for (const match of raw.matchAll(/[^\s,;()[\]{}<>"'`|]+/g)) {
      // Trailing punctuation off; the lookbehind keeps a long run linear (values.ts).
      const value = match[0].replace(/^[.:!?*]+|(?<![.:!?*])[.:!?*]+$/g, '')
      if (value) tokens.push({ value, start: match.index, end: match.index + match[0].length })
    }
    for (const [i, token] of tokens.entries()) {
      add(token.value, token.start, token.end)
      const next = tokens[i + 1]
      if (next) add(`${token.value}${next.value}`, token.start, next.end)
      if (token.value.includes('/')) {
        add(token.value.split('/').filter(Boolean).slice(-2).join('/'), token.start, token.end)
      }
    }
    for (const id of identifierSpans(raw)) add(id.value, id.start, id.end)
    // Short ids count only where written as identifiers (values.ts `occursIn`): quoted, or after `id`.
    for (const match of raw.matchAll(/['"`#](\w{1,4})['"`]|\bid\w*\W{0,4}(\w{1,4})\b/gi)) {
      const id = match[1] ?? match[2]
      if (id) found(this.of(id), match.index, match.index + match[0].length)
    }
  }
}
