import { Hono } from 'hono'
import type { Warden } from '../../compose.js'
import { isWardenError, WardenError } from '../../kernel/index.js'
import type { ErrorBody } from '../contract.js'
import { HTTP_STATUS } from '../errors.js'
import { authChallenge } from '../oauth-error.js'
import { rawBodyOf } from '../raw-body.js'
import { requestUrl } from '../request.js'

/**
 * The gateway's downstream: Streamable HTTP at `/mcp/<upstream>`, protected by task tokens. A 401 carries
 * `WWW-Authenticate` pointing at the OAuth protected-resource metadata (RFC 9728 §5.1).
 */
export function mcpRoutes(warden: Warden): Hono {
  const app = new Hono()
  const publicUrl = warden.config.server.publicUrl
  const metadataUrl = (c: { req: { url: string } }, name: string) =>
    `${new URL(publicUrl ?? c.req.url).origin}/.well-known/oauth-protected-resource/mcp/${name}`

  app.get('/.well-known/oauth-protected-resource/mcp/:name', (c) => {
    const name = c.req.param('name')
    if (!warden.gateway.upstreams.has(name))
      throw new WardenError('UPSTREAM_NOT_FOUND', `no upstream \`${name}\``)
    const origin = new URL(publicUrl ?? c.req.url).origin
    // RFC 9728 §2
    return c.json({
      resource: `${origin}/mcp/${name}`,
      authorization_servers: [origin],
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      dpop_bound_access_tokens_required: true,
      resource_name: `Warden gateway to ${name}`,
    })
  })

  app.all('/mcp/:name', async (c) => {
    const name = c.req.param('name')
    const body = rawBodyOf(c, warden.config.server.bodyLimitBytes)
    const match = /^(DPoP|Bearer)\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')
    try {
      if (!match?.[2])
        throw new WardenError('UNAUTHENTICATED', 'a task token is required: `Authorization: DPoP <token>`')
      return await warden.gateway.handle(
        name,
        c.req.raw,
        match[2],
        {
          proof: c.req.header('dpop'),
          method: c.req.method,
          url: requestUrl(c, publicUrl),
          scheme: match[1],
        },
        body,
        c.get('requestId'),
      )
    } catch (error) {
      if (!isWardenError(error) || HTTP_STATUS[error.code] !== 401) throw error
      c.header('www-authenticate', authChallenge(error.code, `resource_metadata="${metadataUrl(c, name)}"`))
      return c.json<ErrorBody>({ code: error.code, message: error.message }, 401)
    }
  })
  return app
}
