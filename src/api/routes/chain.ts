import { Hono } from 'hono'
import { z } from 'zod'
import { ACTIVITY_KINDS } from '../../chain/index.js'
import type { Warden } from '../../compose.js'
import { describeIssues } from '../../config/index.js'
import { WardenError } from '../../kernel/index.js'

const time = z.union([
  z.coerce.number().int().nonnegative(),
  z.iso.datetime().transform((iso) => Date.parse(iso)),
])

const eventsQuery = z
  .object({
    agent: z.string().min(1).optional(),
    task: z.string().min(1).optional(),
    kind: z.enum(ACTIVITY_KINDS as [string, ...string[]]).optional(),
    since: time.optional(),
    until: time.optional(),
    after: z.coerce.number().int().nonnegative().optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
  })
  .strict()

/** Queries over the activity chain: by agent, task, kind and time, paginated by `seq`. */
export function chainRoutes(warden: Warden): Hono {
  const app = new Hono()

  const page = async (query: z.output<typeof eventsQuery>) => {
    const events = await warden.chain.query(query as Parameters<Warden['chain']['query']>[0])
    const last = events[events.length - 1]
    return { events, next: events.length === query.limit && last ? last.seq : null }
  }
  app.get('/events', async (c) => {
    const parsed = eventsQuery.safeParse(c.req.query())
    if (!parsed.success) throw new WardenError('BAD_REQUEST', describeIssues(parsed.error.issues))
    return c.json(await page(parsed.data))
  })
  app.get('/tasks/:id/chain', async (c) => {
    const parsed = eventsQuery.omit({ task: true }).safeParse(c.req.query())
    if (!parsed.success) throw new WardenError('BAD_REQUEST', describeIssues(parsed.error.issues))
    return c.json(await page({ ...parsed.data, task: c.req.param('id') }))
  })
  return app
}
