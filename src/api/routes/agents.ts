import { Hono } from 'hono'
import type { Warden } from '../../compose.js'
import { registerAgentBody } from '../contract.js'
import { readBody, requireAdmin } from '../request.js'

/** The agent registry: register, list, show, disable, enable, and mint join tokens (admin). */
export function agentRoutes(warden: Warden): Hono {
  const { agents, joinTokens } = warden.identity
  const app = new Hono()
  app.use('/agents', requireAdmin(warden.admin))
  app.use('/agents/*', requireAdmin(warden.admin))

  app.post('/agents', async (c) => c.json(await agents.register(await readBody(c, registerAgentBody)), 201))
  app.get('/agents', async (c) => c.json({ agents: await agents.list() }))
  app.get('/agents/:name', async (c) => c.json(await agents.require(c.req.param('name'))))
  app.post('/agents/:name/disable', async (c) =>
    c.json(await agents.setStatus(c.req.param('name'), 'disabled')),
  )
  app.post('/agents/:name/enable', async (c) => c.json(await agents.setStatus(c.req.param('name'), 'active')))
  app.post('/agents/:name/join-tokens', async (c) => {
    const agent = await agents.require(c.req.param('name'))
    const { token, expiresAt } = await joinTokens.create(agent.name)
    c.header('cache-control', 'no-store')
    return c.json({ token, expiresAt: new Date(expiresAt).toISOString() }, 201)
  })
  return app
}
