import { errors } from 'jose'
import { type ErrorCode, WardenError } from '../kernel/index.js'

/**
 * Maps a jose verification failure to Warden's codes. The message names the token's role (`what`) and never
 * carries token material.
 */
export function fromJoseError(error: unknown, what: string): WardenError {
  if (error instanceof WardenError) return error
  let code: ErrorCode = 'TOKEN_INVALID'
  let reason = 'does not verify'
  if (error instanceof errors.JWTExpired) {
    code = 'TOKEN_EXPIRED'
    reason = 'has expired'
  } else if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim
    if (claim === 'iss') code = 'TOKEN_ISSUER_MISMATCH'
    else if (claim === 'aud') code = 'TOKEN_AUDIENCE_MISMATCH'
    else if ((claim === 'nbf' || claim === 'iat') && error.reason === 'check_failed')
      code = 'TOKEN_NOT_YET_VALID'
    else code = 'TOKEN_CLAIMS_INVALID'
    reason = `fails the \`${claim}\` check`
  } else if (error instanceof errors.JOSEAlgNotAllowed) {
    code = 'TOKEN_ALG_NOT_ALLOWED'
    reason = 'uses an algorithm that is not allowed'
  } else if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    code = 'TOKEN_KEY_UNKNOWN'
    reason = 'is signed by no trusted key'
  } else if (error instanceof errors.JWSSignatureVerificationFailed) {
    reason = 'has a signature that does not verify'
  } else if (error instanceof errors.JOSENotSupported) {
    code = 'TOKEN_ALG_NOT_ALLOWED'
    reason = 'uses an unsupported algorithm or key'
  } else if (
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JOSEError
  ) {
    reason = 'is malformed'
  } else if (error instanceof TypeError) {
    reason = 'is malformed'
  } else {
    return new WardenError('INTERNAL', `${what} could not be verified`, { cause: error })
  }
  return new WardenError(code, `${what} ${reason}`, { cause: error })
}
