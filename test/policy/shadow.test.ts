import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { attestWithJoinToken, registerAgent } from '../fakes/identity.js'
import { type OpenedTask, openTask } from '../fakes/tasks.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

const SHIPPED = new URL('../../policies/', import.meta.url).pathname
const TRANSFER = {
  name: 'transfer',
  description: 'Transfer money',
  inputSchema: {
    type: 'object',
    properties: { amount: { type: 'number' }, iban: { type: 'string' } },
    required: ['amount', 'iban'],
  },
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
}
const CAP = `forbid (principal, action == Warden::payments::Action::"transfer", resource)
  when { context.input.amount.greaterThan(decimal("100.0")) };`
const AMOUNTS = [50, 99, 100, 101, 250, 900, 1500, 20]

/** A policy directory: the shipped templates and `extra` in payments.cedar. */
function policyDir(extra: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-shadow-'))
  cpSync(SHIPPED, dir, { recursive: true })
  writeFileSync(join(dir, 'payments.cedar'), extra)
  return dir
}

describe('shadow policy sets and log-only policies', () => {
  const dirs: string[] = []
  let t: TestWarden | undefined
  afterEach(async () => {
    await t?.dispose()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  /** A standard-tier agent's transfers of AMOUNTS, declared (so the baseline permits them): their effects. */
  const transfers = async (config: Record<string, unknown>) => {
    t = await startTestWarden(config)
    await t.request('PUT', '/v1/servers/payments/tools', { body: { tools: [TRANSFER] } })
    await registerAgent(t, 'payer', { tier: 'standard', entitlements: ['transfer'] })
    const who = await attestWithJoinToken(t, 'payer')
    const iban = 'DE89370400440532013000'
    const task = (await (
      await openTask(t, who, { purpose: 'pay', prompt: `pay the invoices to ${iban}`, tools: ['transfer'] })
    ).json()) as OpenedTask
    const effects: string[] = []
    for (const amount of AMOUNTS) {
      const res = await t.request('POST', '/v1/authorize', {
        body: { action: 'tools/call', tool: 'transfer', args: { amount, iban } },
        headers: {
          authorization: `DPoP ${task.token}`,
          dpop: await who.key.proof('POST', `${BASE}/v1/authorize`, { accessToken: task.token }),
        },
        admin: false,
      })
      effects.push(((await res.json()) as { effect: string }).effect)
    }
    await t.warden.chain.settled()
    const shadowed = await t.warden.chain.query({ kind: 'decision.shadow', limit: 1000 })
    const metrics = await (await t.request('GET', '/metrics', { admin: false })).text()
    const counted = /^warden_shadow_differences_total\{effect="allow",shadow_effect="deny"\} (\d+)$/m.exec(
      metrics,
    )
    return { effects, shadowed, differences: Number(counted?.[1] ?? 0) }
  }

  it('decides every call with the candidate too, changes no outcome, and records every difference', async () => {
    const enforced = policyDir('// nothing beyond the templates\n')
    const candidate = policyDir(`@id("cap") ${CAP}`)
    dirs.push(enforced, candidate)
    const { effects, shadowed, differences } = await transfers({
      policy: { dir: enforced, shadow: candidate, watch: false },
    })
    expect(effects).toEqual(AMOUNTS.map(() => 'allow'))
    expect(differences).toBe(AMOUNTS.filter((a) => a > 100).length)
    expect(shadowed.map((e) => e.body)).toEqual(
      AMOUNTS.filter((a) => a > 100).map(() =>
        expect.objectContaining({
          effect: 'allow',
          shadowEffect: 'deny',
          shadowReasons: ['payments.cedar#cap'],
        }),
      ),
    )
    // Positive control: the same set, enforced, denies those calls.
    await t?.dispose()
    t = undefined
    const enforcing = await transfers({ policy: { dir: candidate, watch: false } })
    expect(enforcing.effects).toEqual(AMOUNTS.map((a) => (a > 100 ? 'deny' : 'allow')))
    expect(enforcing.shadowed).toEqual([])
    expect(enforcing.differences).toBe(0)
  })

  it('keeps a @mode("log_only") policy out of every decision and records what it would have changed', async () => {
    const dir = policyDir(
      `@id("would-cap") @mode("log_only") ${CAP}\n@id("cap-huge") forbid (principal, action == Warden::payments::Action::"transfer", resource) when { context.input.amount.greaterThan(decimal("1000.0")) };`,
    )
    dirs.push(dir)
    const { effects, shadowed } = await transfers({ policy: { dir, watch: false } })
    // Only the enforced cap at 1,000 denies; the log-only cap at 100 changes nothing but the record.
    expect(effects).toEqual(AMOUNTS.map((a) => (a > 1000 ? 'deny' : 'allow')))
    expect(shadowed.map((e) => e.body.shadowReasons)).toEqual(
      AMOUNTS.filter((a) => a > 100 && a <= 1000).map(() => ['payments.cedar#would-cap']),
    )
  })
})
