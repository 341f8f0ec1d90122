/** JSON-RPC error codes the gateway answers with (server-defined range, JSON-RPC 2.0 §5.1). */
export const RPC = {
  DENIED: -32003,
  ESCALATED: -32004,
  UPSTREAM: -32002,
  /** A server-to-client request the gateway cannot route to exactly one client (a shared upstream connection). */
  UNROUTABLE: -32005,
  /** A rate limit or quota is used up; `data.retryAfterSeconds` says when to retry. */
  RATE_LIMITED: -32006,
  INTERNAL: -32603,
} as const
