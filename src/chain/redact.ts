/** Member names (lowercased, without `-` and `_`) whose values never enter the chain: credentials. */
const SECRET_KEYS = new Set([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'clientsecret',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'bearer',
  'authorization',
  'apikey',
  'privatekey',
  'credential',
  'credentials',
  'cookie',
  'setcookie',
  'sessiontoken',
  'connectionstring',
])

/**
 * Member names already judged: the same few recur in every record. Bounded in entries and in length (an agent
 * chooses its arguments' names: 1,000 names of a megabyte each would otherwise stay in memory).
 */
const judgedKeys = new Map<string, boolean>()

function isSecretKey(key: string): boolean {
  let secret = judgedKeys.get(key)
  if (secret === undefined) {
    secret = SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''))
    if (key.length <= 64) {
      if (judgedKeys.size >= 1_000) judgedKeys.clear()
      judgedKeys.set(key, secret)
    }
  }
  return secret
}

/** The JSON pointer of member `key` under `parent` (RFC 6901). */
function pointerOf(parent: string, key: string): string {
  return `${parent}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
}

/** Values that look like credentials wherever they appear: JWTs, bearer headers, PEM keys, common API keys. */
const SECRET_VALUE =
  /(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)|(Bearer\s+[A-Za-z0-9._~+/-]{16,}=*)|(-----BEGIN [A-Z ]*PRIVATE KEY-----)|(AKIA[0-9A-Z]{16})|(sk-[A-Za-z0-9]{20,})|(ghp_[A-Za-z0-9]{30,})|(xox[abpr]-[A-Za-z0-9-]{10,})/

/** The marker a redacted value is replaced with. */
export const REDACTED = '[redacted]'

/**
 * Removes credentials from an event body before it is hashed: members with secret-like names are erased, and
 * strings holding credential-like values are masked. Returns the JSON pointers of what changed.
 */
export function redact(body: Record<string, unknown>): { body: Record<string, unknown>; redacted: string[] } {
  const { body: clean, redacted } = redactToText(body)
  return { body: clean, redacted }
}

/**
 * `redact`, and the canonical JSON (`canonicalJson`) of what it returns, in one walk: what a chain record stores.
 * Nothing is copied where nothing is redacted: the body returned shares every unchanged member with the one given
 * (a record's body is never changed once appended).
 */
export function redactToText(body: Record<string, unknown>): {
  body: Record<string, unknown>
  redacted: string[]
  text: string
} {
  const redacted: string[] = []
  // The canonical JSON of the value `walk` returned last (a return value each would cost a tuple per member).
  let text = ''
  // A member's pointer is built only where something is redacted, or for a container (its members need it).
  const walk = (value: unknown, parent: string, key: string): unknown => {
    if (typeof value === 'string') {
      if (!SECRET_VALUE.test(value)) {
        text = JSON.stringify(value)
        return value
      }
      redacted.push(pointerOf(parent, key))
      text = REDACTED_JSON
      return REDACTED
    }
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'number' && !Number.isFinite(value))
        throw new TypeError('non-finite number in event')
      text = JSON.stringify(value) ?? 'null'
      return value
    }
    const pointer = pointerOf(parent, key)
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined
      let out = ''
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i]
        const clean = walk(item, pointer, String(i))
        if (clean !== item) {
          copy ??= value.slice()
          copy[i] = clean
        }
        // As `canonicalJson`: a missing item is `null`.
        out += i === 0 ? (item === undefined ? 'null' : text) : `,${item === undefined ? 'null' : text}`
      }
      text = `[${out}]`
      return copy ?? value
    }
    const object = value as Record<string, unknown>
    // Members in insertion order, so `redacted` lists pointers as the body reads; their text in key order.
    const names = Object.keys(object)
    const texts: Array<string | undefined> = new Array(names.length)
    let copy: Record<string, unknown> | undefined
    // A plain object is kept where nothing in it changed; any other (a Date, a class) is stored as its members.
    const proto = Object.getPrototypeOf(object)
    if (proto !== Object.prototype && proto !== null) copy = {}
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string
      const member = object[name]
      let clean: unknown
      if (isSecretKey(name) && member !== null && member !== undefined) {
        redacted.push(pointerOf(pointer, name))
        clean = REDACTED
        text = REDACTED_JSON
      } else {
        clean = walk(member, pointer, name)
      }
      if (clean !== member || copy) {
        if (!copy) copy = { ...object }
        copy[name] = clean
      }
      // An undefined member is dropped from the text, as `canonicalJson` drops it.
      texts[i] = clean === undefined ? undefined : text
    }
    // The default sort compares UTF-16 code units, as RFC 8785 orders members.
    const order = names.length > 1 ? names.map((_, i) => i).sort(byName(names)) : [0]
    let out = ''
    for (const i of order) {
      const member = texts[i]
      if (member === undefined) continue
      out += `${out === '' ? '' : ','}${JSON.stringify(names[i])}:${member}`
    }
    text = `{${out}}`
    return copy ?? object
  }
  const clean = walk(body, '', 'body') as Record<string, unknown>
  return { body: clean, redacted, text }
}

const REDACTED_JSON = JSON.stringify(REDACTED)

function byName(names: readonly string[]): (a: number, b: number) => number {
  return (a, b) => ((names[a] as string) < (names[b] as string) ? -1 : 1)
}

/** The credential-like values inside a text (same shapes `redact` masks), for detectors that must follow them. */
export function secretValues(text: string): string[] {
  const global = new RegExp(SECRET_VALUE.source, 'g')
  return [...text.matchAll(global)].map((match) => match[0])
}
