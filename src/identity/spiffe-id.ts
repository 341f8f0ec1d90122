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

/** Matches `value` against a pattern where `*` stands for any run of characters. */
export function matchesPattern(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's')
  return regex.test(value)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
