import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { composeWarden } from '../src/compose.js'
import { configSchema } from '../src/config/index.js'
import type { ToolRequest } from '../src/enforcement/index.js'
import { type Figure, measure, round, type Suite } from './harness.js'

/**
 * The peer benchmark (issue #24): the workload of `../shared/peer-workload` — 50 argument rules, a fixed 100-call
 * cycle, 90 allow / 10 deny with named rules — decided and recorded by Microsoft's Agent Governance Toolkit SDK
 * (its `PolicyEngine` + `AuditLogger`, as the workload's own `bench.mjs` runs it) and by Warden (the same rules as
 * Cedar over typed arguments, `bench/peer/policies/`, through the pipeline that serves `/v1/authorize`, every call
 * and decision durable in the chain), in one process pinned to one core (`bench/main.ts` runs this suite under
 * `taskset`). Each side's decisions are checked against the expected ones before anything is timed.
 */

interface PeerCall {
  expect: 'allow' | 'deny'
  expectRule?: string
  ctx: { tool: string; args: Record<string, unknown> } & Record<string, unknown>
}
interface Workload {
  policy: unknown
  calls: PeerCall[]
}

// The bench runs from dist/bench; its data stays beside the sources.
const SOURCE = new URL('../../bench/peer/', import.meta.url)

export function workload(): Workload {
  return JSON.parse(readFileSync(new URL('workload.json', SOURCE), 'utf8')) as Workload
}

/** The tools the rules name, with input schemas typed from the workload's arguments. */
function peerTools(calls: readonly PeerCall[]) {
  const properties = new Map<string, Record<string, { type: string }>>()
  const add = (tool: string, args: Record<string, unknown>) => {
    const props = properties.get(tool) ?? {}
    for (const [key, value] of Object.entries(args)) {
      props[key] = { type: typeof value === 'number' ? 'integer' : typeof value }
    }
    properties.set(tool, props)
  }
  for (const call of calls) add(call.ctx.tool, call.ctx.args)
  // Named by rules, never called in the cycle.
  add('deploy_release', { env: 'production', change_window: false })
  add('delete_file', { path: '/x', path_class: 'workspace' })
  add('exec_shell', { command: 'true' })
  return [...properties].map(([name, props]) => ({
    name,
    description: name.replaceAll('_', ' '),
    inputSchema: { type: 'object', properties: props, required: Object.keys(props) },
    annotations: { readOnlyHint: /^(read|list|search|get|query|http)_/.test(name) },
  }))
}

/** A principal's request that names every value the workload's writes carry. */
function requestNaming(calls: readonly PeerCall[]): string {
  const values = new Set<string>()
  for (const { ctx } of calls) for (const value of Object.values(ctx.args)) values.add(String(value))
  return `Run the day's operations with these values: ${[...values].join(', ')}.`
}

/** Warm-up calls before timing, the same for both sides: AGT's own bench warms past its audit log's cap. */
const WARMUP = { decide: 12_000, credential: 2_000 }

/** Runs `op` `calls` times, `concurrency` at a time. */
async function concurrently(
  op: (i: number) => Promise<unknown>,
  { calls, concurrency, samples }: { calls: number; concurrency: number; samples?: Float64Array },
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < calls; i = next++) {
        const t0 = process.hrtime.bigint()
        await op(i)
        if (samples) samples[i] = Number(process.hrtime.bigint() - t0) / 1000
      }
    }),
  )
}

/**
 * Per-op latencies and throughput of `op` run `concurrency` at a time (group commit shares disk flushes), after
 * `warmup` calls run the same way and not timed.
 */
async function throughput(
  name: string,
  op: (i: number) => Promise<unknown>,
  { calls, concurrency, warmup }: { calls: number; concurrency: number; warmup: number },
): Promise<Figure> {
  await concurrently(op, { calls: warmup, concurrency })
  const samples = new Float64Array(calls)
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  await concurrently((i) => op(warmup + i), { calls, concurrency, samples })
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  samples.sort()
  return {
    name,
    ops: calls,
    medianUs: samples[Math.floor(calls / 2)] ?? 0,
    p99Us: samples[Math.floor(calls * 0.99)] ?? 0,
    perSecond: calls / seconds,
    cpuUs: (used.user + used.system) / calls,
  }
}

