import type { OperatorRole } from '../config/index.js'

/**
 * Who may call a route:
 * - `public`: anyone (probes, key discovery, the OpenAPI document, the console's sign-in and assets);
 * - `credential`: an instance or task holder proving possession of its key (DPoP); the route authenticates it;
 * - `roles`: an operator holding one of these roles; with `owners`, also an owner (the route then shows and acts
 *   on the owner's own agents only); with `holders`, also the holder of the task's token (the route checks it).
 */
export type RouteAccess =
  | 'public'
  | 'credential'
  | { readonly roles: readonly OperatorRole[]; readonly owners?: true; readonly holders?: true }

/** Read-only: every role. */
const VIEW: readonly OperatorRole[] = ['viewer', 'approver', 'policy', 'admin']
/** Answering held calls. */
const APPROVE: readonly OperatorRole[] = ['approver', 'admin']
/** Changing what is decided: the policy set and the tool catalog's approvals. */
const POLICY: readonly OperatorRole[] = ['policy', 'admin']
/** Everything else that changes state: agents, instances, keys, secrets, operators. */
const ADMIN: readonly OperatorRole[] = ['admin']

/**
 * Every route of the API and the console, by `METHOD path` as registered, and who may call it — the one place a
 * route's access is decided (docs/decisions/015). A route missing here is refused to all but `admin`
 * (`test/api/route-access.test.ts` fails on one), and `GET` is only ever given to `viewer` and above.
 */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  // anyone
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  'GET /.well-known/jwks.json': 'public',
  'GET /.well-known/oauth-authorization-server': 'public',
  'GET /.well-known/spiffe-bundle': 'public',
  'GET /.well-known/oauth-protected-resource/mcp/:name': 'public',

  // instances and task holders (DPoP)
  'POST /v1/attest': 'credential',
  'POST /v1/svid/renew': 'credential',
  'POST /v1/tasks': 'credential',
  'POST /v1/tasks/:id/token': 'credential',
  'POST /v1/tasks/:id/leases': 'credential',
  'POST /v1/token': 'credential',
  'POST /v1/authorize': 'credential',
  'POST /v1/results': 'credential',
  'ALL /mcp/:name': 'credential',

  // the registry
  'GET /v1/agents': { roles: VIEW },
  'GET /v1/agents/:name': { roles: VIEW },
  'POST /v1/agents': { roles: ADMIN },
  'PATCH /v1/agents/:name': { roles: ADMIN },
  'DELETE /v1/agents/:name': { roles: ADMIN },
  'POST /v1/agents/disable': { roles: ADMIN },
  'POST /v1/agents/:name/disable': { roles: ADMIN },
  'POST /v1/agents/:name/enable': { roles: ADMIN },
  'POST /v1/agents/:name/join-tokens': { roles: ADMIN },
  'GET /v1/instances': { roles: VIEW },
  'GET /v1/instances/:id': { roles: VIEW },
  'POST /v1/instances/:id/quarantine': { roles: ADMIN },
  'GET /v1/keys': { roles: ADMIN },
  'POST /v1/keys/prepare': { roles: ADMIN },
  'POST /v1/keys/activate': { roles: ADMIN },
  'POST /v1/keys/rotate': { roles: ADMIN },
  'POST /v1/keys/:kid/taint': { roles: ADMIN },
  'POST /v1/keys/:kid/revoke': { roles: ADMIN },
  'PUT /v1/secrets/:name': { roles: ADMIN },

  // tasks and the chain
  'GET /v1/tasks': { roles: VIEW },
  'GET /v1/tasks/:id': { roles: VIEW },
  'POST /v1/tasks/:id/close': { roles: ADMIN, holders: true },
  'GET /v1/events': { roles: VIEW },
  'GET /v1/tasks/:id/chain': { roles: VIEW },

  // policy and the tool catalog
  'GET /v1/policies': { roles: VIEW },
  'POST /v1/policies/reload': { roles: POLICY },
  'POST /v1/policies/eval': { roles: POLICY },
  'GET /v1/tools': { roles: VIEW },
  'PUT /v1/servers/:server/tools': { roles: ADMIN },
  'POST /v1/servers/:server/tools/:name/approve': { roles: POLICY },
  'PUT /v1/servers/:server/tools/:name/sensitivity': { roles: POLICY },

  // humans in the loop
  'GET /v1/approvals': { roles: VIEW, owners: true },
  'GET /v1/approvals/:id': { roles: VIEW, owners: true },
  'POST /v1/approvals/:id/approve': { roles: APPROVE, owners: true },
  'POST /v1/approvals/:id/deny': { roles: APPROVE, owners: true },
  'GET /v1/owners': { roles: VIEW },
  'POST /v1/owners/:owner/tokens': { roles: ADMIN },
  'POST /v1/owners/:owner/webhook-secret': { roles: ADMIN },
  'GET /v1/reports/privileges': { roles: VIEW, owners: true },
  'GET /v1/reports/compliance': { roles: VIEW, owners: true },

  // operators
  'GET /v1/operators': { roles: ADMIN },
  'POST /v1/operators': { roles: ADMIN },
  'POST /v1/operators/:name/revoke': { roles: ADMIN },
  'GET /v1/operators/me': { roles: VIEW },

  // the console (its own sessions; the same roles)
  'GET /console/assets/console.css': 'public',
  'GET /console/assets/console.js': 'public',
  'GET /console/sign-in': 'public',
  'POST /console/sign-in': 'public',
  'POST /console/sign-out': { roles: VIEW, owners: true },
  'GET /console': { roles: VIEW, owners: true },
  'GET /console/stream': { roles: VIEW, owners: true },
  'GET /console/tasks/:id': { roles: VIEW, owners: true },
  'POST /console/tasks/:id/close': { roles: ADMIN, owners: true },
  'GET /console/agents': { roles: VIEW, owners: true },
  'POST /console/agents/:name/disable': { roles: ADMIN, owners: true },
  'POST /console/agents/:name/enable': { roles: ADMIN, owners: true },
  'POST /console/instances/:id/quarantine': { roles: ADMIN, owners: true },
  'GET /console/approvals': { roles: VIEW, owners: true },
  'POST /console/approvals/:id/approve': { roles: APPROVE, owners: true },
  'POST /console/approvals/:id/deny': { roles: APPROVE, owners: true },
  'GET /console/tools': { roles: VIEW, owners: true },
  'POST /console/tools/:server/:name/approve': { roles: POLICY },
  'GET /console/graph': { roles: VIEW, owners: true },
}

/** What a route without an entry gets: the admin alone (fail closed). */
const UNLISTED: RouteAccess = { roles: ADMIN }

/** The access rule of a route, by its method and path as registered (`GET /v1/agents/:name`). */
export function accessOf(method: string, path: string): RouteAccess {
  return ROUTE_ACCESS[`${method} ${path}`] ?? UNLISTED
}

/** True when an operator holding `roles` may call a route with this access. */
export function admitsRoles(access: RouteAccess, roles: readonly OperatorRole[]): boolean {
  if (access === 'public') return true
  if (access === 'credential') return false
  return roles.some((role) => access.roles.includes(role))
}
