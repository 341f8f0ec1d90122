import type { MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import type { Warden } from '../compose.js'
import { acceptRequestId } from '../operations/index.js'

declare module 'hono' {
  interface ContextVariableMap {
    /** This request's `X-Request-Id`, for the routes that record it (set by `accessLog`). */
    requestId: string
  }
}

/**
 * Per-request ids and the access log: `X-Request-Id` (the client's when well formed, else a new one) is echoed on
 * the response, written on the log line, and set on the context (`c.get('requestId')`) for the routes that hand it
 * to the pipeline, which records it with the call it carried.
 * Each request also counts in `warden_http_requests_total`, and gateway requests in the gateway latency histogram.
 */
export function accessLog(warden: Warden): MiddlewareHandler {
  const { logger, ids } = warden
  const { metrics } = warden.operations
  return async (c, next) => {
    const requestId = acceptRequestId(c.req.header('x-request-id'), () => ids.id())
    const started = process.hrtime.bigint()
    c.set('requestId', requestId)
    await next()
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    try {
      c.res.headers.set('x-request-id', requestId)
    } catch {
      // A response with immutable headers (a fetched one): copy it to add ours.
      c.res = new Response(c.res.body, c.res)
      c.res.headers.set('x-request-id', requestId)
    }
    const status = String(c.res.status)
    // The registered pattern (`/v1/tasks/:id`), never the raw path: bounded label values, no ids in metrics.
    const route =
      matchedRoutes(c)
        .filter((r) => r.path !== '*' && r.path !== '/*')
        .at(-1)?.path ?? 'unmatched'
    metrics.httpRequests.inc({ route, status })
    const upstream = /^\/mcp\/([^/]+)/.exec(c.req.path)?.[1]
    if (upstream && warden.gateway.upstreams.has(upstream))
      metrics.gatewaySeconds.observe({ upstream, status }, seconds)
    logger.info('request', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      route,
      status: c.res.status,
      ms: Math.round(seconds * 1e5) / 100,
    })
  }
}
