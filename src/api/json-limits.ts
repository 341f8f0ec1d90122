import type { MiddlewareHandler } from 'hono'
import { exceedsJsonLimits, type JsonLimits, WardenError } from '../kernel/index.js'

/**
 * Refuses, with 400 before any handler parses it, a request body that is JSON (whatever its declared type:
 * `c.req.json()` does not look) and exceeds the structural limits. Runs after the size cap. Paths where
 * `appliesOwn` says the handler reads the body and applies the same limits itself (the gateway's `/mcp/NAME`,
 * with JSON-RPC errors) are passed through untouched: the body is read once, not buffered here and again there.
 */
export function limitJson(
  limits: JsonLimits,
  appliesOwn: (path: string) => boolean = () => false,
): MiddlewareHandler {
  return async (c, next) => {
    // The path first: asking for `raw.body` makes the Node adapter build a web stream around the request.
    if (appliesOwn(c.req.path)) return next()
    const raw = c.req.raw
    if (!raw.body) return next()
    const bytes = new Uint8Array(await raw.arrayBuffer())
    const problem = exceedsJsonLimits(bytes, limits)
    if (problem) throw new WardenError('BAD_REQUEST', problem)
    c.req.raw = new Request(raw, { body: bytes })
    return next()
  }
}
