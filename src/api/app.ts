import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import type { Warden } from '../compose.js'
import { isWardenError, VERSION, WardenError } from '../kernel/index.js'
import { consoleRoutes } from '../web/index.js'
import { enforceAccess, operatorOf } from './access.js'
import { accessLog } from './access-log.js'
import type { ErrorBody } from './contract.js'
import { HTTP_STATUS } from './errors.js'
import { checkHost } from './host-check.js'
import { limitJson } from './json-limits.js'
import { authChallenge } from './oauth-error.js'
import { openApiDocument } from './openapi.js'
import { OwnerCredentials } from './owner-credential.js'
import { limitCredentials } from './rate-limit.js'
import { responseHeaders } from './response-headers.js'
import { accessOf, admitsRoles } from './route-access.js'
import { agentRoutes } from './routes/agents.js'
import { approvalRoutes } from './routes/approvals.js'
import { attestRoutes } from './routes/attest.js'
import { chainRoutes } from './routes/chain.js'
import { decisionRoutes } from './routes/decisions.js'
import { instanceRoutes } from './routes/instances.js'
import { keyRoutes } from './routes/keys.js'
import { mcpRoutes } from './routes/mcp.js'
import { operatorRoutes } from './routes/operators.js'
import { policyEvalRoutes } from './routes/policy-eval.js'
import { probeRoutes } from './routes/probes.js'
import { reportRoutes } from './routes/reports.js'
import { taskRoutes } from './routes/tasks.js'
import { wellKnownRoutes } from './routes/well-known.js'

/** Builds Warden's HTTP API over a composed Warden. */
export function createApp(warden: Warden): Hono {
  const app = new Hono()
  const { server } = warden.config

  app.use('*', accessLog(warden))
  app.use('*', responseHeaders())
  // Probes ahead of the Host check: a kubelet or a scraper names the pod by its IP (issue #20).
  app.route('/', probeRoutes(warden))
  app.use('*', checkHost(server))
  if (server.allowedOrigins.length > 0)
    app.use(
      '*',
      cors({
        origin: server.allowedOrigins,
        allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
        allowHeaders: [
          'authorization',
          'content-type',
          'dpop',
          'mcp-session-id',
          'mcp-protocol-version',
          'last-event-id',
          'x-request-id',
        ],
        exposeHeaders: ['mcp-session-id', 'www-authenticate', 'x-request-id'],
        maxAge: 600,
      }),
    )
  // The gateway reads `/mcp/NAME` bodies once, itself (`readRawBody`), applying the same limits (the size here,
  // the structure with its own JSON-RPC errors).
  const readsOwn = (path: string) => path.startsWith('/mcp/')
  const limitBody = bodyLimit({
    maxSize: server.bodyLimitBytes,
    onError: () => {
      throw new WardenError('PAYLOAD_TOO_LARGE', `the request body exceeds ${server.bodyLimitBytes} bytes`)
    },
  })
  app.use('*', (c, next) => (readsOwn(c.req.path) ? next() : limitBody(c, next)))
  app.use('*', limitJson(server.jsonLimits, readsOwn))
  const credentials = limitCredentials(warden.clock, server.rateLimits)
  for (const path of [
    '/v1/attest',
    '/v1/svid/renew',
    '/v1/tasks',
    '/v1/tasks/:id/token',
    '/v1/tasks/:id/leases',
    '/v1/token',
  ])
    app.use(path, credentials)
  // Who may call what: one table (route-access.ts), enforced here for every route registered below.
  app.use('*', enforceAccess(warden.operators))

  app.route('/', wellKnownRoutes(warden))
  app.route('/v1', agentRoutes(warden))
  app.route('/v1', attestRoutes(warden))
  app.route('/v1', instanceRoutes(warden))
  app.route('/v1', keyRoutes(warden))
  app.route('/v1', chainRoutes(warden))
  app.route('/v1', taskRoutes(warden))
  app.route('/v1', policyEvalRoutes(warden))
  app.route('/v1', decisionRoutes(warden))
  app.route('/v1', approvalRoutes(warden))
  app.route('/v1', reportRoutes(warden))
  app.route('/v1', operatorRoutes(warden))
  app.route('/', mcpRoutes(warden))
  const owners = new OwnerCredentials(warden.store, warden.ids, () => warden.clock.now())
  app.route(
    '/console',
    consoleRoutes(warden, {
      signIn: async (token) => {
        const operator = await warden.operators.authenticate(token)
        if (operator) return { kind: 'operator', ...operator }
        const owner = await owners.ownerOfToken(token)
        return owner === undefined ? undefined : { kind: 'owner', owner }
      },
      // Owner tokens are not revocable today; an operator's credential is read again on every request.
      stands: async (viewer) => viewer.kind === 'owner' || warden.operators.isActive(viewer),
      may: (viewer, method, path) => {
        const access = accessOf(method, path)
        if (access === 'public') return true
        if (access === 'credential') return false
        return viewer.kind === 'owner' ? access.owners === true : admitsRoles(access, viewer.roles)
      },
      statusOf: (code) => HTTP_STATUS[code],
    }),
  )

  let openapi: Record<string, unknown> | undefined
  app.get('/openapi.json', (c) => {
    openapi ??= openApiDocument(app.routes, VERSION)
    return c.json(openapi)
  })

  // Without an operator token, an unknown route is a 401 like every admin route: path variants (`//v1/agents`,
  // `/V1/agents`, `/v1/agents;x`) and probing learn nothing of which routes exist.
  app.notFound((c) =>
    operatorOf(c)
      ? c.json<ErrorBody>({ code: 'NOT_FOUND', message: `no route \`${c.req.method} ${c.req.path}\`` }, 404)
      : c.json<ErrorBody>({ code: 'UNAUTHENTICATED', message: 'a valid admin token is required' }, 401),
  )
  app.onError((error, c) => {
    if (isWardenError(error)) {
      const body: ErrorBody = { code: error.code, message: error.message }
      if (error.details) body.details = error.details
      // A store that cannot be written, or a rate limit: the client may try again (RFC 9110 §10.2.3).
      if (error.code === 'STORE_UNAVAILABLE') c.header('retry-after', '1')
      if (HTTP_STATUS[error.code] >= 500)
        warden.logger.error('request failed', { code: error.code, path: c.req.path })
      // RFC 6750 §3 / RFC 9449 §7.1: every 401 names its scheme and error.
      if (HTTP_STATUS[error.code] === 401 && !c.res.headers.has('www-authenticate'))
        c.header('www-authenticate', authChallenge(error.code))
      // RFC 9110 §10.2.3: when a limited call may be tried again.
      const retryAfter = error.details?.retryAfterSeconds
      if (typeof retryAfter === 'number') c.header('Retry-After', String(retryAfter))
      return c.json(body, HTTP_STATUS[error.code])
    }
    warden.logger.error('unexpected error', { path: c.req.path, error: String(error), stack: error.stack })
    return c.json<ErrorBody>({ code: 'INTERNAL', message: 'internal error' }, 500)
  })
  return app
}
