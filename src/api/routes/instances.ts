import { Hono } from 'hono'
import type { Warden } from '../../compose.js'
import { requireOperator } from '../access.js'
import { quarantineBody } from '../contract.js'
import { readBody } from '../request.js'

/** Attested instances: list, show, quarantine. */
export function instanceRoutes(warden: Warden): Hono {
  const { instances } = warden.identity
  const app = new Hono()

  app.get('/instances', async (c) => {
    const agent = c.req.query('agent')
    return c.json({ instances: await instances.list(agent ? { agent } : {}) })
  })
  app.get('/instances/:id', async (c) => c.json(await instances.require(c.req.param('id'))))
  app.post('/instances/:id/quarantine', async (c) => {
    const { reason } = await readBody(c, quarantineBody)
    return c.json(await instances.quarantine(c.req.param('id'), reason, requireOperator(c).name))
  })
  return app
}
