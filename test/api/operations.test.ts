import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WardenAgent } from '../../src/sdk/index.js'
import { ShiftedClock } from '../fakes/clock.js'
import { listen, mcpClient, rpcError } from '../fakes/gateway.js'
import { joinToken } from '../fakes/identity.js'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

const FILESYSTEM = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js', import.meta.url),
)

/** Prometheus text → `name{labels}` → value. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    samples.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return samples
}

/** The sum of every sample of `name` whose labels include all of `labels`. */
function sum(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let total = 0
  for (const [key, value] of samples) {
    const brace = key.indexOf('{')
    if ((brace === -1 ? key : key.slice(0, brace)) !== name) continue
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) total += value
  }
  return total
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('operations: metrics, probes, request ids, CORS', () => {
  let t: TestWarden
  let http: { url: string; close: () => Promise<void> }
  let sandbox: string

  beforeAll(async () => {
    sandbox = mkdtempSync(join(tmpdir(), 'warden-ops-sandbox-'))
    writeFileSync(join(sandbox, 'notes.txt'), 'the release goes out on Thursday\n')
    t = await startTestWarden(
      {
        policy: { watch: false },
        server: { allowedOrigins: ['https://console.example'] },
        upstreams: { files: { command: ['node', FILESYSTEM, sandbox] } },
      },
      { clock: new ShiftedClock() },
    )
    await t.warden.gateway.start()
    http = await listen(t)
  })
  afterAll(async () => {
    await http.close()
    await t.dispose()
    rmSync(sandbox, { recursive: true, force: true })
  })

  it('counts a scripted run in /metrics: decisions, latencies, upstream, approvals, chain, token checks', async () => {
    const registered = await t.request('POST', '/v1/agents', {
      body: {
        name: 'notes-bot',
        owner: 'ops@example.com',
        tier: 'standard',
        entitlements: ['read_text_file', 'write_file'],
      },
    })
    expect(registered.status).toBe(201)
    const agent = await WardenAgent.attest(http.url, {
      method: 'join_token',
      token: await joinToken(t, 'notes-bot'),
    })
    const task = await agent.openTask({
      purpose: 'summarise the notes',
      prompt: `Summarise ${join(sandbox, 'notes.txt')}`,
      tools: ['read_text_file'],
    })
    const client = await mcpClient(`${http.url}/mcp/files`, agent, task)
    const read = await client.callTool({
      name: 'read_text_file',
      arguments: { path: join(sandbox, 'notes.txt') },
    })
    expect(JSON.stringify(read.content)).toContain('Thursday')
    const denied = await rpcError(
      client.callTool({
        name: 'write_file',
        arguments: { path: join(sandbox, 'elsewhere.txt'), content: 'x' },
      }),
    )
    expect(denied.message).toContain('denied by Warden')
    await client.close()
    // One token refused by code: a garbage task token on the decision API.
    const refused = await t.request('POST', '/v1/authorize', {
      admin: false,
      headers: { authorization: 'DPoP not-a-token' },
      body: { action: 'tools/call', server: 'files', tool: 'read_text_file', args: {} },
    })
    expect(refused.status).toBe(401)

    let samples = parseMetrics(await (await t.request('GET', '/metrics', { admin: false })).text())
    // Decisions: the read allowed and the write denied, each with its tier, tool and the policies that decided.
    expect(sum(samples, 'warden_decision_duration_seconds_count', { effect: 'deny' })).toBe(1)
    const deniedWrites = [...samples].filter(
      ([key]) => key.startsWith('warden_decisions_total{') && key.includes('effect="deny"'),
    )
    expect(deniedWrites.length).toBeGreaterThan(0)
    for (const [key, value] of deniedWrites) {
      expect(key).toContain('tier="standard"')
      expect(key).toContain('tool="write_file"')
      expect(key).toMatch(/policy="[a-z-]+\.cedar#[a-z-]+"/)
      expect(value).toBe(1)
    }
    expect(
      sum(samples, 'warden_decisions_total', {
        effect: 'allow',
        tool: 'read_text_file',
        policy: 'baseline.cedar#permit-declared-tools',
      }),
    ).toBe(1)
    const allowed = sum(samples, 'warden_decision_duration_seconds_count', { effect: 'allow' })
    expect(allowed).toBeGreaterThanOrEqual(1) // the read, and the session's tools/list
    // Gateway latency: every MCP request of the session, by upstream.
    expect(
      sum(samples, 'warden_gateway_request_duration_seconds_count', { upstream: 'files' }),
    ).toBeGreaterThanOrEqual(3)
    expect(sum(samples, 'warden_upstream_up', { upstream: 'files' })).toBe(1)
    expect(sum(samples, 'warden_upstream_restarts_total', { upstream: 'files' })).toBe(0)
    expect(sum(samples, 'warden_approvals_pending')).toBe(0)
    // Token checks: every gateway request and the open/close calls verified one; one was refused, by its code.
    expect(sum(samples, 'warden_token_verifications_total', { outcome: 'refused' })).toBe(1)
    expect(sum(samples, 'warden_token_refusals_total', { code: 'TOKEN_INVALID' })).toBe(1)
    expect(sum(samples, 'warden_token_verifications_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(3)
    // Chain: every record appended since start was committed, and timed.
    const head = (await t.warden.chain.head()).seq
    expect(sum(samples, 'warden_chain_head_seq')).toBe(head)
    expect(sum(samples, 'warden_chain_append_lag_seconds_count')).toBeGreaterThan(0)
    expect(sum(samples, 'warden_chain_append_lag_seconds_count')).toBeLessThanOrEqual(head)
    expect(sum(samples, 'warden_chain_checkpoint_age_seconds')).toBe(-1)

    // The upstream dies and comes back: counted once, up again.
    const pid = t.warden.gateway.upstreams.get('files')?.processId()
    expect(pid).toBeTypeOf('number')
    process.kill(pid as number, 'SIGKILL')
    await waitFor(() => {
      const upstream = t.warden.gateway.upstreams.get('files')
      return upstream?.connected === true && upstream.processId() !== pid
    }, 'the upstream to restart')
    await t.warden.chain.checkpoint()
    samples = parseMetrics(await (await t.request('GET', '/metrics', { admin: false })).text())
    expect(sum(samples, 'warden_upstream_restarts_total', { upstream: 'files' })).toBe(1)
    expect(sum(samples, 'warden_upstream_up', { upstream: 'files' })).toBe(1)
    expect(sum(samples, 'warden_chain_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0)
  }, 60_000)

  it('echoes X-Request-Id, and records it with the call and its decision', async () => {
    await t.request('POST', '/v1/agents', {
      body: {
        name: 'reader-bot',
        owner: 'ops@example.com',
        tier: 'standard',
        entitlements: ['read_text_file'],
      },
    })
    const agent = await WardenAgent.attest(http.url, {
      method: 'join_token',
      token: await joinToken(t, 'reader-bot'),
    })
    const task = await agent.openTask({
      purpose: 'read',
      prompt: 'read notes.txt',
      tools: ['read_text_file'],
    })
    const url = `${http.url}/v1/authorize`
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `DPoP ${task.token}`,
        dpop: await agent.proof('POST', url, task.token),
        'content-type': 'application/json',
        'x-request-id': 'req-20-one',
      },
      body: JSON.stringify({
        action: 'tools/call',
        server: 'files',
        tool: 'read_text_file',
        args: { path: 'notes.txt' },
      }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('req-20-one')
    const records = await t.warden.chain.query({ task: task.taskId })
    const call = records.find((r) => r.kind === 'tool.call')
    const decision = records.find((r) => r.kind === 'decision')
    expect((call?.body as { requestId?: string } | undefined)?.requestId).toBe('req-20-one')
    expect((decision?.body as { requestId?: string } | undefined)?.requestId).toBe('req-20-one')
    // An id that could forge log lines is replaced by one of Warden's own.
    const forged = await t.request('GET', '/healthz', {
      headers: { 'x-request-id': 'forged entry" level=error' },
    })
    expect(forged.headers.get('x-request-id')).toMatch(/^[a-z0-9]+$/)
  }, 30_000)

  it('answers probes whatever the Host (a kubelet uses the pod IP), and the Host check still guards the API', async () => {
    const probe = await t.app.request('http://10.1.2.3:8700/healthz')
    expect(probe.status).toBe(200)
    const body = (await probe.json()) as { status: string; checks: Array<{ name: string; ok: boolean }> }
    expect(body.status).toBe('ok')
    expect(body.checks.map((c) => c.name)).toEqual(['store', 'policies', 'chain'])
    const ready = (await (await t.app.request('http://10.1.2.3:8700/readyz')).json()) as {
      checks: Array<{ name: string; ok: boolean }>
    }
    expect(ready.checks.find((c) => c.name === 'upstreams')?.ok).toBe(true)
    expect((await t.app.request('http://10.1.2.3:8700/v1/agents')).status).toBe(403)
  })

  it('answers a CORS preflight for a configured origin, and refuses any other origin', async () => {
    const preflight = await t.request('OPTIONS', '/v1/agents', {
      admin: false,
      headers: {
        origin: 'https://console.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://console.example')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization')
    const actual = await t.request('GET', '/v1/agents', { headers: { origin: 'https://console.example' } })
    expect(actual.status).toBe(200)
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://console.example')
    const foreign = await t.request('OPTIONS', '/v1/agents', {
      admin: false,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    })
    expect(foreign.status).toBe(403)
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('honest health', () => {
  it('is not ready while an upstream is down, yet alive', async () => {
    const t = await startTestWarden({
      policy: { watch: false },
      upstreams: { broken: { command: ['node', '-e', 'process.exit(3)'] } },
    })
    try {
      await t.warden.gateway.start()
      expect((await t.request('GET', '/healthz', { admin: false })).status).toBe(200)
      const ready = await t.request('GET', '/readyz', { admin: false })
      expect(ready.status).toBe(503)
      const body = (await ready.json()) as { checks: Array<{ name: string; ok: boolean; detail: string }> }
      expect(body.checks.find((c) => c.name === 'upstreams')).toMatchObject({ ok: false })
    } finally {
      await t.dispose()
    }
  }, 30_000)

  it('fails /healthz with no policy in force (every request would be denied)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'warden-no-policies-'))
    const t = await startTestWarden({ policy: { dir: empty, watch: false } })
    try {
      const res = await t.request('GET', '/healthz', { admin: false })
      expect(res.status).toBe(503)
      const body = (await res.json()) as { checks: Array<{ name: string; ok: boolean }> }
      expect(body.checks.find((c) => c.name === 'policies')?.ok).toBe(false)
    } finally {
      await t.dispose()
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('fails /healthz once the chain is found tampered with, and not before', async () => {
    const t = await startTestWarden({ policy: { watch: false } })
    try {
      await t.request('POST', '/v1/agents', {
        body: { name: 'victim', owner: 'ops@example.com', tier: 'low', entitlements: [] },
      })
      await t.warden.chain.onDisk()
      await t.warden.operations.health.verifyNow()
      expect((await t.request('GET', '/healthz', { admin: false })).status).toBe(200)
      // Someone edits a record behind Warden's back (its file, another process).
      const db = new Database(join(t.dataDir, 'warden.db'))
      db.prepare(`UPDATE chain_events SET body = ? WHERE kind = 'agent.register'`).run(
        '{"name":"someone-else"}',
      )
      db.close()
      await t.warden.operations.health.verifyNow()
      const res = await t.request('GET', '/healthz', { admin: false })
      expect(res.status).toBe(503)
      const body = (await res.json()) as { checks: Array<{ name: string; ok: boolean }> }
      expect(body.checks.find((c) => c.name === 'chain')?.ok).toBe(false)
    } finally {
      await t.dispose()
    }
  })

  it('fails /healthz when the store cannot take a write (locked by another process)', async () => {
    const t = await startTestWarden({ policy: { watch: false } })
    const db = new Database(join(t.dataDir, 'warden.db'))
    try {
      expect((await t.request('GET', '/healthz', { admin: false })).status).toBe(200)
      db.exec('BEGIN EXCLUSIVE')
      const res = await t.request('GET', '/healthz', { admin: false })
      expect(res.status).toBe(503)
      const body = (await res.json()) as { checks: Array<{ name: string; ok: boolean }> }
      expect(body.checks.find((c) => c.name === 'store')?.ok).toBe(false)
    } finally {
      db.exec('ROLLBACK')
      db.close()
      await t.dispose()
    }
  }, 30_000)
})
