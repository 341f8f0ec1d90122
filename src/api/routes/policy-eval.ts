import { Hono } from 'hono'
import { z } from 'zod'
import type { Signal } from '../../behaviour/index.js'
import type { CatalogTool } from '../../catalog/index.js'
import { toEvent } from '../../chain/index.js'
import type { Warden } from '../../compose.js'
import { taskFacts } from '../../enforcement/index.js'
import { WardenError } from '../../kernel/index.js'
import type { DecisionFacts } from '../../policy/index.js'
import { readBody } from '../request.js'

const severity = z.enum(['low', 'medium', 'high', 'critical'])

/** `POST /v1/policies/eval`: a request written by hand, or the tool call recorded at `fromRecord`. */
export const policyEvalBody = z.union([
  z
    .object({
      agent: z.string().min(1),
      server: z.string().min(1).optional(),
      tool: z.string().min(1),
      args: z.record(z.string(), z.unknown()).default({}),
      /** The task's tier; the agent's own by default. */
      tier: z.enum(['critical', 'high', 'standard', 'low']).optional(),
      signals: z.array(z.object({ kind: z.string().min(1), severity }).strict()).default([]),
      risk: z.number().min(0).max(100).default(0),
      approved: z.boolean().default(false),
      purpose: z.string().default('policy eval'),
      /** The tools the task declared; the one called by default. */
      declared: z.array(z.string()).optional(),
      dataClasses: z.array(z.string()).default([]),
      now: z.iso.datetime().optional(),
    })
    .strict(),
  z.object({ fromRecord: z.number().int().positive() }).strict(),
])

const signalOf = (s: { kind: string; severity: Signal['severity'] }, evidence: number[] = []): Signal => ({
  kind: s.kind as Signal['kind'],
  severity: s.severity,
  summary: '',
  evidence,
  refs: [],
})

/**
 * What the policies in force decide on a request, which of them decided it, and the Cedar context it was decided
 * from — without recording anything or calling any tool (`warden policy eval`, the OPA `eval` of Warden).
 */
export function policyEvalRoutes(warden: Warden): Hono {
  const app = new Hono()

  const toolOf = async (name: string, server: string | undefined): Promise<CatalogTool> => {
    if (server) return warden.catalog.require(server, name)
    const servers = await warden.catalog.serversOf(name)
    if (servers.length !== 1) {
      throw new WardenError(
        servers.length === 0 ? 'NOT_FOUND' : 'BAD_REQUEST',
        servers.length === 0
          ? `no tool \`${name}\` in the catalog`
          : `tool \`${name}\` is ambiguous: name its server`,
      )
    }
    return warden.catalog.require(servers[0] as string, name)
  }

  /** The facts the pipeline decided a recorded call on: its task, agent, arguments, signals and risk. */
  const factsOfRecord = async (seq: number): Promise<DecisionFacts> => {
    const [row] = await warden.chain.rows(seq, 1)
    const event = row && row.seq === seq ? toEvent(row) : undefined
    if (!event || event.kind !== 'tool.call' || !event.task)
      throw new WardenError('NOT_FOUND', `no tool call is recorded at seq ${seq}`)
    const body = event.body as {
      call: string
      tool: string
      server: string | null
      args?: Record<string, unknown>
    }
    const task = await warden.tasks.registry.require(event.task)
    const agent = await warden.identity.agents.require(task.agent)
    const tool = await toolOf(body.tool, body.server ?? undefined)
    const decisions = await warden.chain.query({
      task: task.id,
      kind: 'decision',
      after: seq - 1,
      limit: 1000,
    })
    const decided = decisions.find((d) => d.body.call === body.call)
    const signals =
      (decided?.body.signals as Array<{ kind: string; severity: Signal['severity']; evidence: number[] }>) ??
      []
    return {
      now: event.ts,
      ...taskFacts(task, agent),
      target: { kind: 'tool', tool },
      args: body.args ?? {},
      approved:
        decided?.body.approval !== null &&
        decided?.body.approval !== undefined &&
        decided.body.effect === 'allow',
      behaviour: {
        signals: signals.map((s) => signalOf(s, s.evidence)),
        risk: typeof decided?.body.risk === 'number' ? decided.body.risk : 0,
      },
    }
  }

  app.post('/policies/eval', async (c) => {
    const input = await readBody(c, policyEvalBody)
    let facts: DecisionFacts
    if ('fromRecord' in input) facts = await factsOfRecord(input.fromRecord)
    else {
      const agent = await warden.identity.agents.require(input.agent)
      const tool = await toolOf(input.tool, input.server)
      const now = input.now ? Date.parse(input.now) : warden.clock.now()
      const spiffeId = `spiffe://${warden.config.trustDomain}/agent/${agent.name}/eval`
      facts = {
        now,
        agent: {
          name: agent.name,
          owner: agent.owner,
          tier: input.tier ?? agent.tier,
          entitlements: agent.entitlements,
        },
        instance: { id: 'eval', spiffeId },
        task: {
          id: 'eval',
          purpose: input.purpose,
          tools: input.declared ?? [tool.name],
          dataClasses: input.dataClasses,
          depth: 0,
          parent: null,
          openedAt: now,
          chain: [spiffeId],
        },
        target: { kind: 'tool', tool },
        args: input.args,
        approved: input.approved,
        behaviour: { signals: input.signals.map((s) => signalOf(s)), risk: input.risk },
      }
    }
    const { decision, request } = warden.pipeline.explain(facts)
    return c.json({
      effect: decision.effect,
      reasons: decision.reasons,
      errors: decision.errors,
      policyVersion: decision.policyVersion,
      request: request && {
        principal: request.principal,
        action: request.action,
        resource: request.resource,
        context: request.context,
      },
    })
  })
  return app
}
