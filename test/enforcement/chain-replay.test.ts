import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ActivityEventV1 } from '../../src/chain/index.js'
import type { ChainReplayDecision } from '../../src/enforcement/index.js'
import {
  openPayers,
  SHIPPED_POLICIES as SHIPPED,
  seededRandom,
  PAYMENT_TOOLS as TOOLS,
} from '../fakes/payments.js'
import { runCli } from '../fakes/process.js'
import { BASE, startTestWarden, type TestWarden } from '../fakes/warden.js'

const PAYMENTS = `@id("cap") forbid (principal, action == Warden::payments::Action::"transfer", resource)
when { context.input.amount.greaterThan(decimal("1000.0")) };
@id("instant-needs-a-human") @escalate("instant transfers are confirmed by a person")
forbid (principal, action == Warden::payments::Action::"transfer", resource)
when { context.input has speed && context.input.speed == "instant" };`

/** The changed set: a lower cap. */
const LOWER_CAP = `@id("lower-cap") forbid (principal, action == Warden::payments::Action::"transfer", resource)
when { context.input.amount.greaterThan(decimal("500.0")) };`

interface Answer {
  effect: string
  reasons: string[]
  call: string
  approval?: string
}

describe('warden replay of a chain export', () => {
  const root = mkdtempSync(join(tmpdir(), 'warden-chain-replay-'))
  const dataDir = join(root, 'data')
  const policyDir = join(root, 'policies')
  const changedDir = join(root, 'changed')
  const exported = join(root, 'export.jsonl')
  let t: TestWarden | undefined
  let records: ActivityEventV1[] = []
  const answers: Answer[] = []

  beforeAll(async () => {
    cpSync(SHIPPED, policyDir, { recursive: true })
    writeFileSync(join(policyDir, 'payments.cedar'), PAYMENTS)
    cpSync(policyDir, changedDir, { recursive: true })
    writeFileSync(join(changedDir, 'lower-cap.cedar'), LOWER_CAP)

    // A real run: three agents at three tiers call through /v1/authorize, time moving between calls.
    const warden = await startTestWarden({ policy: { dir: policyDir, watch: false } }, { dataDir })
    t = warden
    expect(
      (await warden.request('PUT', '/v1/servers/payments/tools', { body: { tools: TOOLS } })).status,
    ).toBe(200)
    const agents = await openPayers(warden)
    const authorize = async ({ who, task }: (typeof agents)[number], body: unknown): Promise<Answer> => {
      const res = await warden.request('POST', '/v1/authorize', {
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
    const next = seededRandom(7)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
    for (let i = 0; i < 120; i++) {
      warden.clock.advance(Math.floor(next() * 400))
      const r = next()
      const body =
        r < 0.2
          ? { action: 'tools/call', tool: 'balance', args: next() < 0.5 ? {} : { account: 'main' } }
          : r < 0.25
            ? { action: 'tools/call', tool: 'no_such_tool', args: {} }
            : {
                action: 'tools/call',
                tool: 'transfer',
                args: {
                  amount: next() < 0.05 ? 'lots' : Math.round(next() * 1500 * 100) / 100,
                  iban: pick(['DE89370400440532013000', 'GB33BUKB20201555555555']),
                  // A credential-like value: the chain holds it redacted.
                  ...(next() < 0.15 ? { reference: `sk-${'a1B2c3D4e5'.repeat(3)}` } : {}),
                  ...(next() < 0.3 ? { speed: pick(['standard', 'instant']) } : {}),
                },
              }
      answers.push(await authorize(pick(agents), body))
    }
    // A held call a human approves, then made again: allowed with the approval.
    const held = {
      action: 'tools/call',
      tool: 'transfer',
      args: { amount: 20, iban: 'DE89370400440532013000', speed: 'instant' },
    }
    const first = await authorize(agents[0] as (typeof agents)[number], held)
    expect(first.effect).toBe('escalate')
    expect((await warden.request('POST', `/v1/approvals/${first.approval}/approve`)).status).toBe(200)
    const again = await authorize(agents[0] as (typeof agents)[number], held)
    expect(again.effect).toBe('allow')
    answers.push(first, again)
    await warden.warden.chain.checkpoint()
    await warden.dispose()
    t = undefined

    const exportRun = await runCli(['chain', 'export', '--data', dataDir])
    expect(exportRun.code, exportRun.stderr).toBe(0)
    writeFileSync(exported, exportRun.stdout)
    records = exportRun.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ActivityEventV1)
  }, 180_000)
  afterAll(async () => {
    await t?.dispose()
    rmSync(root, { recursive: true, force: true })
  })

  it('reproduces every recorded decision under the same policy set', async () => {
    const run = await runCli(['replay', exported, '--data', dataDir, '--policy', policyDir])
    expect(run.code, run.stderr).toBe(0)
    const replayed = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ChainReplayDecision)
    const decisions = records.filter((r) => r.kind === 'decision')
    expect(replayed.map((d) => d.seq)).toEqual(decisions.map((d) => d.seq))
    expect(decisions.length).toBe(answers.length)
    // Every outcome, an approval, an unknown tool and redacted arguments are among them: agreement means something.
    expect(new Set(replayed.map((d) => d.recorded.effect))).toEqual(new Set(['allow', 'deny', 'escalate']))
    expect(replayed.some((d) => d.recorded.approval !== null && d.recorded.effect === 'allow')).toBe(true)
    expect(replayed.some((d) => d.tool === 'no_such_tool')).toBe(true)
    expect(replayed.some((d) => d.redacted.includes('/body/args/reference'))).toBe(true)
    // The detectors ran again wherever the record holds what they saw; a call with a redacted argument is
    // judged on its recorded signals (the detectors saw the credential, not the mask).
    expect(replayed.filter((d) => d.redacted.length > 0).every((d) => d.behaviour === 'recorded')).toBe(true)
    expect(replayed.filter((d) => d.redacted.length === 0).every((d) => d.behaviour === 'detected')).toBe(
      true,
    )
    expect(replayed.some((d) => d.behaviour === 'detected' && d.replayed.signals.length > 0)).toBe(true)
    for (const d of replayed) {
      // Cedar's determining policies are a set: their order is not part of the decision.
      expect({ seq: d.seq, effect: d.replayed.effect, reasons: [...d.replayed.reasons].sort() }).toEqual({
        seq: d.seq,
        effect: d.recorded.effect,
        reasons: [...d.recorded.reasons].sort(),
      })
      expect(d.changed).toBe(false)
      expect([...d.replayed.signals].sort()).toEqual([...d.recorded.signals].sort())
    }
    expect(run.stderr).toContain(
      `${decisions.length} decisions replayed, ${decisions.length} unchanged, 0 changed`,
    )
  }, 60_000)

  it('lists exactly the calls a changed set decides otherwise, and none under the same set', async () => {
    // Independently of the replayer: every transfer over the new cap that was not already denied.
    const recordedEffect = new Map(
      records.filter((r) => r.kind === 'decision').map((r) => [String(r.body.call), String(r.body.effect)]),
    )
    const expected = records
      .filter(
        (r) =>
          r.kind === 'tool.call' &&
          r.body.tool === 'transfer' &&
          typeof (r.body.args as { amount?: unknown }).amount === 'number' &&
          (r.body.args as { amount: number }).amount > 500 &&
          recordedEffect.get(String(r.body.call)) !== 'deny',
      )
      .map((r) => r.seq)
    expect(expected.length).toBeGreaterThan(0)
    const diff = await runCli(['replay', exported, '--data', dataDir, '--policy', changedDir, '--diff'])
    expect(diff.code, diff.stderr).toBe(1)
    const listed = [
      ...diff.stdout.matchAll(
        /^seq (\d+) {2}payments\/transfer {2}(allow|escalate) → deny {2}policies: [^\n]*lower-cap\.cedar#lower-cap/gm,
      ),
    ].map((m) => Number(m[1]))
    expect(listed).toEqual(expected)
    expect(diff.stdout.split('\n').filter((line) => line.startsWith('seq ')).length).toBe(expected.length)
    expect(diff.stdout).toContain(`${expected.length} changed`)
    // Positive control: the same set changes nothing and exits 0.
    const same = await runCli(['replay', exported, '--data', dataDir, '--policy', policyDir, '--diff'])
    expect(same.code, same.stderr).toBe(0)
    expect(same.stdout).not.toMatch(/^seq /m)
    expect(same.stdout).toContain(' 0 changed')
  }, 60_000)

  it('replays from the recorded signals without the fingerprint key, and refuses to detect without it', async () => {
    const tools = join(root, 'tools.json')
    writeFileSync(tools, JSON.stringify({ payments: TOOLS }))
    const recorded = await runCli([
      'replay',
      exported,
      '--from',
      'chain',
      '--tools',
      tools,
      '--policy',
      policyDir,
      '--behaviour',
      'recorded',
      '--diff',
    ])
    expect(recorded.code, recorded.stderr).toBe(0)
    expect(recorded.stdout).toContain(' 0 changed')
    const detect = await runCli(['replay', exported, '--tools', tools, '--policy', policyDir])
    expect(detect.code).toBe(2)
    expect(readFileSync(exported, 'utf8').length).toBeGreaterThan(0)
  }, 60_000)
})
