/**
 * Every error Warden reports carries a stable code from this catalogue. `docs/errors.md` lists the same codes;
 * `test/errors-doc.test.ts` keeps the two equal. Adapters (HTTP, JSON-RPC, CLI) map codes to wire statuses.
 */
export const ERROR_CODES = {
  BAD_REQUEST: 'the request body or parameters are malformed or fail validation',
  PAYLOAD_TOO_LARGE: 'the request body is larger than `server.bodyLimitBytes`',
  NOT_FOUND: 'no such route or object',
  HOST_NOT_ALLOWED: 'the `Host` or `Origin` header is not allowed (DNS-rebinding protection)',
  UNAUTHENTICATED: 'the admin credential is missing or wrong',
  CONFIG_INVALID: 'a configuration value is invalid; Warden does not start',
  AGENT_EXISTS: 'an agent with that name is already registered',
  AGENT_NOT_FOUND: 'no agent with that name is registered',
  AGENT_IN_USE: 'the agent has attested instances; disable it instead (the chain keeps naming it)',
  AGENT_DISABLED: 'the agent is disabled; nothing is issued to its instances',
  INSTANCE_NOT_FOUND: 'no instance with that id',
  INSTANCE_QUARANTINED: 'the instance is quarantined; its SVIDs no longer verify and nothing is issued to it',
  KEY_IN_USE: 'the public key is already bound to another instance',
  ATTESTATION_METHOD_UNSUPPORTED: 'the attestation method is unknown or not configured',
  ATTESTATION_NO_MATCH: 'the attested identity matches no rule that maps it to an agent',
  ATTESTATION_DIGEST_MISMATCH: 'the code digest presented differs from the one registered for the agent',
  JOIN_TOKEN_INVALID: 'the join token is unknown',
  JOIN_TOKEN_USED: 'the join token was already used',
  JOIN_TOKEN_EXPIRED: 'the join token has expired',
  TOKEN_INVALID: 'the token is malformed or its signature does not verify',
  TOKEN_ALG_NOT_ALLOWED: 'the token is signed with an algorithm that is not allowed (`none`, HMAC, …)',
  TOKEN_KEY_UNKNOWN: 'no trusted key matches the token (unknown `kid`)',
  TOKEN_EXPIRED: 'the token has expired',
  TOKEN_NOT_YET_VALID: 'the token is not valid yet (`nbf` or `iat` in the future)',
  TOKEN_ISSUER_MISMATCH: 'the token comes from an issuer that is not trusted here',
  TOKEN_AUDIENCE_MISMATCH: 'the token is not meant for this audience',
  TOKEN_CLAIMS_INVALID: 'a required claim is missing or has the wrong shape',
  TOKEN_REPLAYED: 'the single-use token (an attestation JWT-SVID) was already used',
  PROOF_MISSING: 'a proof of possession (DPoP header) is required',
  PROOF_INVALID: 'the proof of possession is malformed, stale, or for another method, URL or token',
  PROOF_REPLAYED: 'the proof of possession was already used (`jti` seen before)',
  PROOF_KEY_MISMATCH: 'the proof is signed by a key other than the one the credential is bound to',
  FORBIDDEN: 'the caller may not act on this object',
  TASK_NOT_FOUND: 'no task with that id',
  TASK_CLOSED: 'the task has ended (closed, expired or revoked); its tokens and leases no longer work',
  TOOL_NOT_ENTITLED: 'the intent declares a tool the agent is not entitled to',
  CREDENTIAL_REUSE: 'a task token was presented by a key or instance other than the one it is bound to',
  SCOPE_WIDENED: 'a delegated token would hold a tool its parent (or the sub-agent) does not have',
  DELEGATION_NOT_ALLOWED: "the parent agent's registry entry does not allow delegating to that agent",
  DELEGATION_TOO_DEEP: 'the delegation chain would exceed `tasks.maxDelegationDepth`',
  DELEGATION_CYCLE: 'the delegation would bring back an instance already on its delegation path (A → B → A)',
  TARGET_INVALID: 'the token endpoint cannot issue a token for the requested `audience` or `resource`',
  UNSUPPORTED_GRANT:
    'the token endpoint only performs RFC 8693 token exchange with the documented token types',
  SECRET_NOT_FOUND: 'no secret with that name is configured',
  LEASE_NOT_ALLOWED: 'the agent may not lease that secret',
  LEASE_FAILED: 'the secret provider could not issue or revoke the lease',
  TOOL_NOT_FOUND: 'no such tool in the catalog; calls to unknown tools are denied',
  POLICY_INVALID: 'a policy set does not parse or validate; the last good set keeps serving',
  UPSTREAM_NOT_FOUND: 'no MCP upstream with that name is configured',
  UPSTREAM_UNAVAILABLE: 'the MCP upstream is down, restarting, or did not answer in time',
  SESSION_MISMATCH: 'an MCP session is bound to the task that opened it; this request presents another',
  SESSION_LIMIT: 'the instance holds as many MCP sessions as one instance may; close one or let it expire',
  APPROVAL_NOT_FOUND: 'no approval request with that id',
  APPROVAL_CLOSED: 'the approval request was already decided, used, or has expired',
  WEBHOOK_SECRET_SHOWN: "the owner's webhook secret was already shown once; rotate it to get a new one",
  SIGNING_KEY_NOT_FOUND: 'no signing key with that `kid`',
  SIGNING_KEY_STATE:
    'the signing key is not in a state that allows this step (prepare → activate → taint → revoke)',
  STORE_UNAVAILABLE: 'the store cannot be reached or written',
  RATE_LIMITED:
    'a rate limit or quota is used up (credential requests per client, or `limits` per agent, tool or task); retry after `Retry-After`',
  INTERNAL: 'an unexpected failure; details are in the server log',
} as const

/** A stable, documented error code. */
export type ErrorCode = keyof typeof ERROR_CODES

/** The one error class domain code throws; adapters map `code` to their wire format. */
export class WardenError extends Error {
  readonly code: ErrorCode
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.details = options?.details
  }
}

/** True when `value` is a WardenError, optionally with the given code. */
export function isWardenError(value: unknown, code?: ErrorCode): value is WardenError {
  return value instanceof WardenError && (code === undefined || value.code === code)
}
