import type { MiddlewareHandler } from 'hono'
import type { Config } from '../config/index.js'
import { WardenError } from '../kernel/index.js'

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]']
const WILDCARD = ['0.0.0.0', '::', '[::]']

/**
 * DNS-rebinding and cross-site protection (MCP security best practices): the `Host` must name this server,
 * and a browser `Origin`, when sent, must be one we serve or one explicitly allowed.
 */
export function checkHost(server: Config['server']): MiddlewareHandler {
  const hosts = new Set([...LOOPBACK, ...server.allowedHosts.map((h) => h.toLowerCase())])
  if (!WILDCARD.includes(server.host)) hosts.add(server.host.includes(':') ? `[${server.host}]` : server.host)
  if (server.publicUrl) hosts.add(new URL(server.publicUrl).hostname)
  const origins = new Set(server.allowedOrigins)
  return async (c, next) => {
    const hostname = new URL(c.req.url).hostname.toLowerCase()
    if (!hosts.has(hostname)) throw new WardenError('HOST_NOT_ALLOWED', `host \`${hostname}\` is not allowed`)
    const origin = c.req.header('origin')
    if (origin !== undefined && !origins.has(origin)) {
      let originHost: string
      try {
        originHost = new URL(origin).hostname.toLowerCase()
      } catch {
        throw new WardenError('HOST_NOT_ALLOWED', 'the `Origin` header is malformed')
      }
      if (!hosts.has(originHost))
        throw new WardenError('HOST_NOT_ALLOWED', `origin \`${origin}\` is not allowed`)
    }
    await next()
  }
}
