import { type Context, Hono } from 'hono'
import type { Warden } from '../../compose.js'
import { WardenError } from '../../kernel/index.js'
import { answerBody, webhookSecretBody } from '../contract.js'
import { OwnerCredentials } from '../owner-credential.js'
import { isAdmin, readBody, requireAdmin } from '../request.js'

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'used'] as const

/**
 * Who answered, as the approval and the chain name them. The one place the answering person is derived from
 * the request's credential: named operators replace `admin` here.
 */
export function answeringPerson(caller: { admin: true } | { owner: string }): string {
  return 'owner' in caller ? `owner:${caller.owner}` : 'admin'
}

/** The body of an answer, which may be absent (no reason given). */
async function answerOf(c: Context): Promise<{ reason?: string | undefined }> {
  const length = c.req.header('content-length')
  if (length === '0' || (length === undefined && !c.req.header('content-type'))) return {}
  return readBody(c, answerBody)
}

/** Approval requests and their answers (admin), and the owners' review of their agents. */
export function approvalRoutes(warden: Warden): Hono {
  const app = new Hono()
  const owners = new OwnerCredentials(warden.store, warden.ids, () => warden.clock.now())
  /** Admin, or an owner (who then sees and answers only requests about their own agents). */
  const who = async (c: Context): Promise<{ admin: true } | { owner: string }> => {
    if (isAdmin(c, warden.admin)) return { admin: true }
    const owner = await owners.ownerOf(c)
    if (!owner) throw new WardenError('UNAUTHENTICATED', 'an admin or owner token is required')
    return { owner }
  }
  app.use('/owners', requireAdmin(warden.admin))
  app.use('/owners/*', requireAdmin(warden.admin))

  app.post('/owners/:owner/tokens', async (c) => {
    const owner = c.req.param('owner')
    const agents = (await warden.identity.agents.list()).filter((agent) => agent.owner === owner)
    if (agents.length === 0) throw new WardenError('NOT_FOUND', `no agent is owned by \`${owner}\``)
    return c.json({ owner, token: await owners.mint(owner) }, 201)
  })

  // Shown once; `rotate` replaces it (deliveries are signed with the new one from then on).
  app.post('/owners/:owner/webhook-secret', async (c) => {
    const owner = c.req.param('owner')
    const { rotate } = await readBody(c, webhookSecretBody)
    if (!warden.config.owners[owner]) {
      throw new WardenError(
        'NOT_FOUND',
        `owner \`${owner}\` has no webhook configured (\`owners\` in the config)`,
      )
    }
    return c.json({ owner, secret: await warden.webhooks.secrets.reveal(owner, { rotate }) }, 201)
  })

  app.get('/approvals', async (c) => {
    const caller = await who(c)
    const status = c.req.query('status')
    if (status !== undefined && !STATUSES.includes(status as (typeof STATUSES)[number])) {
      throw new WardenError('BAD_REQUEST', `\`status\` must be one of ${STATUSES.join(', ')}`)
    }
    const approvals = await warden.approvals.list({
      status: status as (typeof STATUSES)[number] | undefined,
      owner: 'owner' in caller ? caller.owner : c.req.query('owner'),
    })
    return c.json({ approvals })
  })
  /** The approval, if the caller may see it: an owner only sees requests about their own agents. */
  const visible = async (c: Context) => {
    const caller = await who(c)
    const approval = await warden.approvals.require(c.req.param('id') as string)
    if ('owner' in caller && approval.owner !== caller.owner) {
      throw new WardenError('FORBIDDEN', 'this approval is for another owner')
    }
    return { caller, approval }
  }
  app.get('/approvals/:id', async (c) => c.json((await visible(c)).approval))
  for (const [verb, answer] of [
    ['approve', 'approved'],
    ['deny', 'denied'],
  ] as const) {
    app.post(`/approvals/:id/${verb}`, async (c) => {
      const { caller, approval } = await visible(c)
      const { reason } = await answerOf(c)
      return c.json(
        await warden.approvals.decide(approval.id, answer, answeringPerson(caller), reason ?? null),
      )
    })
  }

  app.get('/owners', async (c) => {
    const since = warden.clock.now() - 7 * 86_400_000
    const agents = await warden.identity.agents.list()
    const owners = new Map<string, unknown[]>()
    for (const agent of agents) {
      const tasks = await warden.store.all<{ status: string; n: number }>(
        `SELECT status, COUNT(*) AS n FROM tasks WHERE agent = ? AND opened_at >= ? GROUP BY status`,
        [agent.name, since],
      )
      const events = await warden.chain.query({
        agent: `spiffe://${warden.config.trustDomain}/agent/${agent.name}`,
        since,
        limit: 10_000,
      })
      const decisions = { allow: 0, deny: 0, escalate: 0 }
      const signals = new Map<string, number>()
      for (const event of events) {
        if (event.kind === 'decision') decisions[event.body.effect as keyof typeof decisions] += 1
        if (event.kind === 'signal')
          signals.set(String(event.body.kind), (signals.get(String(event.body.kind)) ?? 0) + 1)
        if (event.kind === 'decision') {
          for (const s of (event.body.signals as Array<{ kind: string }>) ?? [])
            signals.set(s.kind, (signals.get(s.kind) ?? 0) + 1)
        }
      }
      const approvals = await warden.store.all<{ status: string; n: number }>(
        `SELECT a.status, COUNT(*) AS n FROM approvals a JOIN tasks t ON t.id = a.task WHERE t.agent = ? AND a.created_at >= ? GROUP BY a.status`,
        [agent.name, since],
      )
      owners.set(agent.owner, [
        ...(owners.get(agent.owner) ?? []),
        {
          agent: agent.name,
          tier: agent.tier,
          status: agent.status,
          tasks: Object.fromEntries(tasks.map((row) => [row.status, Number(row.n)])),
          decisions,
          signals: Object.fromEntries(signals),
          approvals: Object.fromEntries(approvals.map((row) => [row.status, Number(row.n)])),
        },
      ])
    }
    return c.json({
      since: new Date(since).toISOString(),
      owners: [...owners].map(([owner, agents]) => ({ owner, agents })),
    })
  })
  return app
}
