import type { IncomingMessage } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import { decodeJwt } from 'jose'
import type { Config } from '../config/index.js'
import { type Clock, WardenError } from '../kernel/index.js'

/** `server.rateLimits`: token buckets, `burst` deep, refilled at `perSecond`. */
export type RateLimits = Config['server']['rateLimits']

/** Buckets kept at most; the least recently used goes first (memory stays bounded whatever keys arrive). */
const MAX_KEYS = 10_000

/** Token buckets by key, bounded in number. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly clock: Clock,
    private readonly limit: { burst: number; perSecond: number },
  ) {}

  private current(key: string): { tokens: number; at: number } {
    const now = this.clock.now()
    const bucket = this.buckets.get(key)
    const tokens = bucket
      ? Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond)
      : this.limit.burst
    return { tokens, at: now }
  }

  /** Seconds until `key` has a token again; 0 when it has one now. */
  retryAfter(key: string): number {
    const { tokens } = this.current(key)
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.limit.perSecond))
  }

  /** Spends one of `key`'s tokens (the bucket may go empty, never below zero). */
  take(key: string): void {
    const bucket = this.current(key)
    this.buckets.delete(key)
    this.buckets.set(key, { tokens: Math.max(0, bucket.tokens - 1), at: bucket.at })
    if (this.buckets.size > MAX_KEYS) {
      const oldest = this.buckets.keys().next().value
      if (oldest !== undefined) this.buckets.delete(oldest)
    }
  }
}

/** The peer's address as the socket has it (never `X-Forwarded-For`, which the client writes). */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: IncomingMessage; server?: { incoming?: IncomingMessage } } | undefined
  return (env?.server?.incoming ?? env?.incoming)?.socket?.remoteAddress ?? 'local'
}

/** The `sub` a credential claims, unverified: only ever a bucket's name, charged once the request succeeded. */
async function claimedPrincipal(c: Context): Promise<string | undefined> {
  let token = /^(?:DPoP|Bearer)\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
  if (!token && c.req.path.endsWith('/token') && c.req.method === 'POST') {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
    token = typeof form.actor_token === 'string' ? form.actor_token : undefined
  }
  if (!token) return undefined
  try {
    const sub = decodeJwt(token).sub
    return typeof sub === 'string' ? sub : undefined
  } catch {
    return undefined
  }
}

/**
 * Rate limits on the routes that issue credentials (attestation, renewal, task tokens, token exchange): failed
 * requests are charged to the peer's address, issued credentials to the principal that asked. An empty bucket
 * answers 429 `RATE_LIMITED` with `Retry-After`, before any verification or store work. Credential guessing and
 * state exhaustion (one instance or task per request) are bounded; a peer that fails stops being served for a
 * while, other peers are not.
 */
export function limitCredentials(clock: Clock, limits: RateLimits): MiddlewareHandler {
  const failures = new TokenBuckets(clock, limits.failures)
  const issued = new TokenBuckets(clock, limits.issued)
  return async (c, next) => {
    if (c.req.method !== 'POST') return next()
    const peer = `ip:${clientAddress(c)}`
    const principal = await claimedPrincipal(c)
    const wait = Math.max(failures.retryAfter(peer), principal ? issued.retryAfter(`sub:${principal}`) : 0)
    if (wait > 0) {
      c.header('retry-after', String(wait))
      throw new WardenError('RATE_LIMITED', `too many credential requests: retry in ${wait} s`)
    }
    await next()
    const status = c.res.status
    if (status >= 400 && status < 500) failures.take(peer)
    else if (status < 300 && principal) issued.take(`sub:${principal}`)
  }
}
