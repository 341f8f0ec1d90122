import { Hono } from 'hono'
import type { Warden } from '../../compose.js'

/** Public key discovery: JWKS (RFC 7517) and the SPIFFE trust bundle (SPIFFE Trust Domain and Bundle §4). */
export function wellKnownRoutes(warden: Warden): Hono {
  const { keys } = warden.identity
  const app = new Hono()
  app.get('/.well-known/jwks.json', (c) => {
    c.header('cache-control', 'max-age=60')
    return c.json(keys.publicJwks())
  })
  // RFC 8414: where the token endpoint and keys are, and that access tokens are DPoP-bound (RFC 9449 §5.1).
  app.get('/.well-known/oauth-authorization-server', (c) => {
    const origin = new URL(warden.config.server.publicUrl ?? c.req.url).origin
    return c.json({
      issuer: origin,
      token_endpoint: `${origin}/v1/token`,
      jwks_uri: `${origin}/.well-known/jwks.json`,
      grant_types_supported: ['urn:ietf:params:oauth:grant-type:token-exchange'],
      token_endpoint_auth_methods_supported: ['none'],
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'],
    })
  })
  app.get('/.well-known/spiffe-bundle', (c) => {
    const jwks = keys.publicJwks()
    return c.json({
      keys: jwks.keys.map(({ use: _use, ...key }) => ({ ...key, use: 'jwt-svid' })),
      spiffe_sequence: Math.floor(warden.clock.now() / 1000),
      spiffe_refresh_hint: 60,
    })
  })
  return app
}
