import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConfigInput } from '../../src/config/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { type Attested, attestWithJoinToken, codeOf, registerAgent } from '../fakes/identity.js'
import { type OpenedTask, openTask } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

const OWNER = 'finance@example.com'
const SEND = {
  name: 'send_email',
  description: 'Send an e-mail',
  inputSchema: {
    type: 'object',
    properties: { to: { type: 'string' }, body: { type: 'string' }, api_key: { type: 'string' } },
    required: ['to', 'body'],
  },
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
}
/** The value of the static secret the task leases: it must never appear in what an approver sees. */
const LEASED = 'mail-relay-pass-4f9c2e71d0b8'

interface Received {
  headers: IncomingHttpHeaders
  body: string
}

/** A real HTTP receiver in the test process; `refuse` makes it answer 503. */
async function startReceiver(port = 0): Promise<{
  server: Server
  url: string
  port: number
  received: Received[]
  refuse: { on: boolean }
}> {
  const received: Received[] = []
  const refuse = { on: false }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.statusCode = refuse.on ? 503 : 204
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const bound = (server.address() as AddressInfo).port
  return { server, url: `http://127.0.0.1:${bound}/hook`, port: bound, received, refuse }
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()))

/** Verifies a received delivery with the Standard Webhooks reference library; throws when it does not verify. */
function verify(secret: string, delivery: Received): unknown {
  return new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>)
}

function config(url: string, format: 'json' | 'slack' = 'json'): ConfigInput {
  return {
    approvals: { ttl: '10m' },
    owners: { [OWNER]: { webhook: url, format } },
    secrets: { 'mail-relay': { provider: 'static', agents: ['payments'] } },
  }
}

/** Registers the agent and tool, and opens a task that leased the static secret. */
async function prepare(
  t: TestWarden,
  intent: Record<string, unknown> = {},
): Promise<{ agent: Attested; task: OpenedTask }> {
  expect((await t.request('PUT', '/v1/servers/mail/tools', { body: { tools: [SEND] } })).status).toBe(200)
  await registerAgent(t, 'payments', { tier: 'high', owner: OWNER, entitlements: ['send_email'] })
  expect((await t.request('PUT', '/v1/secrets/mail-relay', { body: { value: LEASED } })).status).toBe(204)
  const agent = await attestWithJoinToken(t, 'payments')
  const task = (await (
    await openTask(t, agent, {
      purpose: 'notify the customer',
      prompt: 'Tell customer@client.example that the refund is on its way',
      tools: ['send_email'],
      ...intent,
    })
  ).json()) as OpenedTask
  return { agent, task }
}

async function lease(t: TestWarden, agent: Attested, task: OpenedTask): Promise<{ value: string }> {
  const url = `${BASE}/v1/tasks/${task.taskId}/leases`
  const res = await t.request('POST', `/v1/tasks/${task.taskId}/leases`, {
    body: { secret: 'mail-relay' },
    headers: {
      authorization: `DPoP ${task.token}`,
      dpop: await agent.key.proof('POST', url, { accessToken: task.token }),
    },
    admin: false,
  })
  expect(res.status).toBe(201)
  return (await res.json()) as { value: string }
}

async function authorize(
  t: TestWarden,
  agent: Attested,
  task: OpenedTask,
  args: Record<string, unknown>,
): Promise<{ effect: string; approval?: string }> {
  const res = await t.request('POST', '/v1/authorize', {
    body: { action: 'tools/call', tool: 'send_email', args },
    headers: {
      authorization: `DPoP ${task.token}`,
      dpop: await agent.key.proof('POST', `${BASE}/v1/authorize`, { accessToken: task.token }),
    },
    admin: false,
  })
  expect(res.status).toBe(200)
  return (await res.json()) as { effect: string; approval?: string }
}

const ARGS = {
  to: 'customer@client.example',
  body: `Your refund is on its way. (relay login: ${LEASED})`,
  api_key: 'not-for-the-approver',
}

async function revealSecret(t: TestWarden, rotate = false): Promise<Response> {
  return t.request('POST', `/v1/owners/${encodeURIComponent(OWNER)}/webhook-secret`, { body: { rotate } })
}