/** AGT's A1 (decide + audit) and A4 (credential verify + A1), as the workload's bench.mjs runs them. */
async function benchAgt(
  { policy, calls }: Workload,
  iterations: number,
): Promise<{ version: string; decide: Figure; credential: Figure }> {
  const require = createRequire(import.meta.url)
  const sdk = require('@microsoft/agent-governance-sdk')
  const { version } = require('@microsoft/agent-governance-sdk/package.json') as { version: string }
  const agent = sdk.AgentIdentity.generate('bench-agent', ['tool:*'])
  const engine = new sdk.PolicyEngine(undefined, sdk.ConflictResolutionStrategy.DenyOverrides)
  engine.loadJson(JSON.stringify(policy))
  const verdict = (d: { allowed: boolean; action: string }) =>
    d.allowed ? 'allow' : d.action === 'require_approval' ? 'review' : 'deny'
  for (const call of calls) {
    const d = engine.evaluatePolicy(agent.did, call.ctx)
    if (verdict(d) !== call.expect || (call.expectRule && d.matchedRule !== call.expectRule))
      throw new Error(`AGT decided ${call.ctx.tool} ${JSON.stringify(call.ctx.args)} as ${JSON.stringify(d)}`)
  }
  const audit = new sdk.AuditLogger()
  const decide = (i: number) => {
    const ctx = (calls[i % calls.length] as PeerCall).ctx
    return audit.log({
      agentId: agent.did,
      action: ctx.tool,
      decision: verdict(engine.evaluatePolicy(agent.did, ctx)),
    })
  }
  const issuer = sdk.AgentIdentity.generate('orchestrator', ['tool:*'])
  const verifier = sdk.AgentIdentity.fromJSON(issuer.toJSON())
  const credential = new TextEncoder().encode(
    JSON.stringify({
      iss: issuer.did,
      sub: agent.did,
      caps: ['tool:read_file'],
      exp: Date.now() + 3600e3,
      jti: 't',
    }),
  )
  const signature = issuer.sign(credential)
  const withCredential = (i: number) => {
    if (!verifier.verify(credential, signature)) throw new Error('AGT credential did not verify')
    return decide(i)
  }
  // Warmed alike on both sides (WARMUP): past the audit log's 10,000-entry cap, its steady state, as in bench.mjs.
  return {
    version,
    decide: await measure(`AGT ${version} decide + audit (A1)`, decide, {
      warmup: WARMUP.decide,
      iterations,
    }),
    credential: await measure(`AGT ${version} credential + decide + audit (A4)`, withCredential, {
      warmup: WARMUP.credential,
      iterations: Math.round(iterations / 4),
    }),
  }
}

