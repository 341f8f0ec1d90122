import { type Context, Hono } from 'hono'
import { z } from 'zod'
import type { Warden } from '../../compose.js'
import { describeIssues } from '../../config/index.js'
import { parseDuration, WardenError } from '../../kernel/index.js'
import {
  COMPLIANCE_FORMATS,
  complianceReport,
  liveReportSources,
  PRIVILEGE_FORMATS,
  privilegeReport,
  type RenderedReport,
  renderCompliance,
  renderPrivileges,
} from '../../reports/index.js'
import { operatorOf } from '../access.js'
import { OwnerCredentials } from '../owner-credential.js'

const since = z
  .string()
  .default('30d')
  .transform((value, ctx) => {
    const ms = parseDuration(value)
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as `30d` or `12h`' })
      return z.NEVER
    }
    return ms
  })

const privilegesQuery = z
  .object({
    agent: z.string().min(1).optional(),
    format: z.enum(PRIVILEGE_FORMATS).default('json'),
    since,
    /** A delegation path reviewed as a whole, `a>b>c`; repeatable. */
    reviewed: z.array(z.string().min(1)).default([]),
  })
  .strict()

const complianceQuery = z.object({ format: z.enum(COMPLIANCE_FORMATS).default('json'), since }).strict()

/** The auditors' reports (operators; an owner sees only what concerns their own agents), for the console. */
export function reportRoutes(warden: Warden): Hono {
  const app = new Hono()
  const owners = new OwnerCredentials(warden.store, warden.ids, () => warden.clock.now())
  const who = async (c: Context): Promise<{ owner?: string }> => {
    if (operatorOf(c)) return {}
    const owner = await owners.ownerOf(c)
    if (!owner) throw new WardenError('UNAUTHENTICATED', 'an operator or owner token is required')
    return { owner }
  }
  const sources = () => liveReportSources(warden)
  const send = (c: Context, rendered: RenderedReport) =>
    c.body(rendered.body, 200, { 'content-type': rendered.contentType })
  const parse = <S extends z.ZodType>(schema: S, c: Context): z.output<S> => {
    const raw: Record<string, unknown> = { ...c.req.query() }
    const reviewed = c.req.queries('reviewed')
    if (reviewed) raw.reviewed = reviewed
    const parsed = schema.safeParse(raw)
    if (!parsed.success) throw new WardenError('BAD_REQUEST', describeIssues(parsed.error.issues))
    return parsed.data
  }

  app.get('/reports/privileges', async (c) => {
    const caller = await who(c)
    const query = parse(privilegesQuery, c)
    if (caller.owner !== undefined && query.agent !== undefined) {
      const agent = await warden.identity.agents.require(query.agent)
      if (agent.owner !== caller.owner) throw new WardenError('FORBIDDEN', 'this agent has another owner')
    }
    const now = warden.clock.now()
    const report = await privilegeReport(sources(), {
      period: { since: now - query.since, until: now + 1 },
      agent: query.agent,
      owner: caller.owner,
      reviewed: query.reviewed.map((path) => path.split('>').map((name) => name.trim())),
    })
    return send(c, await renderPrivileges(report, query.format))
  })

  app.get('/reports/compliance', async (c) => {
    const caller = await who(c)
    const query = parse(complianceQuery, c)
    const now = warden.clock.now()
    const report = await complianceReport(sources(), {
      period: { since: now - query.since, until: now + 1 },
      owner: caller.owner,
    })
    return send(c, renderCompliance(report, query.format))
  })
  return app
}