describe('owner webhooks: signed, shown redacted, delivered from the outbox', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let t: TestWarden
  beforeEach(async () => {
    receiver = await startReceiver()
    // Real time (shifted by hand): the reference library checks the signed timestamp against the wall clock.
    t = await startTestWarden(config(receiver.url), { clock: new ShiftedClock() })
  })
  afterEach(async () => {
    await t.dispose()
    await close(receiver.server)
  })

  it('signs each delivery so the reference library verifies it, and refuses a tampered body', async () => {
    const shown = await revealSecret(t)
    expect(shown.status).toBe(201)
    const { secret } = (await shown.json()) as { secret: string }
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
    // Shown once: asking again does not show it.
    expect(await codeOf(await revealSecret(t))).toBe('WEBHOOK_SECRET_SHOWN')

    const { agent, task } = await prepare(t)
    const decided = await authorize(t, agent, task, ARGS)
    expect(decided.effect).toBe('escalate')
    await t.warden.webhooks.notifier.deliverDue()
    expect(receiver.received).toHaveLength(1)
    const delivery = receiver.received[0] as Received

    // Positive control: the reference library accepts it and reads the request back.
    const payload = verify(secret, delivery) as { type: string; data: { id: string; tool: string } }
    expect(payload).toMatchObject({
      type: 'warden.approval.requested',
      data: { id: decided.approval, tool: 'send_email' },
    })
    expect(delivery.headers['webhook-id']).toMatch(/^msg_/)

    // Negative controls: one changed byte of the body, or another secret, and it no longer verifies.
    const tampered = { ...delivery, body: delivery.body.replace('send_email', 'send_emaiL') }
    expect(tampered.body).not.toBe(delivery.body)
    expect(() => verify(secret, tampered)).toThrow(/signature/i)
    const other = (await (await revealSecret(t, true)).json()) as { secret: string }
    expect(other.secret).not.toBe(secret)
    expect(() => verify(other.secret, delivery)).toThrow(/signature/i)
  })

  it('signs with the rotated secret from then on: the old one no longer verifies', async () => {
    const first = (await (await revealSecret(t)).json()) as { secret: string }
    const rotated = (await (await revealSecret(t, true)).json()) as { secret: string }
    const { agent, task } = await prepare(t)
    await authorize(t, agent, task, ARGS)
    await t.warden.webhooks.notifier.deliverDue()
    const delivery = receiver.received[0] as Received
    expect(verify(rotated.secret, delivery)).toBeTruthy()
    expect(() => verify(first.secret, delivery)).toThrow(/signature/i)
  })

  it('shows tool, server, reasons and the arguments redacted, never the value a lease holds', async () => {
    const { agent, task } = await prepare(t)
    // Positive control: the task really holds the value that is then pasted into the arguments.
    expect((await lease(t, agent, task)).value).toBe(LEASED)
    const decided = await authorize(t, agent, task, ARGS)
    expect(decided.effect).toBe('escalate')

    const res = await t.request('GET', `/v1/approvals/${decided.approval}`)
    const text = await res.text()
    const approval = JSON.parse(text) as {
      tool: string
      server: string
      reasons: string[]
      sensitivity: string
      arguments: Record<string, string>
      redacted: string[]
    }
    expect(approval).toMatchObject({ tool: 'send_email', server: 'mail', sensitivity: 'internal' })
    expect(approval.reasons.length).toBeGreaterThan(0)
    expect(approval.arguments.to).toBe('customer@client.example')
    expect(approval.arguments.body).toBe('Your refund is on its way. (relay login: [redacted])')
    expect(approval.arguments.api_key).toBe('[redacted]')
    expect(approval.redacted.sort()).toEqual(['/api_key', '/body'])
    expect(text).not.toContain(LEASED)
    expect(text).not.toContain('not-for-the-approver')

    // The webhook carries the same redacted view, and neither value.
    await t.warden.webhooks.notifier.deliverDue()
    const delivered = receiver.received[0] as Received
    expect(JSON.parse(delivered.body).data.arguments.to).toBe('customer@client.example')
    expect(delivered.body).not.toContain(LEASED)
    expect(delivered.body).not.toContain('not-for-the-approver')
    // Nor does the store keep it.
    const stored = await t.warden.store.all<Record<string, unknown>>(`SELECT * FROM approvals`)
    expect(JSON.stringify(stored)).not.toContain(LEASED)
  })

  it('hides every value of a restricted tool, and sends only the argument names out', async () => {
    // Restricted data needs the class declared in the task's intent (baseline policy), else it is denied.
    const { agent, task } = await prepare(t, { dataClasses: ['restricted'] })
    expect(
      (
        await t.request('PUT', '/v1/servers/mail/tools/send_email/sensitivity', {
          body: { sensitivity: 'restricted' },
        })
      ).status,
    ).toBe(200)
    const decided = await authorize(t, agent, task, ARGS)
    expect(decided.effect).toBe('escalate')
    const approval = (await (await t.request('GET', `/v1/approvals/${decided.approval}`)).json()) as {
      sensitivity: string
      arguments: Record<string, string>
    }
    expect(approval.sensitivity).toBe('restricted')
    expect(approval.arguments).toEqual({ to: '[redacted]', body: '[redacted]', api_key: '[redacted]' })
    await t.warden.webhooks.notifier.deliverDue()
    const sent = JSON.parse((receiver.received[0] as Received).body) as {
      data: { arguments: unknown; argumentNames: string[] }
    }
    expect(sent.data.arguments).toBeNull()
    expect(sent.data.argumentNames.sort()).toEqual(['api_key', 'body', 'to'])
  })

  it("records the answer's reason in the chain, and none when none was given", async () => {
    const { agent, task } = await prepare(t)
    const first = await authorize(t, agent, task, ARGS)
    const second = await authorize(t, agent, task, { ...ARGS, body: 'Second notice.' })
    const approve = await t.request('POST', `/v1/approvals/${first.approval}/approve`, {
      body: { reason: 'refund confirmed with the customer by phone' },
    })
    expect(approve.status).toBe(200)
    expect(((await approve.json()) as { answerReason: string }).answerReason).toBe(
      'refund confirmed with the customer by phone',
    )
    expect((await t.request('POST', `/v1/approvals/${second.approval}/deny`)).status).toBe(200)
    const chain = (await (await t.request('GET', `/v1/tasks/${task.taskId}/chain?kind=approval`)).json()) as {
      events: Array<{ body: { approval: string; event: string; reason?: string | null; by: string | null } }>
    }
    const answers = chain.events.filter((e) => e.body.event === 'approved' || e.body.event === 'denied')
    expect(answers.map((e) => [e.body.approval, e.body.event, e.body.reason, e.body.by])).toEqual([
      [first.approval, 'approved', 'refund confirmed with the customer by phone', 'admin'],
      [second.approval, 'denied', null, 'admin'],
    ])
    // An empty reason is a malformed answer, not an absent one.
    const third = await authorize(t, agent, task, { ...ARGS, body: 'Third notice.' })
    const blank = await t.request('POST', `/v1/approvals/${third.approval}/approve`, { body: { reason: '' } })
    expect(await codeOf(blank)).toBe('BAD_REQUEST')
  })
})

