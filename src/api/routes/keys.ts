import { Hono } from 'hono'
import type { Warden } from '../../compose.js'

/**
 * Signing keys (admin): list, and SPIRE's forced rotation — prepare → activate → taint → revoke — for a key
 * that must go now rather than on schedule. Every step is persisted (it survives a restart) and recorded.
 */
export function keyRoutes(warden: Warden): Hono {
  const { keys } = warden.identity
  const app = new Hono()

  app.get('/keys', (c) => c.json({ keys: keys.list() }))
  app.post('/keys/prepare', async (c) => c.json(await keys.prepare(), 201))
  app.post('/keys/activate', async (c) => c.json(await keys.activate()))
  // prepare + activate at once, for an operator who does not wait for relying parties to refetch the JWKS.
  app.post('/keys/rotate', async (c) => {
    if (!keys.list().some((key) => key.state === 'prepared')) await keys.prepare()
    return c.json(await keys.activate())
  })
  app.post('/keys/:kid/taint', async (c) => c.json(await keys.taint(c.req.param('kid'))))
  app.post('/keys/:kid/revoke', async (c) => {
    await keys.revoke(c.req.param('kid'))
    return c.body(null, 204)
  })
  return app
}
