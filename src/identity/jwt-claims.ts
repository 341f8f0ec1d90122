import { decodeProtectedHeader, type JWTPayload } from 'jose'
import { WardenError } from '../kernel/index.js'

/** Compact serialization with canonical base64url segments only (no padding, no whitespace, three parts; an empty signature is left for the verifier to refuse as `alg: none`). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/**
 * Refuses anything but a compact JWS in canonical base64url (SPIFFE JWT-SVID §5.1, RFC 7515 §7.1): JSON
 * serialization, padded or whitespace-laden segments and extra segments never reach the verifier, so a revocation
 * or a cache keyed by the token's text cannot be sidestepped by a second spelling of one signature.
 */
export function requireCompactJws(token: string, what: string): void {
  if (token.length > 16_384 || !COMPACT_JWS.test(token))
    throw new WardenError('TOKEN_INVALID', `${what} is not a compact JWS`)
}

/** What the claims of an external JWT must keep to, beyond a valid signature. */
export interface ClaimLimits {
  /** Now, in seconds since the epoch. */
  now: number
  /** Allowed clock skew, in seconds. */
  skew: number
  /** The longest lifetime accepted: `exp − iat`, and `exp − now` (seconds). */
  maxLifetime: number
}

/**
 * Checks what jose leaves to the caller (RFC 7519 §4.1, SPIFFE JWT-SVID §3): `exp` a finite safe integer (JSON
 * `1e400` parses to Infinity and `2^53 + 1` loses precision — either would make a token that never expires),
 * `iat` and `nbf` the same and not in the future, a lifetime no longer than `maxLifetime`, `sub` a string, and
 * exactly one audience (a token meant for several parties is refused: SPIFFE JWT-SVID §3.2 asks validators to be
 * strict, and the catalogue's ID-07 allows several only by explicit configuration, which Warden does not offer).
 */
export function checkClaims(payload: JWTPayload, limits: ClaimLimits, what: string): void {
  const invalid = (
    reason: string,
    code: 'TOKEN_CLAIMS_INVALID' | 'TOKEN_NOT_YET_VALID' = 'TOKEN_CLAIMS_INVALID',
  ) => new WardenError(code, `${what} ${reason}`)
  const { exp, iat, nbf } = payload
  if (!Number.isSafeInteger(exp)) throw invalid('has an `exp` that is not a whole number of seconds')
  for (const [name, value] of [
    ['iat', iat],
    ['nbf', nbf],
  ] as const) {
    if (value === undefined) continue
    if (!Number.isSafeInteger(value))
      throw invalid(`has an \`${name}\` that is not a whole number of seconds`)
    if ((value as number) > limits.now + limits.skew)
      throw invalid(`has \`${name}\` in the future`, 'TOKEN_NOT_YET_VALID')
  }
  const end = exp as number
  if (end - limits.now > limits.maxLifetime + limits.skew)
    throw invalid(`lives longer than ${limits.maxLifetime} s (\`exp\`)`)
  if (iat !== undefined && end - iat > limits.maxLifetime)
    throw invalid(`lives longer than ${limits.maxLifetime} s (\`exp\` − \`iat\`)`)
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw invalid('has no string `sub`')
  const aud = payload.aud
  if (Array.isArray(aud) && aud.length !== 1) throw invalid('names more than one audience (`aud`)')
  if (payload.jti !== undefined && (typeof payload.jti !== 'string' || payload.jti.length > 256))
    throw invalid('has a malformed `jti`')
}

/**
 * Refuses a compact JWS whose header or payload repeats a member name (RFC 7515 §5.2, RFC 7519 §4: a parser may
 * take either value, so the principal checked and the one recorded could differ). Runs before any other parse.
 */
export function refuseDuplicateMembers(token: string, what: string): void {
  const [header, payload] = token.split('.')
  for (const segment of [header, payload]) {
    let text: string
    try {
      text = Buffer.from(segment ?? '', 'base64url').toString('utf8')
    } catch (cause) {
      throw new WardenError('TOKEN_INVALID', `${what} is malformed`, { cause })
    }
    if (hasDuplicateMembers(text)) throw new WardenError('TOKEN_INVALID', `${what} repeats a JSON member`)
  }
  // The header must still decode as jose reads it (a malformed one is refused by the verifier anyway).
  try {
    decodeProtectedHeader(token)
  } catch (cause) {
    throw new WardenError('TOKEN_INVALID', `${what} is malformed`, { cause })
  }
}

/** True when some JSON object in `text` has two members of the same name (after unescaping). Linear in `text`. */
export function hasDuplicateMembers(text: string): boolean {
  // A stack of the member names seen in each open object (null for an array).
  const stack: Array<Set<string> | null> = []
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      const top = stack[stack.length - 1]
      if (expectKey && top) {
        let name: string
        try {
          name = JSON.parse(text.slice(i, j + 1)) as string
        } catch {
          return false
        }
        if (top.has(name)) return true
        top.add(name)
        expectKey = false
      }
      i = j
    } else if (ch === '{') {
      stack.push(new Set())
      expectKey = true
    } else if (ch === '[') {
      stack.push(null)
    } else if (ch === '}' || ch === ']') {
      stack.pop()
    } else if (ch === ',') {
      expectKey = stack[stack.length - 1] != null
    }
  }
  return false
}
