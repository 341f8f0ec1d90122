import picomatch from 'picomatch'
import { WardenError } from '../kernel/index.js'

/** A parsed SPIFFE ID: `spiffe://<trustDomain><path>`. */
export interface SpiffeId {
  readonly trustDomain: string
  readonly path: string
}

// SPIFFE ID spec §2.1/§2.2: lowercase trust domain; path segments of letters, digits, `.`, `-`, `_`, not `.`/`..`.
const TRUST_DOMAIN = /^[a-z0-9._-]+$/
const SEGMENT = /^[A-Za-z0-9._-]+$/

/** Parses and validates a SPIFFE ID; throws `TOKEN_CLAIMS_INVALID` when it is not one. */
export function parseSpiffeId(value: string): SpiffeId {
  const match = /^spiffe:\/\/([^/]+)(\/.*)?$/.exec(value)
  const trustDomain = match?.[1]
  const path = match?.[2] ?? ''
  const invalid = () =>
    new WardenError('TOKEN_CLAIMS_INVALID', `\`${value.slice(0, 200)}\` is not a SPIFFE ID`)
  if (!trustDomain || !TRUST_DOMAIN.test(trustDomain) || value.length > 2048) throw invalid()
  if (path !== '') {
    for (const segment of path.slice(1).split('/')) {
      if (!SEGMENT.test(segment) || segment === '.' || segment === '..') throw invalid()
    }
  }
  return { trustDomain, path }
}

/** The SPIFFE ID of one instance of an agent: `spiffe://<td>/agent/<agent>/<instance>`. */
export function instanceSpiffeId(trustDomain: string, agent: string, instanceId: string): string {
  return `spiffe://${trustDomain}/agent/${agent}/${instanceId}`
}

/** picomatch with every feature off but `*` and `?`: no braces, classes, extglobs, negation. */
const GLOB = {
  dot: true,
  nobrace: true,
  nobracket: true,
  noextglob: true,
  nonegate: true,
  noquantifiers: true,
} as const

/**
 * Matches `value` against a rule pattern with path-segment semantics (picomatch's, per segment): `/` and `:`
 * separate segments, `*` matches within one segment and never crosses a separator, and the separators must be the
 * same, in the same places. So `spiffe://partner.example/ns/prod/sa/*` admits `…/sa/billing` but not
 * `…/sa/billing/admin`, and `system:serviceaccount:payments:billing-*` not `…:billing-x:other` — a federation or
 * claim rule never grants more than the depth it names (a security boundary; see spiffe-id.test.ts).
 */
export function matchesPattern(pattern: string, value: string): boolean {
  const patternParts = pattern.split(SEPARATORS)
  const valueParts = value.split(SEPARATORS)
  if (patternParts.length !== valueParts.length) return false
  return patternParts.every((part, i) => {
    const actual = valueParts[i] as string
    // Odd indexes hold the separators themselves (the split keeps them): they must be equal.
    if (i % 2 === 1) return part === actual
    if (!part.includes('*') && !part.includes('?')) return part === actual
    return actual !== '' && picomatch.isMatch(actual, part, GLOB)
  })
}

const SEPARATORS = /([/:])/
