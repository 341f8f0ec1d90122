import { diffLines } from 'diff'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { streamSSE } from 'hono/streaming'
import {
  ACTIVITY_KINDS,
  type ActivityEventV1,
  type ActivityKind,
  canonicalJson,
  eventHash,
  parsePublicKey,
  verifyChain,
} from '../chain/index.js'
import type { Warden } from '../compose.js'
import type { Agent } from '../identity/index.js'
import { WardenError } from '../kernel/index.js'
import { liveReportSources, privilegeDot, privilegeReport, renderSvg } from '../reports/index.js'
import type { Task } from '../tasks/index.js'
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js'
import {
  type ConsoleSession,
  ConsoleSessions,
  type ConsoleViewer,
  SESSION_TTL_MS,
} from './console-session.js'
import {
  type ActivityFilters,
  type AgentView,
  activityPage,
  activityRow,
  agentsPage,
  approvalsPage,
  graphPage,
  type Html,
  html,
  iso,
  signInPage,
  taskPage,
  timelineItem,
  toolsPage,
} from './pages.js'

/** How the console learns who a pasted token belongs to (the API owns the credentials). */
export interface ConsoleCredentials {
  isAdmin(token: string): boolean
  ownerOf(token: string): Promise<string | undefined>
  /** The HTTP status of an error code, as the API answers it. */
  statusOf(code: WardenError['code']): number
}

type Env = { Variables: { session: ConsoleSession } }

/** Records the activity page shows when it opens; newer ones stream in. */
const FEED = 200
/** How often the live feed reads the store for new records (any node's appends show up). */
const POLL_MS = 500
/** A task page verifies the chain from the task's first record to the head when that is at most this long. */
const VERIFY_SPAN = 100_000

/** Strict: the console's own script and stylesheet, nothing inline, no framing, forms post only to itself. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

/**
 * The console at `/console`: server-rendered pages over the same services the API uses, for the admin and for
 * owners (who see and act on their own agents only). Sessions are signed cookies (`HttpOnly`, `SameSite=Strict`,
 * `Secure` over TLS); every action is a POST carrying the session's CSRF token from a same-origin page.
 */