/** Warden: the same calls through `Pipeline.decide` (durable record), then `Pipeline.authorize` (token + DPoP). */
export async function benchWarden(
  { calls }: Workload,
  iterations: number,
  only?: 'decide' | 'sequential' | 'credential',
): Promise<Partial<{ decide: Figure; decideOneAtATime: Figure; credential: Figure }>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-peer-'))
  const warden = await composeWarden(
    configSchema.parse({ dataDir, policy: { dir: new URL('policies/', SOURCE).pathname, watch: false } }),
  )
  try {
    const tools = peerTools(calls)
    await warden.catalog.sync('peer', tools)
    const loaded = await warden.policy.reload()
    if (!loaded.ok) throw new Error(`the peer policies do not load: ${JSON.stringify(loaded)}`)
    await warden.identity.agents.register({
      name: 'peer',
      owner: 'bench@example.com',
      tier: 'high', // a tier whose task tokens are DPoP-bound: every use carries a proof
      entitlements: tools.map((t) => t.name),
      delegatesTo: [],
      codeDigest: null,
    })
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwk = await exportJWK(publicKey)
    const proof = (url: string, jti: string, token: string | undefined) =>
      new SignJWT({
        htm: 'POST',
        htu: url,
        jti,
        ...(token ? { ath: createHash('sha256').update(token).digest('base64url') } : {}),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(privateKey)
    const attestUrl = 'http://localhost/v1/attest'
    const attested = await warden.identity.attestation.attest({
      attestMethod: 'join_token',
      token: (await warden.identity.joinTokens.create('peer')).token,
      publicKey: jwk,
      proof: await proof(attestUrl, 'attest', undefined),
      method: 'POST',
      url: attestUrl,
    })
    const tasksUrl = 'http://localhost/v1/tasks'
    const task = await warden.tasks.lifecycle.open(
      attested.svid,
      { proof: await proof(tasksUrl, 'open', attested.svid), method: 'POST', url: tasksUrl, scheme: 'DPoP' },
      // The principal's request names what the writes target, as a user's request would: the workload has no
      // data flow, and a write to a target from nowhere is itself a signal (risk) in Warden.
      { purpose: 'peer benchmark', prompt: requestNaming(calls) },
    )
    const authorizeUrl = 'http://localhost/v1/authorize'
    const caller = await warden.tasks.lifecycle.authenticate(task.token, {
      proof: await proof(authorizeUrl, 'first', task.token),
      method: 'POST',
      url: authorizeUrl,
      scheme: 'DPoP',
    })
    // Each request's arguments are an object of its own, as a request parsed from JSON is: nothing a detector
    // reads of one call's arguments is found again on the next call's by identity. Made before timing.
    // Each run takes its own range: decide + record, one at a time, with credential.
    const sequential = WARMUP.decide + iterations
    const credential = sequential + 200 + Math.round(iterations / 10)
    const total = credential + WARMUP.credential + Math.round(iterations / 2)
    const requests = Array.from({ length: total }, (_, i) => {
      const { ctx } = calls[i % calls.length] as PeerCall
      return { tool: ctx.tool, json: JSON.stringify(ctx.args) }
    }).map(({ tool, json }) => ({ tool, args: JSON.parse(json) as Record<string, unknown> }))
    const request = (i: number): ToolRequest => {
      const { tool, args } = requests[i % requests.length] as { tool: string; args: Record<string, unknown> }
      return { action: 'tools/call', server: 'peer', tool, args }
    }
    for (const [i, call] of calls.entries()) {
      const decision = await warden.pipeline.decide(caller, request(i))
      const rule = call.expectRule
      if (decision.effect !== call.expect || (rule && !decision.reasons.some((r) => r.endsWith(`#${rule}`))))
        throw new Error(
          `Warden decided ${call.ctx.tool} ${JSON.stringify(call.ctx.args)} as ${JSON.stringify(decision)}`,
        )
    }
    const concurrency = 32
    // The agent signs a proof per request; that is the agent's cost, so the proofs are made before timing.
    const credentialRun = async () => {
      const calls = Math.round(iterations / 2)
      const warmup = WARMUP.credential
      const proofs = await Promise.all(
        Array.from({ length: warmup + calls }, (_, i) => proof(authorizeUrl, `p${i}`, task.token)),
      )
      return throughput(
        `Warden token + DPoP + decide + durable record (${concurrency} in flight)`,
        (i) =>
          warden.pipeline.authorize(
            task.token,
            { proof: proofs[i], method: 'POST', url: authorizeUrl, scheme: 'DPoP' },
            request(credential + i),
          ),
        { calls, concurrency, warmup },
      )
    }
    if (only === 'credential') return { credential: await credentialRun() }
    if (only === 'sequential')
      return {
        decideOneAtATime: await measure(
          'Warden decide + durable record (one at a time)',
          (i) => warden.pipeline.decide(caller, request(sequential + i)),
          { warmup: 200, iterations: Math.round(iterations / 10) },
        ),
      }
    const decide = await throughput(
      `Warden decide + durable record (${concurrency} in flight)`,
      (i) => warden.pipeline.decide(caller, request(i)),
      { calls: iterations, concurrency, warmup: WARMUP.decide },
    )
    const decideOneAtATime = await measure(
      'Warden decide + durable record (one at a time)',
      (i) => warden.pipeline.decide(caller, request(sequential + i)),
      { warmup: 200, iterations: Math.round(iterations / 10) },
    )
    if (only === 'decide') return { decide }
    return { decide, decideOneAtATime, credential: await credentialRun() }
  } finally {
    await warden.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export async function benchPeer(): Promise<Suite> {
  const load = workload()
  const iterations = Number(process.env.WARDEN_PEER_CALLS ?? 20_000)
  const agt = await benchAgt(load, iterations * 5)
  const warden = (await benchWarden(load, iterations)) as Required<Awaited<ReturnType<typeof benchWarden>>>
  const figures: Record<string, number> = {
    peer_agt_decide_record_per_s: Math.round(agt.decide.perSecond),
    peer_agt_decide_record_p50_us: round(agt.decide.medianUs),
    peer_agt_with_credential_per_s: Math.round(agt.credential.perSecond),
    peer_warden_decide_record_per_s: Math.round(warden.decide.perSecond),
    peer_warden_decide_record_p50_us: round(warden.decide.medianUs),
    peer_warden_decide_record_p99_us: round(warden.decide.p99Us),
    peer_warden_decide_record_cpu_us: round(warden.decide.cpuUs ?? 0),
    peer_warden_decide_record_sequential_p50_us: round(warden.decideOneAtATime.medianUs),
    peer_warden_with_credential_per_s: Math.round(warden.credential.perSecond),
    peer_warden_with_credential_p99_us: round(warden.credential.p99Us),
    peer_warden_with_credential_cpu_us: round(warden.credential.cpuUs ?? 0),
    peer_ratio_decide_record: round(warden.decide.perSecond / agt.decide.perSecond),
    peer_ratio_with_credential: round(warden.credential.perSecond / agt.credential.perSecond),
  }
  return {
    rows: [
      { figure: agt.decide },
      { figure: warden.decide, baseline: agt.decide },
      { figure: warden.decideOneAtATime, baseline: agt.decide },
      { figure: agt.credential },
      { figure: warden.credential, baseline: agt.credential },
    ],
    figures,
  }
}
