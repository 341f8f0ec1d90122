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
  const redacted: string[] = []
  // A member's pointer is built only where something is redacted, or for a container (its members need it).
  const walk = (value: unknown, parent: string, key: string): unknown => {
    if (typeof value === 'string') {
      if (!SECRET_VALUE.test(value)) return value
      redacted.push(pointerOf(parent, key))
      return REDACTED
    }
    if (Array.isArray(value)) {
      const pointer = pointerOf(parent, key)
      return value.map((item, i) => walk(item, pointer, String(i)))
    }
    if (value !== null && typeof value === 'object') {
      const pointer = pointerOf(parent, key)
      const out: Record<string, unknown> = {}
      for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
        if (isSecretKey(name) && member !== null && member !== undefined) {
          redacted.push(pointerOf(pointer, name))
          out[name] = REDACTED
        } else {
          out[name] = walk(member, pointer, name)
        }
      }
      return out
    }
    return value
  }
  const clean = walk(body, '', 'body') as Record<string, unknown>
  return { body: clean, redacted }
}

/** The credential-like values inside a text (same shapes `redact` masks), for detectors that must follow them. */
export function secretValues(text: string): string[] {
  const global = new RegExp(SECRET_VALUE.source, 'g')
  return [...text.matchAll(global)].map((match) => match[0])
}
