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
