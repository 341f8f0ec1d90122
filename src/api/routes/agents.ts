import { Hono } from 'hono'
import type { Warden } from '../../compose.js'
import { requireOperator } from '../access.js'
import { disableAllBody, registerAgentBody, updateAgentBody } from '../contract.js'
import { readBody } from '../request.js'

/** The agent registry: register, list, show, disable, enable, and mint join tokens (admin). */
export function agentRoutes(warden: Warden): Hono {
  const { agents, joinTokens } = warden.identity
  const app = new Hono()

  app.post('/agents', async (c) => c.json(await agents.register(await readBody(c, registerAgentBody)), 201))
  app.get('/agents', async (c) => c.json({ agents: await agents.list() }))
  app.get('/agents/:name', async (c) => c.json(await agents.require(c.req.param('name'))))
  app.patch('/agents/:name', async (c) => {
    const patch = await readBody(c, updateAgentBody)
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined))
    return c.json(await agents.update(c.req.param('name'), defined))
  })
  app.delete('/agents/:name', async (c) => {
    await agents.remove(c.req.param('name'))
    return c.body(null, 204)
  })
  // The kill switch: every agent disabled (their instances stop verifying at once) and every open task closed
  // (tokens revoked, leases returned, delegated tasks with them).
  app.post('/agents/disable', async (c) => {
    const { reason } = await readBody(c, disableAllBody)
    const disabled: string[] = []
    for (const agent of await agents.list()) {
      if (agent.status === 'active') {
        await agents.setStatus(agent.name, 'disabled', { operator: requireOperator(c).name, reason })
        disabled.push(agent.name)
      }
    }
    const { registry, lifecycle } = warden.tasks
    const closed: string[] = []
    const open = await registry.list({ status: 'open', limit: 1_000_000 })
    for (const task of open.sort((a, b) => a.depth - b.depth)) {
      if (closed.includes(task.id)) continue
      for (const ended of await lifecycle.close(task, `kill switch: ${reason}`)) closed.push(ended.id)
    }
    warden.logger.warn('kill switch', { reason, agents: disabled.length, tasks: closed.length })
    return c.json({ disabled, closed })
  })
  app.post('/agents/:name/disable', async (c) =>
    c.json(await agents.setStatus(c.req.param('name'), 'disabled', { operator: requireOperator(c).name })),
  )
  app.post('/agents/:name/enable', async (c) =>
    c.json(await agents.setStatus(c.req.param('name'), 'active', { operator: requireOperator(c).name })),
  )
  app.post('/agents/:name/join-tokens', async (c) => {
    const agent = await agents.require(c.req.param('name'))
    const { token, expiresAt } = await joinTokens.create(agent.name)
    c.header('cache-control', 'no-store')
    return c.json({ token, expiresAt: new Date(expiresAt).toISOString() }, 201)
  })
  return app
}
