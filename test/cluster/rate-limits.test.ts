import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  attestAgent,
  type ClusterAgent,
  openClusterTask,
  send,
  startCluster,
  type TestCluster,
} from '../fakes/cluster.js'
import type { ServeProcess } from '../fakes/process.js'

const SHIPPED = fileURLToPath(new URL('../../policies/', import.meta.url))
const TOOLS = [
  {
    name: 'read_inbox',
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true },
  },
  { name: 'archive', inputSchema: { type: 'object', properties: {} }, annotations: { readOnlyHint: true } },
]

describe('rate limits and quotas counted across nodes', () => {
  let cluster: TestCluster
  let agent: ClusterAgent
  let policies: string
  beforeAll(async () => {
    // The shipped templates, and one policy that reads the counts: a busy task needs a human.
    policies = mkdtempSync(join(tmpdir(), 'warden-limits-policies-'))
    for (const file of readdirSync(SHIPPED))
      if (file.endsWith('.cedar')) copyFileSync(join(SHIPPED, file), join(policies, file))
    writeFileSync(
      join(policies, 'usage.cedar'),
      `@id("confirm-busy-task")
@escalate("this task has made more than three calls")
forbid (principal, action, resource) when { context.usage.task > 3 };
`,
    )
    cluster = await startCluster(2, {
      policy: { dir: policies },
      limits: [
        { per: 'task', calls: 5 },
        { per: 'tool', tools: ['archive'], calls: 1, window: '1h' },
      ],
    })
    expect((await cluster.admin(0, 'PUT', '/v1/servers/mail/tools', { tools: TOOLS })).status).toBe(200)
    agent = await attestAgent(
      cluster,
      'mailer',
      { entitlements: ['read_inbox', 'archive'] },
      { register: 0, attest: 1 },
    )
  }, 120_000)
  afterAll(async () => {
    await cluster?.dispose()
    rmSync(policies, { recursive: true, force: true })
  })

  it('refuses a call over a limit on whichever node it reaches, says when to retry, and records it', async () => {
    const [a, b] = cluster.nodes as [ServeProcess, ServeProcess]
    const task = await openClusterTask(a, agent, { purpose: 'triage mail' })
    const call = async (node: ServeProcess, tool: string) => {
      const res = await send(
        node,
        agent,
        '/v1/authorize',
        { action: 'tools/call', server: 'mail', tool, args: {} },
        task.token,
      )
      const body = (await res.json()) as { effect?: string; code?: string; details?: Record<string, unknown> }
      return { status: res.status, retryAfter: res.headers.get('retry-after'), ...body }
    }
    // One archive an hour, whichever node: the second, on the other node, is refused with when to retry.
    expect(await call(a, 'archive')).toMatchObject({ status: 200, effect: 'allow' })
    const limited = await call(b, 'archive')
    expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED', details: { per: 'tool', calls: 1 } })
    expect(Number(limited.retryAfter)).toBeGreaterThan(0)
    expect(limited.details?.retryAfterSeconds).toBe(Number(limited.retryAfter))

    // The refused call took nothing from the task's quota (5): three more pass, policies see the count.
    expect((await call(b, 'read_inbox')).effect).toBe('allow')
    expect((await call(a, 'read_inbox')).effect).toBe('allow')
    expect((await call(b, 'read_inbox')).effect).toBe('escalate')
    expect((await call(a, 'read_inbox')).effect).toBe('escalate')
    // The quota is used up for the task's life: refused, with no time to retry.
    const spent = await call(b, 'read_inbox')
    expect(spent).toMatchObject({ status: 429, code: 'RATE_LIMITED', details: { per: 'task', calls: 5 } })
    expect(spent.retryAfter).toBeNull()

    const res = await cluster.admin(0, 'GET', `/v1/tasks/${task.taskId}/chain?limit=1000`)
    const { events } = (await res.json()) as { events: Array<{ kind: string; body: { per?: string } }> }
    expect(events.filter((e) => e.kind === 'rate_limited').map((e) => e.body.per)).toEqual(['tool', 'task'])
  }, 60_000)
})
