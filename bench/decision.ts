import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { unstoredTool } from '../src/catalog/index.js'
import { composeWarden } from '../src/compose.js'
import { configSchema } from '../src/config/index.js'
import { silentLogger } from '../src/kernel/index.js'
import { buildRequest, type DecisionFacts, PolicyEngine, type PolicySource } from '../src/policy/index.js'
import { measure, round, type Suite } from './harness.js'

const SHIPPED = new URL('../../policies/', import.meta.url).pathname

/** 50 policies on top of the templates, each naming an argument of one of ten tools (caps, domains, time). */
function extraPolicies(): PolicySource {
  const lines: string[] = []
  for (let i = 0; i < 50; i++) {
    const tool = `tool_${i % 10}`
    const body =
      i % 3 === 0
        ? `context.input.amount.greaterThan(decimal("${1000 + i}.0"))`
        : i % 3 === 1
          ? `!(context.input.to like "*@corp${i}.example") && context.tier == "critical"`
          : `context.now.hour < 6 && context.risk > ${i}`
    lines.push(
      `@id("extra-${i}") forbid (principal, action == Warden::srv::Action::"${tool}", resource) when { ${body} };`,
    )
  }
  return { file: 'extra.cedar', text: lines.join('\n') }
}

/**
 * The in-process decision: slicing the entities, building the context with typed arguments, and Cedar — with
 * the shipped templates plus 50 more policies. Recording is the chain's append (see the chain suite).
 */
export async function benchDecision(): Promise<Suite> {
  const tools = Array.from({ length: 10 }, (_, i) =>
    unstoredTool('srv', {
      name: `tool_${i}`,
      description: `tool ${i}`,
      inputSchema: {
        type: 'object',
        properties: { amount: { type: 'number' }, to: { type: 'string' }, note: { type: 'string' } },
        required: ['amount', 'to'],
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    }),
  )
  const sources: PolicySource[] = [
    ...readdirSync(SHIPPED)
      .filter((f) => f.endsWith('.cedar'))
      .map((file) => ({ file, text: readFileSync(join(SHIPPED, file), 'utf8') })),
    extraPolicies(),
  ]
  const rows: Suite['rows'] = []
  const figures: Record<string, number> = {}
  for (const validateRequests of [true, false]) {
    const engine = new PolicyEngine(silentLogger, { validateRequests })
    const loaded = engine.load(sources, tools)
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    const facts = (i: number): DecisionFacts => ({
      now: Date.UTC(2026, 0, 5, 10),
      agent: { name: 'billing', owner: 'o@example.com', tier: 'standard', entitlements: ['tool_3'] },
      instance: { id: 'i1', spiffeId: 'spiffe://warden.local/agent/billing/i1' },
      task: {
        id: 't1',
        purpose: 'pay',
        tools: ['tool_3'],
        dataClasses: [],
        depth: 0,
        parent: null,
        openedAt: 0,
        chain: [],
      },
      target: { kind: 'tool', tool: tools[3] as (typeof tools)[number] },
      // Every request distinct (the decision cache would otherwise answer): this is the uncached path.
      args: { amount: 100 + i / 100, to: 'a@corp3.example' },
      approved: false,
      behaviour: { signals: [], risk: 0 },
    })
    const decide = (i: number) => {
      const built = buildRequest(facts(i), engine)
      if (!built.ok) throw new Error(built.error)
      const decision = engine.decide(built.request)
      if (decision.effect !== 'allow') throw new Error(JSON.stringify(decision))
      return decision
    }
    const name = validateRequests ? 'decision (schema-checked)' : 'decision (no per-request schema)'
    const figure = await measure(name, decide, { warmup: 500, iterations: 5000 })
    rows.push({ figure })
    if (!validateRequests) {
      const cached = await measure('decision (repeated request, cached)', () => decide(0), {
        warmup: 100,
        iterations: 5000,
      })
      rows.push({ figure: cached, baseline: figure })
      figures.decision_cached_p50_us = round(cached.medianUs)
    }
    if (validateRequests) {
      figures.decision_checked_p50_us = round(figure.medianUs)
      figures.decision_policies = loaded.policies
    } else {
      // The default configuration (no per-request schema check), every request distinct: the figure to quote.
      figures.decision_p50_us = round(figure.medianUs)
      figures.decision_p99_us = round(figure.p99Us)
    }
  }
  rows.push(...(await benchPipeline(figures)))
  return { rows, figures }
}

/** The whole pipeline in-process on a real Warden: token check with DPoP, decision, durable record. */
async function benchPipeline(figures: Record<string, number>): Promise<Suite['rows']> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-pipeline-'))
  const warden = await composeWarden(configSchema.parse({ dataDir, policy: { watch: false } }))
  try {
    await warden.catalog.sync('srv', [
      {
        name: 'lookup',
        description: 'look something up',
        inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
        annotations: { readOnlyHint: true },
      },
    ])
    await warden.identity.agents.register({
      name: 'bench',
      owner: 'bench@example.com',
      tier: 'standard',
      entitlements: ['lookup'],
      delegatesTo: [],
      codeDigest: null,
    })
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwk = await exportJWK(publicKey)
    const proof = (htu: string, i: string, token?: string) =>
      new SignJWT({
        htm: 'POST',
        htu,
        jti: i,
        ...(token ? { ath: createHash('sha256').update(token).digest('base64url') } : {}),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(privateKey)
    const attested = await warden.identity.attestation.attest({
      attestMethod: 'join_token',
      token: (await warden.identity.joinTokens.create('bench')).token,
      publicKey: jwk,
      proof: await proof('http://localhost/v1/attest', 'a'),
      method: 'POST',
      url: 'http://localhost/v1/attest',
    })
    const task = await warden.tasks.lifecycle.open(
      attested.svid,
      {
        proof: await proof('http://localhost/v1/tasks', 'o', attested.svid),
        method: 'POST',
        url: 'http://localhost/v1/tasks',
        scheme: 'DPoP',
      },
      { purpose: 'bench' },
    )
    const caller = await warden.tasks.lifecycle.authenticate(task.token, {
      proof: await proof('http://localhost/x', 'c', task.token),
      method: 'POST',
      url: 'http://localhost/x',
      scheme: 'DPoP',
    })
    const decided = await measure(
      'pipeline decide + durable record',
      () => warden.pipeline.decide(caller, { action: 'tools/call', tool: 'lookup', args: { q: 'x' } }),
      { warmup: 100, iterations: 1000 },
    )
    figures.decision_recorded_p50_us = round(decided.medianUs)
    figures.decision_recorded_p99_us = round(decided.p99Us)
    // 32 decisions in flight at a time: group commit lets them share disk flushes.
    const inFlight = 32
    const rounds = 100
    const start = process.hrtime.bigint()
    for (let r = 0; r < rounds; r++) {
      await Promise.all(
        Array.from({ length: inFlight }, () =>
          warden.pipeline.decide(caller, { action: 'tools/call', tool: 'lookup', args: { q: 'x' } }),
        ),
      )
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    figures.decisions_recorded_concurrent_per_s = Math.round((inFlight * rounds) / seconds)
    return [{ figure: decided }]
  } finally {
    await warden.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
