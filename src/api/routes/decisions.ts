import { Hono } from 'hono'
import type { ToolDefinition } from '../../catalog/index.js'
import type { Warden } from '../../compose.js'
import type { Decision, ToolRequest } from '../../enforcement/index.js'
import { formatProblem } from '../../policy/index.js'
import { requireOperator } from '../access.js'
import { authorizeBody, resultBody, sensitivityBody, syncToolsBody } from '../contract.js'
import { presentedToken, readBody } from '../request.js'

/** The decision as the caller sees it. */
export function decisionBody(decision: Decision) {
  return {
    decisionId: decision.decisionId,
    effect: decision.effect,
    reasons: decision.reasons,
    signals: decision.signals,
    errors: decision.errors,
    policyVersion: decision.policyVersion,
    task: decision.task,
    /** Report the call's output under this id (`POST /v1/results`), so later decisions see where values came from. */
    call: decision.call,
    /** A tool call's arguments as decided (path arguments canonical): forward these, not the ones sent. */
    ...(decision.args ? { args: decision.args } : {}),
    /** For `escalate`: the approval request; once a human approves it, the identical call is allowed once. */
    ...(decision.approval ? { approval: decision.approval } : {}),
  }
}

/** The HTTP decision API, the policy set's state, and the tool catalog. */
export function decisionRoutes(warden: Warden): Hono {
  const app = new Hono()
  const publicUrl = warden.config.server.publicUrl

  app.post('/authorize', async (c) => {
    const body = await readBody(c, authorizeBody)
    const { token, context } = presentedToken(c, publicUrl)
    const decision = await warden.pipeline.authorize(token, context, body as ToolRequest, {
      requestId: c.get('requestId'),
    })
    return c.json(decisionBody(decision))
  })

  app.post('/results', async (c) => {
    const { call, output, error } = await readBody(c, resultBody)
    const { token, context } = presentedToken(c, publicUrl)
    const caller = await warden.tasks.lifecycle.authenticate(token, context)
    await warden.pipeline.observeResult(caller, call, output, error)
    return c.body(null, 204)
  })

  app.get('/policies', (c) =>
    c.json({
      dir: warden.policy.dir,
      version: warden.policy.engine.version,
      problems: warden.policy.engine.problems.map(formatProblem),
    }),
  )
  app.post('/policies/reload', async (c) => {
    const result = await warden.policy.reload()
    await warden.chain.append({
      kind: 'policy.reload',
      body: {
        operator: requireOperator(c).name,
        ok: result.ok,
        version: result.ok ? result.version : warden.policy.engine.version,
      },
    })
    return c.json(
      result.ok
        ? { ok: true, version: result.version, policies: result.policies, untyped: result.untyped }
        : { ok: false, serving: warden.policy.engine.version, problems: result.problems.map(formatProblem) },
      result.ok ? 200 : 400,
    )
  })

  app.get('/tools', async (c) => c.json({ tools: await warden.catalog.list(c.req.query('server')) }))
  app.put('/servers/:server/tools', async (c) => {
    const { tools, sensitivity } = await readBody(c, syncToolsBody)
    return c.json(await warden.catalog.sync(c.req.param('server'), tools as ToolDefinition[], sensitivity))
  })
  app.post('/servers/:server/tools/:name/approve', async (c) =>
    c.json(await warden.catalog.approve(c.req.param('server'), c.req.param('name'), requireOperator(c).name)),
  )
  app.put('/servers/:server/tools/:name/sensitivity', async (c) => {
    const { sensitivity } = await readBody(c, sensitivityBody)
    return c.json(
      await warden.catalog.setSensitivity(c.req.param('server'), c.req.param('name'), sensitivity),
    )
  })
  return app
}
