import { Hono } from 'hono'
import type { Warden } from '../../compose.js'
import { requireOperator } from '../access.js'
import { addOperatorBody } from '../contract.js'
import type { OperatorRecord } from '../operators.js'
import { readBody } from '../request.js'

function recordBody(record: OperatorRecord) {
  return {
    ...record,
    createdAt: new Date(record.createdAt).toISOString(),
    revokedAt: record.revokedAt === null ? null : new Date(record.revokedAt).toISOString(),
  }
}

/** Named operators: add (the token is shown once), list, revoke; and who the caller is signed in as. */
export function operatorRoutes(warden: Warden): Hono {
  const { operators } = warden
  const app = new Hono()

  app.get('/operators', async (c) => c.json({ operators: (await operators.list()).map(recordBody) }))
  app.post('/operators', async (c) => {
    const { name, role } = await readBody(c, addOperatorBody)
    const { operator, token } = await operators.add(name, role, requireOperator(c))
    c.header('cache-control', 'no-store')
    return c.json({ ...recordBody(operator), token }, 201)
  })
  app.post('/operators/:name/revoke', async (c) =>
    c.json(recordBody(await operators.revoke(c.req.param('name'), requireOperator(c)))),
  )
  app.get('/operators/me', (c) => {
    const { name, roles, source } = requireOperator(c)
    return c.json({ name, roles, source })
  })
  return app
}
