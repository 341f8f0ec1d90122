import type { RouterRoute } from 'hono/types'
import { z } from 'zod'
import {
  answerBody,
  attestBody,
  authorizeBody,
  closeTaskBody,
  disableAllBody,
  leaseBody,
  openTaskBody,
  quarantineBody,
  registerAgentBody,
  resultBody,
  secretBody,
  sensitivityBody,
  syncToolsBody,
  updateAgentBody,
  webhookSecretBody,
} from './contract.js'
import { HTTP_STATUS } from './errors.js'

/** The request body of each route that takes one, by `METHOD path` as registered. */
const BODIES: Record<string, z.ZodType> = {
  'POST /v1/agents': registerAgentBody,
  'PATCH /v1/agents/:name': updateAgentBody,
  'POST /v1/agents/disable': disableAllBody,
  'POST /v1/attest': attestBody,
  'POST /v1/instances/:id/quarantine': quarantineBody,
  'POST /v1/tasks': openTaskBody,
  'POST /v1/tasks/:id/close': closeTaskBody,
  'POST /v1/tasks/:id/leases': leaseBody,
  'PUT /v1/secrets/:name': secretBody,
  'POST /v1/authorize': authorizeBody,
  'POST /v1/results': resultBody,
  'PUT /v1/servers/:server/tools': syncToolsBody,
  'PUT /v1/servers/:server/tools/:name/sensitivity': sensitivityBody,
  'POST /v1/approvals/:id/approve': answerBody,
  'POST /v1/approvals/:id/deny': answerBody,
  'POST /v1/owners/:owner/webhook-secret': webhookSecretBody,
}

/** Routes anyone may call; every other route needs the admin token or a credential (DPoP). */
const PUBLIC = /^\/(healthz|readyz|metrics|openapi\.json|\.well-known\/)/

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Record<string, unknown>
  return rest
}

/**
 * The OpenAPI 3.1 document of the API, generated from what is registered — the app's own route table and the zod
 * contracts that validate each body — so it cannot fall behind the code (`GET /openapi.json`).
 */
export function openApiDocument(routes: readonly RouterRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    // Middleware is registered on wildcard paths; `app.all` routes (the MCP endpoint) stand for GET, POST, DELETE.
    if (route.path.includes('*')) continue
    const methods = route.method === 'ALL' ? ['get', 'post', 'delete'] : [route.method.toLowerCase()]
    const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}')
    const parameters = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }))
    for (const method of methods) {
      paths[path] ??= {}
      const entry = paths[path]
      if (entry[method]) continue
      const body = BODIES[`${method.toUpperCase()} ${route.path}`]
      entry[method] = {
        operationId: `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(body
          ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(body) } } } }
          : {}),
        ...(PUBLIC.test(route.path) ? { security: [] } : {}),
        responses: {
          '2XX': { description: 'success' },
          default: {
            description: 'an error: `{ code, message }`; codes and statuses in docs/errors.md',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Warden',
      version,
      description: 'Runtime governance for AI agents: identity, task tokens, decisions, the activity chain.',
    },
    paths,
    security: [{ admin: [] }, { dpop: [] }],
    components: {
      securitySchemes: {
        admin: { type: 'http', scheme: 'bearer', description: 'the admin token (`WARDEN_ADMIN_TOKEN`)' },
        dpop: {
          type: 'apiKey',
          in: 'header',
          name: 'DPoP',
          description: '`Authorization: DPoP <SVID or task token>` with a DPoP proof (RFC 9449)',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', enum: Object.keys(HTTP_STATUS) },
            message: { type: 'string' },
            details: {},
          },
        },
      },
    },
  }
}
