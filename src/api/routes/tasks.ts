import { type Context, Hono } from 'hono'
import type { Warden } from '../../compose.js'
import { WardenError } from '../../kernel/index.js'
import type { IssuedTaskToken, Task } from '../../tasks/index.js'
import { operatorOf } from '../access.js'
import { closeTaskBody, leaseBody, openTaskBody, secretBody } from '../contract.js'
import { tokenEndpointError } from '../oauth-error.js'
import { presentedToken, readBody, requestUrl } from '../request.js'

function issuedBody(issued: IssuedTaskToken) {
  return {
    taskId: issued.taskId,
    token: issued.token,
    tokenType: 'DPoP',
    expiresAt: new Date(issued.expiresAt).toISOString(),
    scope: issued.scope,
    tier: issued.tier,
  }
}

function taskBody(task: Task) {
  return {
    ...task,
    openedAt: new Date(task.openedAt).toISOString(),
    expiresAt: new Date(task.expiresAt).toISOString(),
  }
}

/** Tasks and their credentials: open, refresh, close, delegate (RFC 8693), lease secrets. */
export function taskRoutes(warden: Warden): Hono {
  const { lifecycle, registry, staticSecrets } = warden.tasks
  const publicUrl = warden.config.server.publicUrl
  const app = new Hono()

  app.post('/tasks', async (c) => {
    const { intent } = await readBody(c, openTaskBody)
    const { token: svid, context } = presentedToken(c, publicUrl)
    c.header('cache-control', 'no-store')
    return c.json(issuedBody(await lifecycle.open(svid, context, intent)), 201)
  })

  app.get('/tasks', async (c) => {
    const status = c.req.query('status')
    if (status !== undefined && status !== 'open' && status !== 'closed') {
      throw new WardenError('BAD_REQUEST', '`status` must be `open` or `closed`')
    }
    const tasks = await registry.list({ agent: c.req.query('agent'), status })
    return c.json({ tasks: tasks.map(taskBody) })
  })

  app.get('/tasks/:id', async (c) => c.json(taskBody(await registry.require(c.req.param('id')))))

  app.post('/tasks/:id/close', async (c) => {
    const { reason } = await readBody(c, closeTaskBody)
    const id = c.req.param('id')
    const closed = operatorOf(c)
      ? await lifecycle.close(await registry.require(id), reason)
      : await (async () => {
          const { token, context } = presentedToken(c, publicUrl)
          return lifecycle.closeAsHolder(id, token, context, reason)
        })()
    return c.json({ closed: closed.map((task) => task.id) })
  })

  app.post('/tasks/:id/token', async (c) => {
    const { token, context } = presentedToken(c, publicUrl)
    const issued = await lifecycle.refresh(token, context)
    if (issued.taskId !== c.req.param('id'))
      throw new WardenError('FORBIDDEN', 'the token is for another task')
    c.header('cache-control', 'no-store')
    return c.json(issuedBody(issued), 201)
  })

  app.post('/tasks/:id/leases', async (c) => {
    const { secret } = await readBody(c, leaseBody)
    const { token, context } = presentedToken(c, publicUrl)
    const lease = await lifecycle.lease(token, context, c.req.param('id'), secret)
    c.header('cache-control', 'no-store')
    return c.json({ ...lease, expiresAt: new Date(lease.expiresAt).toISOString() }, 201)
  })

  // RFC 8693 §2.1: the request is form-encoded; errors are OAuth errors (RFC 6749 §5.2, RFC 8693 §2.2.2).
  app.post('/token', async (c) => {
    c.header('cache-control', 'no-store')
    c.header('pragma', 'no-cache')
    try {
      return await exchangeToken(c)
    } catch (error) {
      const refused = tokenEndpointError(error)
      if (!refused) throw error
      if (refused.challenge) c.header('www-authenticate', refused.challenge)
      return c.json(refused.body, refused.status)
    }
  })

  const exchangeToken = async (c: Context) => {
    let form: Record<string, string | File | (string | File)[]>
    try {
      form = await c.req.parseBody({ all: true })
    } catch (cause) {
      throw new WardenError('BAD_REQUEST', 'the token request must be application/x-www-form-urlencoded', {
        cause,
      })
    }
    const all = (name: string): string[] => {
      const value = form[name]
      return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
        (item): item is string => typeof item === 'string',
      )
    }
    const field = (name: string) => {
      const values = all(name)
      // RFC 6749 §3.1: a parameter sent twice is an invalid request (and must not be guessed at).
      if (values.length > 1) throw new WardenError('BAD_REQUEST', `\`${name}\` is given more than once`)
      return values[0]
    }
    const required = (name: string) => {
      const value = field(name)
      if (!value)
        throw new WardenError('BAD_REQUEST', `\`${name}\` is required`, { details: { param: name } })
      return value
    }
    const issued = await lifecycle.exchange(
      {
        grantType: required('grant_type'),
        subjectToken: required('subject_token'),
        subjectTokenType: required('subject_token_type'),
        actorToken: required('actor_token'),
        actorTokenType: required('actor_token_type'),
        scope: field('scope'),
        requestedTokenType: field('requested_token_type'),
        audience: all('audience'),
        resource: all('resource'),
      },
      { proof: c.req.header('dpop'), method: c.req.method, url: requestUrl(c, publicUrl) },
    )
    // RFC 8693 §2.2.1
    return c.json({
      access_token: issued.token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'DPoP',
      expires_in: Math.max(0, Math.floor((issued.expiresAt - warden.clock.now()) / 1000)),
      scope: issued.scope.join(' '),
      task_id: issued.taskId,
      tier: issued.tier,
    })
  }

  app.put('/secrets/:name', async (c) => {
    const name = c.req.param('name')
    const configured = warden.config.secrets[name]
    if (!configured) throw new WardenError('SECRET_NOT_FOUND', `no secret \`${name}\` is configured`)
    if (configured.provider !== 'static')
      throw new WardenError('BAD_REQUEST', `secret \`${name}\` is not a static secret`)
    await staticSecrets.put(name, (await readBody(c, secretBody)).value)
    return c.body(null, 204)
  })
  return app
}