export function consoleRoutes(warden: Warden, credentials: ConsoleCredentials): Hono<Env> {
  const app = new Hono<Env>()
  const sessions = new ConsoleSessions(warden.store, warden.clock)
  const spiffePrefix = `spiffe://${warden.config.trustDomain}/agent/`
  const agentName = (spiffeId: string | null) =>
    spiffeId?.startsWith(spiffePrefix) ? (spiffeId.slice(spiffePrefix.length).split('/')[0] ?? '') : ''

  const secure = (c: Context) =>
    new URL(c.req.url).protocol === 'https:' || (warden.config.server.publicUrl ?? '').startsWith('https:')
  const cookieName = (c: Context) => (secure(c) ? '__Host-warden-console' : 'warden-console')

  app.use('*', async (c, next) => {
    await next()
    c.header('Content-Security-Policy', CSP)
    c.header('X-Frame-Options', 'DENY')
    c.header('X-Content-Type-Options', 'nosniff')
    // Not `no-referrer`: with it a browser sends `Origin: null` on the console's own form posts.
    c.header('Referrer-Policy', 'same-origin')
    c.header('Cache-Control', 'no-store')
  })

  app.get('/assets/console.css', (c) =>
    c.body(CONSOLE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' }),
  )
  app.get('/assets/console.js', (c) =>
    c.body(CONSOLE_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }),
  )

  /** A POST from another origin is refused whatever it carries (SameSite=Strict already keeps the cookie off). */
  const sameOrigin = (c: Context) => {
    const origin = c.req.header('origin')
    if (origin === undefined) return c.req.header('sec-fetch-site') !== 'cross-site'
    return (
      origin === new URL(c.req.url).origin || origin === warden.config.server.publicUrl?.replace(/\/$/, '')
    )
  }

  app.get('/sign-in', (c) => c.html(signInPage()))
  app.post('/sign-in', async (c) => {
    if (!sameOrigin(c)) throw new WardenError('FORBIDDEN', 'a sign-in from another origin is refused')
    const form = await c.req.parseBody()
    const token = typeof form.token === 'string' ? form.token.trim() : ''
    let viewer: ConsoleViewer | undefined
    if (token && credentials.isAdmin(token)) viewer = { role: 'admin' }
    else if (token) {
      const owner = await credentials.ownerOf(token)
      if (owner) viewer = { role: 'owner', owner }
    }
    if (!viewer) return c.html(signInPage('That token is not an admin or owner token.'), 401)
    const { cookie } = await sessions.open(viewer)
    setCookie(c, cookieName(c), cookie, {
      path: '/',
      httpOnly: true,
      secure: secure(c),
      sameSite: 'Strict',
      maxAge: Math.floor(SESSION_TTL_MS / 1000),
    })
    return c.redirect('/console', 303)
  })

  /** Every page below needs a session; a form post also needs its CSRF token and a same-origin page. */
  const signedIn: MiddlewareHandler<Env> = async (c, next) => {
    const session = await sessions.read(getCookie(c, cookieName(c)))
    if (!session) {
      if (c.req.method === 'GET') return c.redirect('/console/sign-in', 303)
      throw new WardenError('UNAUTHENTICATED', 'sign in to the console first')
    }
    if (c.req.method === 'POST') {
      const form = await c.req.parseBody()
      if (!sameOrigin(c) || form.csrf !== session.csrf) {
        throw new WardenError('FORBIDDEN', 'the form is not from this console session (CSRF)')
      }
    }
    c.set('session', session)
    await next()
    return undefined
  }
  app.use('*', async (c, next) => {
    const path = c.req.path
    if (path.startsWith('/console/assets/') || path === '/console/sign-in') return next()
    return signedIn(c, next)
  })

  const pageOf = (c: Context<Env>) => ({ viewer: c.get('session').viewer, csrf: c.get('session').csrf })
  const reason = async (c: Context<Env>) => {
    const form = await c.req.parseBody()
    const text = typeof form.reason === 'string' ? form.reason.trim() : ''
    return text || 'from the console'
  }
  const by = (viewer: ConsoleViewer) => (viewer.role === 'admin' ? 'admin' : `owner:${viewer.owner}`)

  /** The agents the viewer may see: all of them for the admin, their own for an owner. */
  const visibleAgents = async (viewer: ConsoleViewer): Promise<Agent[]> => {
    const agents = await warden.identity.agents.list()
    return viewer.role === 'admin' ? agents : agents.filter((agent) => agent.owner === viewer.owner)
  }
  /** The agent, if the viewer may see it; otherwise not found (an owner learns nothing of others' agents). */
  const visibleAgent = async (viewer: ConsoleViewer, name: string): Promise<Agent> => {
    const agent = await warden.identity.agents.get(name)
    if (!agent || (viewer.role === 'owner' && agent.owner !== viewer.owner))
      throw new WardenError('NOT_FOUND', `no agent \`${name}\``)
    return agent
  }
  const visibleTask = async (viewer: ConsoleViewer, id: string): Promise<Task> => {
    const task = await warden.tasks.registry.get(id)
    if (!task) throw new WardenError('NOT_FOUND', `no task \`${id}\``)
    await visibleAgent(viewer, task.agent).catch(() => {
      throw new WardenError('NOT_FOUND', `no task \`${id}\``)
    })
    return task
  }

  // ——— activity ———

  const filtersOf = (c: Context): ActivityFilters => ({
    agent: c.req.query('agent') || undefined,
    task: c.req.query('task') || undefined,
    kind: ACTIVITY_KINDS.includes(c.req.query('kind') as ActivityKind) ? c.req.query('kind') : undefined,
    effect: ['allow', 'deny', 'escalate'].includes(c.req.query('effect') ?? '')
      ? c.req.query('effect')
      : undefined,
  })
  /** Records after `after` that match the filters and that the viewer may see. */
  const feed = async (viewer: ConsoleViewer, filters: ActivityFilters, after: number, limit: number) => {
    const allowed =
      viewer.role === 'admin' ? undefined : new Set((await visibleAgents(viewer)).map((a) => a.name))
    const events = await warden.chain.query({
      ...(filters.agent ? { agent: `${spiffePrefix}${filters.agent}` } : {}),
      ...(filters.task ? { task: filters.task } : {}),
      ...(filters.kind ? { kind: filters.kind as ActivityKind } : {}),
      after,
      limit,
    })
    return events.filter(
      (event) =>
        (!allowed || allowed.has(agentName(event.agent))) &&
        (!filters.effect || (event.kind === 'decision' && event.body.effect === filters.effect)),
    )
  }
  const rowsOf = (events: ActivityEventV1[]): Html[] =>
    events
      .slice(-FEED)
      .reverse()
      .map((event) => activityRow(event, agentName))

  app.get('/', async (c) => {
    const filters = filtersOf(c)
    const { seq: head } = await warden.chain.head()
    const events = await feed(c.get('session').viewer, filters, Math.max(0, head - 5_000), 10_000)
    const params = new URLSearchParams(
      Object.entries({ ...filters, after: String(head) }).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    )
    return c.html(
      activityPage(rowsOf(events), filters, ACTIVITY_KINDS, `/console/stream?${params}`, pageOf(c)),
    )
  })

  app.get('/stream', (c) => {
    const viewer = c.get('session').viewer
    const filters = filtersOf(c)
    let after = Number(c.req.query('after') ?? 0) || 0
    return streamSSE(c, async (stream) => {
      let open = true
      stream.onAbort(() => {
        open = false
      })
      while (open) {
        const { seq: head } = await warden.chain.head()
        if (head > after) {
          const events = await feed(viewer, filters, after, 1_000)
          after = Math.min(head, after + 1_000)
          if (events.length > 0) {
            after = Math.max(after, (events[events.length - 1] as ActivityEventV1).seq)
            await stream.writeSSE({ event: 'rows', data: rowsOf(events).join('') })
          }
        }
        await stream.sleep(POLL_MS)
      }
    })
  })

  // ——— a task ———

  app.get('/tasks/:id', async (c) => {
    const viewer = c.get('session').viewer
    const task = await visibleTask(viewer, c.req.param('id'))
    const events: ActivityEventV1[] = []
    for (let after = 0; ; ) {
      const page = await warden.chain.query({ task: task.id, after, limit: 10_000 })
      events.push(...page)
      if (page.length < 10_000) break
      after = (page[page.length - 1] as ActivityEventV1).seq
    }
    const all = await warden.tasks.registry.list({})
    const below = all.filter((t) => t.path.startsWith(`${task.path}/`))
    const tree = (parent: Task): Html => {
      const children = below.filter((t) => t.parent === parent.id)
      if (children.length === 0) return html``
      return html`<ul class="tree">${children.map(
        (child) =>
          html`<li><a href="/console/tasks/${child.id}">${child.id}</a> — ${child.agent}, ${child.scope.join(', ')} <span class="status-${child.status}">${child.status}</span>${tree(child)}</li>`,
      )}</ul>`
    }
    const treeHtml = below.length === 0 ? html`<p>No task was delegated from this one.</p>` : tree(task)
    return c.html(
      taskPage(
        task,
        treeHtml,
        html`<ol class="timeline">${events.map(timelineItem)}</ol>`,
        await verification(events),
        pageOf(c),
      ),
    )
  })

  /**
   * What the page can vouch for: each of the task's records hashes to its stored hash, and the chain verifies
   * (links, order, signed checkpoints) from the task's first record to the head.
   */
  const verification = async (events: ActivityEventV1[]): Promise<Html> => {
    const edited = events.find(
      (event) =>
        eventHash({ ...event, body: canonicalJson(event.body), redacted: canonicalJson(event.redacted) }) !==
        event.hash,
    )
    if (edited)
      return html`<p class="tampered" role="alert">Record #${edited.seq} does not match its hash: the chain was edited.</p>`
    const first = events[0]
    if (!first) return html`<p>No records yet.</p>`
    const { seq: head } = await warden.chain.head()
    const checkpoints = await warden.chain.checkpoints()
    const newest = checkpoints[checkpoints.length - 1]
    const signed = newest
      ? html` The newest signed checkpoint covers records up to #${newest.seq} (${iso(newest.ts)}).`
      : html` No checkpoint is signed yet.`
    if (head - first.seq > VERIFY_SPAN) {
      return html`<p>${events.length} records, each matching its hash.${signed} Run <code>warden chain verify</code> for the whole chain.</p>`
    }
    const verdict = await verifyChain(warden.chain, parsePublicKey(warden.chain.publicKeyPem), {
      from: first.seq,
    })
    if (verdict.ok)
      return html`<p class="verified">Chain verified from #${first.seq} to #${verdict.head.seq}: ${events.length} records of this task, every link and signature intact.${signed}</p>`
    // A young deployment: every link holds, but no signed checkpoint vouches for the records yet.
    if (verdict.damage === 'unanchored')
      return html`<p class="unanchored">Links and hashes intact from #${first.seq} (${events.length} records of this task); no signed checkpoint vouches for them yet.</p>`
    return html`<p class="tampered" role="alert">Chain damaged at #${verdict.seq}: ${verdict.message}.</p>`
  }

  app.post('/tasks/:id/close', async (c) => {
    const task = await visibleTask(c.get('session').viewer, c.req.param('id'))
    await warden.tasks.lifecycle.close(task, await reason(c))
    return c.redirect(`/console/tasks/${task.id}`, 303)
  })

  // ——— agents and instances ———

  app.get('/agents', async (c) => {
    const viewer = c.get('session').viewer
    const since = warden.clock.now() - 7 * 86_400_000
    const views: AgentView[] = []
    for (const agent of await visibleAgents(viewer)) {
      const instances = await warden.identity.instances.list({ agent: agent.name })
      const outcomes = { allow: 0, deny: 0, escalate: 0 }
      const signals: Record<string, number> = {}
      const events = await warden.chain.query({ agent: `${spiffePrefix}${agent.name}`, since, limit: 10_000 })
      for (const event of events) {
        if (event.kind !== 'decision') continue
        const effect = event.body.effect as keyof typeof outcomes
        if (effect in outcomes) outcomes[effect] += 1
        for (const s of (event.body.signals as Array<{ kind: string }> | undefined) ?? [])
          signals[s.kind] = (signals[s.kind] ?? 0) + 1
      }
      const approvals: Record<string, number> = {}
      for (const a of await warden.approvals.list({ owner: agent.owner })) {
        if (agentName(a.agent) === agent.name && a.createdAt >= since)
          approvals[a.status] = (approvals[a.status] ?? 0) + 1
      }
      views.push({ agent, instances, outcomes, approvals, signals })
    }
    return c.html(agentsPage(views, pageOf(c)))
  })

  for (const [verb, status] of [
    ['disable', 'disabled'],
    ['enable', 'active'],
  ] as const) {
    app.post(`/agents/:name/${verb}`, async (c) => {
      const agent = await visibleAgent(c.get('session').viewer, c.req.param('name'))
      await warden.identity.agents.setStatus(agent.name, status)
      return c.redirect('/console/agents', 303)
    })
  }

  app.post('/instances/:id/quarantine', async (c) => {
    const instance = await warden.identity.instances.get(c.req.param('id'))
    if (!instance) throw new WardenError('NOT_FOUND', `no instance \`${c.req.param('id')}\``)
    await visibleAgent(c.get('session').viewer, instance.agent)
    await warden.identity.instances.quarantine(instance.id, await reason(c))
    return c.redirect('/console/agents', 303)
  })

  // ——— approvals ———

  app.get('/approvals', async (c) => {
    const viewer = c.get('session').viewer
    const owner = viewer.role === 'owner' ? viewer.owner : undefined
    const pending = await warden.approvals.list({ status: 'pending', owner })
    const answered = (await warden.approvals.list({ owner }))
      .filter((a) => a.status !== 'pending')
      .sort((a, b) => (b.decidedAt ?? b.createdAt) - (a.decidedAt ?? a.createdAt))
      .slice(0, 50)
    return c.html(approvalsPage(pending, answered, pageOf(c)))
  })

  for (const [verb, answer] of [
    ['approve', 'approved'],
    ['deny', 'denied'],
  ] as const) {
    app.post(`/approvals/:id/${verb}`, async (c) => {
      const viewer = c.get('session').viewer
      const approval = await warden.approvals.get(c.req.param('id'))
      if (!approval || (viewer.role === 'owner' && approval.owner !== viewer.owner))
        throw new WardenError('NOT_FOUND', `no approval \`${c.req.param('id')}\``)
      const form = await c.req.parseBody()
      const given = typeof form.reason === 'string' ? form.reason.trim().slice(0, 1000) : ''
      await warden.approvals.decide(approval.id, answer, by(viewer), given || null)
      return c.redirect('/console/approvals', 303)
    })
  }

  // ——— tools ———

  app.get('/tools', async (c) => {
    const tools = await warden.catalog.list()
    const changed = tools
      .filter((tool) => tool.status === 'quarantined' && tool.pending)
      .map((tool) => ({
        tool,
        diff: diffLines(
          `${JSON.stringify(tool.definition, null, 2)}\n`,
          `${JSON.stringify(tool.pending, null, 2)}\n`,
        ),
      }))
    return c.html(toolsPage(changed, tools, pageOf(c)))
  })

  app.post('/tools/:server/:name/approve', async (c) => {
    if (c.get('session').viewer.role !== 'admin')
      throw new WardenError('FORBIDDEN', 'only the admin approves a changed tool definition')
    await warden.catalog.approve(c.req.param('server'), c.req.param('name'))
    return c.redirect('/console/tools', 303)
  })

  // ——— delegation ———

  app.get('/graph', async (c) => {
    const all = new Map((await warden.identity.agents.list()).map((agent) => [agent.name, agent]))
    const paths: Array<{ path: string[]; tools: string[] }> = []
    const maxDepth = warden.config.tasks.maxDelegationDepth
    const walk = (path: Agent[], tools: readonly string[]) => {
      paths.push({ path: path.map((a) => a.name), tools: [...tools] })
      const last = path[path.length - 1] as Agent
      if (path.length > maxDepth) return
      for (const name of last.delegatesTo) {
        const next = all.get(name)
        if (!next || path.includes(next)) continue
        walk(
          [...path, next],
          tools.filter((tool) => next.entitlements.includes(tool)),
        )
      }
    }
    const viewer = c.get('session').viewer
    for (const agent of await visibleAgents(viewer)) walk([agent], agent.entitlements)
    const now = warden.clock.now()
    const report = await privilegeReport(liveReportSources(warden), {
      period: { since: now - 30 * 86_400_000, until: now + 1 },
      owner: viewer.role === 'admin' ? undefined : viewer.owner,
    })
    return c.html(graphPage(paths, pageOf(c), await renderSvg(privilegeDot(report))))
  })

  app.post('/sign-out', (c) => {
    deleteCookie(c, cookieName(c), { path: '/', secure: secure(c) })
    return c.redirect('/console/sign-in', 303)
  })

  app.onError((error, c) => {
    const status = error instanceof WardenError ? credentials.statusOf(error.code) : 500
    if (status >= 500)
      warden.logger.error('console request failed', { path: c.req.path, error: String(error) })
    const message = error instanceof WardenError ? error.message : 'internal error'
    return c.html(signedOutAware(c, message), status as 400)
  })

  const signedOutAware = (c: Context<Env>, message: string): Html => {
    const session = c.get('session') as ConsoleSession | undefined
    return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error · Warden console</title><link rel="stylesheet" href="/console/assets/console.css"></head><body><main id="main"><h1>Not done</h1><p class="error" role="alert">${message}</p><p><a href="${session ? '/console' : '/console/sign-in'}">Back</a></p></main></body></html>`
  }
  return app
}
