import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createApp } from '../src/api/index.js'
import { composeWarden } from '../src/compose.js'
import { configSchema } from '../src/config/index.js'
import { WardenAgent } from '../src/sdk/index.js'
import { measure, round, type Suite } from './harness.js'

const EVERYTHING = new URL(
  '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
  import.meta.url,
).pathname
const ADMIN = 'bench-admin'

/**
 * A `tools/call` (server-everything's `echo`) through the gateway against the same call made directly to the
 * same server over stdio, in one process. The gateway path adds: HTTP downstream, the task token and DPoP proof
 * check, the decision (behaviour + Cedar), two durable chain appends, and the stdio hop to the server.
 */
export async function benchGateway(): Promise<Suite> {
  const full = await benchGatewayWith('full')
  const normal = await benchGatewayWith('normal')
  return {
    rows: [...full.rows, ...normal.rows.slice(1)],
    figures: {
      ...full.figures,
      gateway_overhead_normal_durability_p50_ms: normal.figures.gateway_overhead_p50_ms as number,
      gateway_overhead_normal_durability_p99_ms: normal.figures.gateway_overhead_p99_ms as number,
    },
  }
}

async function benchGatewayWith(durability: 'full' | 'normal'): Promise<Suite> {
  const direct = new Client({ name: 'bench-direct', version: '1' })
  await direct.connect(
    new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'pipe' }),
  )
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-gateway-'))
  const warden = await composeWarden(
    configSchema.parse({
      dataDir,
      store: { kind: 'sqlite', durability },
      policy: { watch: false },
      upstreams: { everything: { command: ['node', EVERYTHING, 'stdio'] } },
    }),
    { adminToken: ADMIN },
  )
  const server = serve({ fetch: createApp(warden).fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  try {
    await warden.gateway.start()
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
    await fetch(`${base}/v1/agents`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        name: 'bench',
        owner: 'bench@example.com',
        tier: 'high',
        entitlements: ['echo'],
      }),
    })
    const minted = (await (
      await fetch(`${base}/v1/agents/bench/join-tokens`, { method: 'POST', headers: admin })
    ).json()) as { token: string }
    const agent = await WardenAgent.attest(base, { method: 'join_token', token: minted.token })
    const task = await agent.openTask({ purpose: 'bench', tools: ['echo'] })
    const url = `${base}/mcp/everything`
    const viaWarden = new Client({ name: 'bench-gateway', version: '1' })
    await viaWarden.connect(
      new StreamableHTTPClientTransport(new URL(url), { fetch: agent.gatewayFetch(task, url) }),
    )
    const call = (client: Client) => () => client.callTool({ name: 'echo', arguments: { message: 'ping' } })
    const baseline = await measure('direct stdio tools/call', call(direct), { warmup: 200, iterations: 1000 })
    const gateway = await measure(`through the gateway, store durability ${durability}`, call(viaWarden), {
      warmup: 200,
      iterations: 1000,
    })
    await viaWarden.close()
    return {
      rows: [{ figure: baseline }, { figure: gateway, baseline }],
      figures: {
        gateway_overhead_p50_ms: round((gateway.medianUs - baseline.medianUs) / 1000),
        gateway_overhead_p99_ms: round((gateway.p99Us - baseline.p99Us) / 1000),
        gateway_call_p50_ms: round(gateway.medianUs / 1000),
        direct_call_p50_ms: round(baseline.medianUs / 1000),
      },
    }
  } finally {
    await direct.close()
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
    })
    await warden.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
