import type { MiddlewareHandler } from 'hono'

/**
 * Headers every response carries. `nosniff`: a JSON body (which may echo client input) is never sniffed into
 * HTML or script. No framing: Warden serves nothing meant to be embedded (clickjacking). `no-store` unless a
 * route says otherwise (the JWKS): credentials (SVIDs, task tokens, join tokens, leases) and what admins read
 * must not sit in a cache (RFC 6749 §5.1, RFC 9700 §4.15).
 */
export function responseHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next()
    const headers = c.res.headers
    try {
      headers.set('x-content-type-options', 'nosniff')
      headers.set('x-frame-options', 'DENY')
      // The console's pages set a policy of their own (their script and stylesheet); everything else loads nothing.
      if (!headers.has('content-security-policy'))
        headers.set('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
      if (!headers.has('referrer-policy')) headers.set('referrer-policy', 'no-referrer')
      if (!headers.has('cache-control')) headers.set('cache-control', 'no-store')
    } catch {
      // A response with immutable headers (relayed as it came) keeps them.
    }
  }
}
