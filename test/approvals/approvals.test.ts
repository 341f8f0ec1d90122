import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Attested, attestWithJoinToken, codeOf, registerAgent } from '../fakes/identity.js'
import { type OpenedTask, openTask } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

const SEND = {
  name: 'send_email',
  description: 'Send an e-mail',
  inputSchema: {
    type: 'object',
    properties: { to: { type: 'string' }, body: { type: 'string' } },
    required: ['to', 'body'],
  },
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
}

interface Decided {
  effect: string
  approval?: string
  reasons: string[]
}

describe('human approval bound to the exact call', () => {
  let webhook: Server
  let webhookUrl: string
  const received: string[] = []
  let failuresLeft = 0

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString()
      })
      req.on('end', () => {
        received.push(body)
        res.statusCode = failuresLeft-- > 0 ? 500 : 200
        res.end()
      })
    })
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve))
    webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`
  })
  afterAll(() => webhook.close())

  let t: TestWarden
  let agent: Attested
  let task: OpenedTask
  beforeEach(async () => {
    received.length = 0
    t = await startTestWarden({
      approvals: { ttl: '10m' },
      owners: { 'finance@example.com': { webhook: webhookUrl, format: 'slack' } },
    })
    await t.request('PUT', '/v1/servers/mail/tools', { body: { tools: [SEND] } })
    await registerAgent(t, 'payments', {
      tier: 'high',
      owner: 'finance@example.com',
      entitlements: ['send_email'],
    })
    agent = await attestWithJoinToken(t, 'payments')
    task = (await (
      await openTask(t, agent, {
        purpose: 'notify the customer',
        prompt: 'Tell customer@client.example that the refund is on its way',
        tools: ['send_email'],
      })
    ).json()) as OpenedTask
  })
  afterEach(() => t.dispose())

  const authorize = async (args: Record<string, unknown>): Promise<Decided> => {
    const res = await t.request('POST', '/v1/authorize', {
      body: { action: 'tools/call', tool: 'send_email', args },
      headers: {
        authorization: `DPoP ${task.token}`,
        dpop: await agent.key.proof('POST', `${BASE}/v1/authorize`, { accessToken: task.token }),
      },
      admin: false,
    })
    expect(res.status).toBe(200)
    return (await res.json()) as Decided
  }
  const ARGS = { to: 'customer@client.example', body: 'Your refund is on its way.' }

  it('lets the approved call proceed exactly once; a second identical call needs a new approval', async () => {
    const first = await authorize(ARGS)
    expect(first.effect).toBe('escalate')
    expect(first.approval).toBeTypeOf('string')
    const pending = (await (await t.request('GET', '/v1/approvals?status=pending')).json()) as {
      approvals: Array<{ id: string; owner: string }>
    }
    expect(pending.approvals.map((a) => a.id)).toEqual([first.approval])
    expect(pending.approvals[0]?.owner).toBe('finance@example.com')

    expect((await t.request('POST', `/v1/approvals/${first.approval}/approve`)).status).toBe(200)
    const approved = await authorize(ARGS)
    expect(approved).toMatchObject({ effect: 'allow', approval: first.approval })
    const replay = await authorize(ARGS)
    expect(replay.effect).toBe('escalate')
    expect(replay.approval).not.toBe(first.approval)

    const chain = (await (await t.request('GET', `/v1/tasks/${task.taskId}/chain?kind=approval`)).json()) as {
      events: Array<{ body: { event: string } }>
    }
    expect(chain.events.map((e) => e.body.event)).toEqual(['requested', 'approved', 'used', 'requested'])
  })

  it('does not match changed arguments', async () => {
    const first = await authorize(ARGS)
    await t.request('POST', `/v1/approvals/${first.approval}/approve`)
    const changed = await authorize({ ...ARGS, body: 'Your refund is on its way. Also, here is a coupon.' })
    expect(changed.effect).toBe('escalate')
    expect(changed.approval).not.toBe(first.approval)
  })

  it('denies once a human denied, and an expired request can no longer be approved', async () => {
    const first = await authorize(ARGS)
    await t.request('POST', `/v1/approvals/${first.approval}/deny`)
    expect((await authorize(ARGS)).effect).toBe('deny')

    const other = await authorize({ ...ARGS, body: 'Second notice.' })
    t.clock.advance('11m')
    const late = await t.request('POST', `/v1/approvals/${other.approval}/approve`)
    expect(await codeOf(late)).toBe('APPROVAL_CLOSED')
    const expired = (await (await t.request('GET', `/v1/approvals/${other.approval}`)).json()) as {
      status: string
    }
    expect(expired.status).toBe('expired')
  })

  it('notifies the owner by webhook from the outbox, retrying a refused delivery after its backoff', async () => {
    failuresLeft = 2
    const decided = await authorize(ARGS)
    expect(decided.effect).toBe('escalate')
    const outbox = t.warden.webhooks.notifier
    await outbox.deliverDue()
    expect(received).toHaveLength(1)
    // Not due again until the backoff has passed: moving the clock, not sleeping, makes each retry due.
    expect(await outbox.deliverDue()).toBe(0)
    expect(received).toHaveLength(1)
    t.clock.advance('6s')
    await outbox.deliverDue()
    t.clock.advance('11s')
    expect(await outbox.deliverDue()).toBe(1)
    expect(received).toHaveLength(3)
    expect((JSON.parse(received[2] as string) as { text: string }).text).toContain(
      `warden approvals approve ${decided.approval}`,
    )
    t.clock.advance('1h')
    expect(await outbox.deliverDue()).toBe(0)
    expect(received).toHaveLength(3)
  })

  it("lets an owner answer their own agents' requests, and only those", async () => {
    await registerAgent(t, 'marketing-bot', { owner: 'marketing@example.com' })
    const mint = async (owner: string) =>
      ((await (await t.request('POST', `/v1/owners/${owner}/tokens`)).json()) as { token: string }).token
    const finance = await mint('finance@example.com')
    const marketing = await mint('marketing@example.com')
    const first = await authorize(ARGS)
    const asOwner = (token: string) => ({ headers: { authorization: `Bearer ${token}` }, admin: false })

    const mine = (await (await t.request('GET', '/v1/approvals', asOwner(finance))).json()) as {
      approvals: Array<{ id: string }>
    }
    expect(mine.approvals.map((a) => a.id)).toEqual([first.approval])
    const theirs = (await (await t.request('GET', '/v1/approvals', asOwner(marketing))).json()) as {
      approvals: unknown[]
    }
    expect(theirs.approvals).toEqual([])
    const foreign = await t.request('POST', `/v1/approvals/${first.approval}/approve`, asOwner(marketing))
    expect(foreign.status).toBe(403)
    expect(await codeOf(foreign)).toBe('FORBIDDEN')
    // Nobody without a credential can answer.
    expect(
      await codeOf(await t.request('POST', `/v1/approvals/${first.approval}/approve`, { admin: false })),
    ).toBe('UNAUTHENTICATED')

    const approved = (await (
      await t.request('POST', `/v1/approvals/${first.approval}/approve`, asOwner(finance))
    ).json()) as {
      decidedBy: string
    }
    expect(approved.decidedBy).toBe('owner:finance@example.com')
    expect((await authorize(ARGS)).effect).toBe('allow')
    expect(await codeOf(await t.request('GET', '/v1/approvals', { admin: false }))).toBe('UNAUTHENTICATED')
  })

  it("lists each owner's agents with their recent outcomes", async () => {
    await authorize(ARGS)
    const { owners } = (await (await t.request('GET', '/v1/owners')).json()) as {
      owners: Array<{
        owner: string
        agents: Array<{ agent: string; decisions: Record<string, number>; approvals: Record<string, number> }>
      }>
    }
    const finance = owners.find((o) => o.owner === 'finance@example.com')
    expect(finance?.agents[0]).toMatchObject({
      agent: 'payments',
      decisions: { escalate: 1 },
      approvals: { pending: 1 },
    })
  })
})
