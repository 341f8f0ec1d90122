import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Attested } from '../fakes/identity.js'
import {
  openPayers,
  type Payer,
  SHIPPED_POLICIES as SHIPPED,
  seededRandom,
  PAYMENT_TOOLS as TOOLS,
} from '../fakes/payments.js'
import type { OpenedTask } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

interface Answer {
  effect: string
  reasons: string[]
  errors: string[]
  call: string
  signals: Array<{ kind: string; severity: string }>
}

describe('warden policy eval', () => {
  let t: TestWarden
  let policyDir: string
  const agents: Payer[] = []

  const authorize = async (who: Attested, task: OpenedTask, body: unknown): Promise<Answer> => {
    const res = await t.request('POST', '/v1/authorize', {
      body,
      headers: {
        authorization: `DPoP ${task.token}`,
        dpop: await who.key.proof('POST', `${BASE}/v1/authorize`, { accessToken: task.token }),
      },
      admin: false,
    })
    expect(res.status).toBe(200)
    return (await res.json()) as Answer
  }
  const evaluate = async (body: unknown) => {
    const res = await t.request('POST', '/v1/policies/eval', { body })
    expect(res.status, await res.clone().text()).toBe(200)
    return (await res.json()) as {
      effect: string
      reasons: string[]
      errors: string[]
      request: { context: Record<string, unknown> } | null
    }
  }

  beforeAll(async () => {
    policyDir = mkdtempSync(join(tmpdir(), 'warden-eval-'))
    cpSync(SHIPPED, policyDir, { recursive: true })
    writeFileSync(
      join(policyDir, 'payments.cedar'),
      `@id("cap") forbid (principal, action == Warden::payments::Action::"transfer", resource)
       when { context.input.amount.greaterThan(decimal("1000.0")) };
       @id("instant-needs-a-human") @escalate("instant transfers are confirmed by a person")
       forbid (principal, action == Warden::payments::Action::"transfer", resource)
       when { context.input has speed && context.input.speed == "instant" };`,
    )
    t = await startTestWarden({ policy: { dir: policyDir } })
    expect((await t.request('PUT', '/v1/servers/payments/tools', { body: { tools: TOOLS } })).status).toBe(
      200,
    )
    agents.push(...(await openPayers(t)))
  }, 60_000)
  afterAll(async () => {
    await t?.dispose()
    rmSync(policyDir, { recursive: true, force: true })
  })

  it('agrees with /v1/authorize on 1,000 generated requests, each evaluated from its recorded call', async () => {
    const next = seededRandom(42)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
    const answers: Answer[] = []
    for (let i = 0; i < 1000; i++) {
      const { who, task } = pick(agents)
      const body =
        next() < 0.25
          ? { action: 'tools/call', tool: 'balance', args: next() < 0.5 ? {} : { account: 'main' } }
          : {
              action: 'tools/call',
              tool: 'transfer',
              args: {
                // Sometimes not a number: both must deny it with the schema's error.
                amount: next() < 0.05 ? 'lots' : Math.round(next() * 2000 * 100) / 100,
                iban: pick([
                  'DE89370400440532013000',
                  'GB33BUKB20201555555555',
                  `XX${Math.floor(next() * 1e9)}`,
                ]),
                ...(next() < 0.3 ? { speed: pick(['standard', 'instant']) } : {}),
              },
            }
      answers.push(await authorize(who, task, body))
    }
    // Every outcome is represented, so agreement means something.
    const effects = new Set(answers.map((a) => a.effect))
    expect(effects).toEqual(new Set(['allow', 'deny', 'escalate']))

    const seqOfCall = new Map<string, number>()
    for (let after = 0; ; ) {
      const res = await t.request('GET', `/v1/events?kind=tool.call&after=${after}&limit=10000`)
      const { events } = (await res.json()) as { events: Array<{ seq: number; body: { call: string } }> }
      for (const event of events) seqOfCall.set(event.body.call, event.seq)
      if (events.length < 10_000) break
      after = (events[events.length - 1] as { seq: number }).seq
    }
    for (const answer of answers) {
      const seq = seqOfCall.get(answer.call)
      expect(seq).toBeDefined()
      const evaluated = await evaluate({ fromRecord: seq })
      expect({ effect: evaluated.effect, reasons: evaluated.reasons, errors: evaluated.errors }).toEqual({
        effect: answer.effect,
        reasons: answer.reasons,
        errors: answer.errors,
      })
    }
  }, 180_000)

  it('decides a request written by hand, names the policies, and shows the Cedar context', async () => {
    const capped = await evaluate({
      agent: 'treasurer',
      tool: 'transfer',
      args: { amount: 5000, iban: 'DE89' },
    })
    expect(capped.effect).toBe('deny')
    expect(capped.reasons).toContain('payments.cedar#cap')
    expect(capped.request?.context).toMatchObject({ tier: 'standard', input: { iban: 'DE89' } })
    // Positive control: under the cap it is allowed by the declared-tools permit.
    const small = await evaluate({ agent: 'treasurer', tool: 'transfer', args: { amount: 50, iban: 'DE89' } })
    expect(small.effect).toBe('allow')
    expect(small.reasons).toContain('baseline.cedar#permit-declared-tools')
    // The tier and the signals are the operator's to set: a low tier may not write; a critical signal stops all.
    expect(
      (
        await evaluate({
          agent: 'treasurer',
          tool: 'transfer',
          tier: 'low',
          args: { amount: 50, iban: 'DE89' },
        })
      ).effect,
    ).toBe('deny')
    const signalled = await evaluate({
      agent: 'treasurer',
      tool: 'balance',
      signals: [{ kind: 'credential_reuse', severity: 'critical' }],
    })
    expect(signalled.reasons).toContain('baseline.cedar#deny-critical-signal')
    // Nothing was recorded: eval is not a call.
    const res = await t.request(
      'GET',
      '/v1/events?kind=tool.call&agent=spiffe://warden.local/agent/treasurer/eval',
    )
    expect(((await res.json()) as { events: unknown[] }).events).toEqual([])
  })

  it('is refused without the admin token', async () => {
    const res = await t.request('POST', '/v1/policies/eval', {
      body: { agent: 'treasurer', tool: 'balance' },
      admin: false,
    })
    expect(res.status).toBe(401)
  })
})
