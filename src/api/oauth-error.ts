import { type ErrorCode, isWardenError } from '../kernel/index.js'

/** The algorithms DPoP proofs may use, as a challenge advertises them (RFC 9449 §7.1). */
const DPOP_ALGS = 'ES256 ES384 EdDSA RS256 PS256'

/** Codes a challenge names as a bad proof (RFC 9449 §7.1 `invalid_dpop_proof`) rather than a bad token. */
const PROOF_CODES: ReadonlySet<ErrorCode> = new Set(['PROOF_MISSING', 'PROOF_INVALID', 'PROOF_REPLAYED'])

/**
 * The `WWW-Authenticate` challenge of a 401 (RFC 6750 §3, RFC 9449 §7.1): the `DPoP` scheme with an `error`, so a
 * client learns whether its token or its proof was refused. `extra` adds parameters (`resource_metadata`).
 */
export function authChallenge(code: ErrorCode, extra = ''): string {
  const error = PROOF_CODES.has(code) ? 'invalid_dpop_proof' : 'invalid_token'
  return `DPoP algs="${DPOP_ALGS}", error="${error}"${extra ? `, ${extra}` : ''}`
}

/** An OAuth error response of the token endpoint (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 9449 §5). */
export interface OAuthErrorResponse {
  status: 400 | 401
  body: { error: string; error_description: string; code: ErrorCode }
  challenge?: string
}

/**
 * Maps a refused token request to its OAuth error; undefined for a failure of Warden itself (store, bug), which
 * the API answers as any other. Which parameter failed (`details.param`) tells a bad subject token
 * (`invalid_request`) from a client that did not authenticate (`invalid_client`: the actor token and its proof).
 */
export function tokenEndpointError(error: unknown): OAuthErrorResponse | undefined {
  if (!isWardenError(error) || error.code === 'STORE_UNAVAILABLE' || error.code === 'INTERNAL')
    return undefined
  const param = error.details?.param
  const body = (status: 400 | 401, oauth: string, challenge?: string): OAuthErrorResponse => ({
    status,
    body: { error: oauth, error_description: error.message, code: error.code },
    ...(challenge ? { challenge } : {}),
  })
  if (error.code === 'UNSUPPORTED_GRANT' && param === 'grant_type') return body(400, 'unsupported_grant_type')
  if (error.code === 'TARGET_INVALID') return body(400, 'invalid_target')
  if (error.code === 'SCOPE_WIDENED') return body(400, 'invalid_scope')
  if (param === 'actor_token')
    return body(401, 'invalid_client', `DPoP algs="${DPOP_ALGS}", error="invalid_client"`)
  if (param === undefined && PROOF_CODES.has(error.code))
    return body(401, 'invalid_dpop_proof', authChallenge(error.code))
  return body(400, 'invalid_request')
}