describe('owner webhook outbox across a restart', () => {
  it('delivers a request whose receiver was down when Warden stopped, after a restart on the same data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warden-outbox-'))
    // A port with nothing listening: the receiver is down.
    const probe = await startReceiver()
    await close(probe.server)
    const clock = new ShiftedClock()
    let t = await startTestWarden(config(probe.url), { clock, dataDir })
    let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined
    try {
      const { secret } = (await (await revealSecret(t)).json()) as { secret: string }
      const { agent, task } = await prepare(t)
      const decided = await authorize(t, agent, task, ARGS)
      expect(decided.effect).toBe('escalate')
      expect(await t.warden.webhooks.notifier.deliverDue()).toBe(0)
      const [pending] = await t.warden.store.all<{ status: string; attempts: number; last_error: string }>(
        `SELECT status, attempts, last_error FROM webhook_deliveries`,
      )
      expect(pending).toMatchObject({ status: 'pending', attempts: 1 })
      await t.dispose()

      receiver = await startReceiver(probe.port)
      clock.advance('10s') // past the first backoff
      t = await startTestWarden(config(receiver.url), { clock, dataDir })
      await t.warden.webhooks.notifier.deliverDue()
      expect(receiver.received).toHaveLength(1)
      const payload = verify(secret, receiver.received[0] as Received) as { data: { id: string } }
      expect(payload.data.id).toBe(decided.approval)
      const [done] = await t.warden.store.all<{ status: string; attempts: number }>(
        `SELECT status, attempts FROM webhook_deliveries`,
      )
      expect(done).toEqual({ status: 'delivered', attempts: 2 })
    } finally {
      await t.dispose()
      if (receiver) await close(receiver.server)
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
