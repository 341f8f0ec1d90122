import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { WardenError } from '../kernel/index.js'
import type { Operator, Operators } from './operators.js'
import { accessOf, admitsRoles, ROUTE_ACCESS } from './route-access.js'

declare module 'hono' {
  interface ContextVariableMap {
    /** The operator the request signed in as (set by `enforceAccess`). */
    operator: Operator
  }
}

/**
 * The route a request was routed to, as registered (`GET /v1/agents/:name`), or undefined when it reached no
 * handler. Hono lists every route it matched, middleware included, in registration order; the handler is the
 * last that is not middleware — not a wildcard (`*`), not an `ALL` registration the table does not list (the
 * credential rate limits).
 */
export function routeOf(c: Context): { method: string; path: string } | undefined {
  const route = matchedRoutes(c).findLast(
    (candidate) =>
      !candidate.path.includes('*') &&
      (candidate.method !== 'ALL' || `ALL ${candidate.path}` in ROUTE_ACCESS),
  )
  return route && { method: route.method, path: route.path }
}

/** The bearer token of a request, if any. */
function bearer(c: Context): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
}

/**
 * The one place the API decides who may call a route: the route table (`ROUTE_ACCESS`) names the roles, and
 * this middleware admits an operator holding one of them; owners and task holders pass through to routes that
 * take them (the route scopes them). A route missing from the table is the admin's alone. Without an operator
 * credential, an unknown path is a 401 like every admin route, so a probe learns nothing of which routes exist.
 * The console enforces the same table on its sessions.
 */
export function enforceAccess(operators: Operators): MiddlewareHandler {
  return async (c, next) => {
    const route = routeOf(c)
    if (route && (route.path === '/console' || route.path.startsWith('/console/'))) return next()
    const access = route ? accessOf(route.method, route.path) : undefined
    if (access === 'public' || access === 'credential') return next()
    const token = bearer(c)
    const operator = token === undefined ? undefined : await operators.authenticate(token)
    if (operator) {
      if (route && access && !admitsRoles(access, operator.roles))
        throw new WardenError(
          'FORBIDDEN',
          `role \`${operator.roles.join(', ')}\` may not call \`${route.method} ${route.path}\``,
        )
      c.set('operator', operator)
      // No route: the app's "not found" answers, now that the caller is known.
      return next()
    }
    if (access?.owners && token?.startsWith('wot_')) return next()
    if (access?.holders && /^(DPoP|Bearer)\s+\S+$/i.test(c.req.header('authorization') ?? '')) return next()
    throw new WardenError(
      'UNAUTHENTICATED',
      access?.roles.includes('viewer') ? 'an operator token is required' : 'a valid admin token is required',
    )
  }
}

/** The operator the request signed in as, if it did (an owner or a task holder did not). */
export function operatorOf(c: Context): Operator | undefined {
  return c.get('operator') as Operator | undefined
}

/** The operator the request signed in as; a route the table gives to operators only can count on one. */
export function requireOperator(c: Context): Operator {
  const operator = operatorOf(c)
  if (!operator) throw new WardenError('UNAUTHENTICATED', 'an operator token is required')
  return operator
}
